import { Buffer } from "node:buffer";
import { badUserInput } from "../errors.js";

/**
 * Global ids are base64url of `Type:part1/part2…`: opaque to clients, yet carrying every Crisp
 * id needed to load the object again (a conversation needs its website too). Crisp ids never
 * contain `/`, `:` is only the type separator.
 */
export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${String(id)}`, "utf8").toString("base64url");
}

export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const text = /^[A-Za-z0-9_-]{1,400}={0,2}$/.test(globalId)
    ? Buffer.from(globalId, "base64url").toString("utf8")
    : "";
  const separator = text.indexOf(":");
  if (separator <= 0 || !/^[A-Za-z]+$/.test(text.slice(0, separator))) {
    throw badUserInput("id", "not a global id of this gateway.");
  }
  return { typename: text.slice(0, separator), id: text.slice(separator + 1) };
}

/** Joins the Crisp ids of a composite global id. */
export function joinIdParts(...parts: (string | number)[]): string {
  return parts.map(String).join("/");
}

/** Splits a composite id into exactly `count` non-empty parts, or fails as BAD_USER_INPUT. */
export function splitIdParts(id: string, count: number): string[] {
  const parts = id.split("/");
  if (parts.length !== count || parts.some((part) => part === "")) {
    throw badUserInput("id", "not a global id of this gateway.");
  }
  return parts;
}
