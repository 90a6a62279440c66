/**
 * The checks write bodies are made of. Crisp answers `invalid_data` when "schema validators"
 * reject a body, and "a message may also be provided" (crisp-api.md §2.2, QS2021): ours always
 * names the field. [I] Unknown top-level keys are refused (Crisp's validators are strict);
 * every key an official library sends is accepted.
 */

import { invalidData } from "../errors.js";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The body as an object, else 400. */
export function objectBody(body: unknown): JsonObject {
  if (!isObject(body)) {
    throw invalidData("the body must be a JSON object");
  }
  return body;
}

/** Refuses any key outside `allowed`, naming it (`prefix` locates nested objects). */
export function onlyKeys(value: JsonObject, allowed: readonly string[], prefix = ""): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalidData(`${prefix}${key} is not a known field`);
    }
  }
}

export function fail(field: string, expected: string): never {
  throw invalidData(`${field} must be ${expected}`);
}

export function checkString(value: unknown, field: string, nonEmpty = false): string {
  if (typeof value !== "string" || (nonEmpty && value.trim() === "")) {
    fail(field, nonEmpty ? "a non-empty string" : "a string");
  }
  return value;
}

/** Checks `value[key]` when present; `prefix` locates nested objects in the message. */
export function optionalString(value: JsonObject, key: string, prefix: string): void {
  if (value[key] !== undefined) {
    checkString(value[key], `${prefix}${key}`);
  }
}

export function checkStrings(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    fail(field, "an array of strings");
  }
  return value as string[];
}

export function checkNumber(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(field, "a number");
  }
  return value;
}

export function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") {
    fail(field, "a boolean");
  }
  return value;
}

export function checkObject(value: unknown, field: string): JsonObject {
  if (!isObject(value)) {
    fail(field, "an object");
  }
  return value;
}

export function checkArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) {
    fail(field, "an array");
  }
  return value;
}

export function optionalBoolean(value: JsonObject, key: string, prefix: string): void {
  if (value[key] !== undefined) {
    checkBoolean(value[key], `${prefix}${key}`);
  }
}

export function optionalNumber(value: JsonObject, key: string, prefix: string): void {
  if (value[key] !== undefined) {
    checkNumber(value[key], `${prefix}${key}`);
  }
}
