/**
 * Schema checks of write bodies. Crisp answers 400 `invalid_data` when "schema validators"
 * reject a body, and "a message may also be provided" (QS2021): ours always names the field.
 *
 * [I] Unknown top-level keys are refused (Crisp's validators are strict); every key an official
 * library sends is accepted. Read-only profile keys (`people_id`, `score`, ...) are ignored, so a
 * profile read with GET can be sent back with PUT.
 */

import { invalidData } from "./errors.js";
import type {
  WireConversationMeta,
  WireMessageContent,
  WireMessageFrom,
  WireMessageType,
  WirePeopleProfile,
} from "./payloads.js";
import { MESSAGE_TYPES as TYPES } from "./protocol.js";
import { isEmail } from "./routes.js";

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

function fail(field: string, expected: string): never {
  throw invalidData(`${field} must be ${expected}`);
}

export function checkString(value: unknown, field: string, nonEmpty = false): string {
  if (typeof value !== "string" || (nonEmpty && value.trim() === "")) {
    fail(field, nonEmpty ? "a non-empty string" : "a string");
  }
  return value;
}

function optionalString(value: JsonObject, key: string, prefix: string): void {
  if (value[key] !== undefined) {
    checkString(value[key], `${prefix}${key}`);
  }
}

function checkStrings(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    fail(field, "an array of strings");
  }
  return value as string[];
}

function checkNumber(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(field, "a number");
  }
  return value;
}

function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") {
    fail(field, "a boolean");
  }
  return value;
}

function checkObject(value: unknown, field: string): JsonObject {
  if (!isObject(value)) {
    fail(field, "an object");
  }
  return value;
}

function checkArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) {
    fail(field, "an array");
  }
  return value;
}

export const MESSAGE_TYPES: readonly WireMessageType[] = TYPES;

/**
 * `content` fitting `type` (crisp-api.md §4.6): a non-empty string for text and note [I: empty
 * refused], an object of the type's shape otherwise. Extra keys inside content are kept.
 */
export function checkContent(type: WireMessageType, content: unknown): WireMessageContent {
  if (type === "text" || type === "note") {
    return checkString(content, "content", true);
  }
  const value = checkObject(content, "content");
  const need = (key: string): void => {
    checkString(value[key], `content.${key}`, true);
  };
  switch (type) {
    case "file":
      need("name");
      need("url");
      need("type");
      break;
    case "animation":
      need("url");
      need("type");
      break;
    case "audio":
      need("url");
      need("type");
      if (value.duration !== undefined) {
        checkNumber(value.duration, "content.duration");
      }
      break;
    case "picker":
      need("id");
      need("text");
      checkArray(value.choices, "content.choices").forEach((choice, index) => {
        const field = `content.choices[${index}]`;
        const item = checkObject(choice, field);
        checkString(item.value, `${field}.value`);
        checkString(item.label, `${field}.label`);
        checkBoolean(item.selected, `${field}.selected`);
        optionalString(item, "icon", `${field}.`);
      });
      if (value.required !== undefined) {
        checkBoolean(value.required, "content.required");
      }
      break;
    case "field":
      need("id");
      need("text");
      optionalString(value, "explain", "content.");
      optionalString(value, "value", "content.");
      if (value.required !== undefined) {
        checkBoolean(value.required, "content.required");
      }
      break;
    case "carousel":
      need("text");
      checkArray(value.targets, "content.targets").forEach((target, index) => {
        const field = `content.targets[${index}]`;
        const item = checkObject(target, field);
        checkString(item.title, `${field}.title`);
        checkString(item.description, `${field}.description`);
        optionalString(item, "image", `${field}.`);
        checkArray(item.actions, `${field}.actions`).forEach((action, at) => {
          const actionField = `${field}.actions[${at}]`;
          const entry = checkObject(action, actionField);
          checkString(entry.label, `${actionField}.label`);
          checkString(entry.url, `${actionField}.url`);
        });
      });
      break;
    case "event":
      need("namespace");
      optionalString(value, "text", "content.");
      break;
  }
  return value as unknown as WireMessageContent;
}

/** A `POST …/message` body, checked. */
export interface MessageInput {
  type: WireMessageType;
  from: WireMessageFrom;
  origin: string;
  content: WireMessageContent;
  user?: { type?: string; nickname?: string; avatar?: string };
  mentions?: string[];
  fingerprint?: number;
  translated?: boolean;
  automated?: boolean;
}

/** Every key GO/NODE send on `POST …/message` (crisp-api.md §4.6). */
const MESSAGE_KEYS = [
  "type",
  "from",
  "origin",
  "content",
  "user",
  "mentions",
  "fingerprint",
  "references",
  "original",
  "properties",
  "timestamp",
  "stealth",
  "translated",
  "automated",
];

export function checkMessage(body: unknown): MessageInput {
  const value = objectBody(body);
  onlyKeys(value, MESSAGE_KEYS);
  const type = value.type;
  if (typeof type !== "string" || !MESSAGE_TYPES.includes(type as WireMessageType)) {
    fail("type", `one of ${MESSAGE_TYPES.join(", ")}`);
  }
  const messageType = type as WireMessageType;
  if (value.from !== "user" && value.from !== "operator") {
    fail("from", '"user" or "operator"');
  }
  const input: MessageInput = {
    type: messageType,
    from: value.from,
    origin: checkString(value.origin, "origin", true),
    content: checkContent(messageType, value.content),
  };
  if (value.user !== undefined) {
    const user = checkObject(value.user, "user");
    onlyKeys(user, ["type", "nickname", "avatar"], "user.");
    for (const key of ["type", "nickname", "avatar"]) {
      optionalString(user, key, "user.");
    }
    input.user = user as MessageInput["user"];
  }
  if (value.mentions !== undefined) {
    input.mentions = checkStrings(value.mentions, "mentions");
  }
  if (value.fingerprint !== undefined) {
    const fingerprint = value.fingerprint;
    if (typeof fingerprint !== "number" || !Number.isSafeInteger(fingerprint) || fingerprint < 1) {
      fail("fingerprint", "a positive integer");
    }
    input.fingerprint = fingerprint;
  }
  if (value.translated !== undefined) {
    input.translated = checkBoolean(value.translated, "translated");
  }
  if (value.automated !== undefined) {
    input.automated = checkBoolean(value.automated, "automated");
  }
  return input;
}

const META_STRINGS = ["nickname", "phone", "address", "subject", "ip", "origin"] as const;

/**
 * A `PATCH …/meta` body, checked: the fields to set, in the body's order. `avatar` may be null
 * (Crisp lists it nullable); `device` is accepted as an object, as GO sends it.
 */
export function checkMeta(body: unknown): Partial<WireConversationMeta> {
  const value = objectBody(body);
  onlyKeys(value, [...META_STRINGS, "email", "avatar", "segments", "data", "device"]);
  for (const key of META_STRINGS) {
    optionalString(value, key, "");
  }
  if (value.email !== undefined && !isEmail(checkString(value.email, "email"))) {
    fail("email", "an email address");
  }
  if (value.avatar !== undefined && value.avatar !== null) {
    checkString(value.avatar, "avatar");
  }
  if (value.segments !== undefined) {
    checkStrings(value.segments, "segments");
  }
  if (value.data !== undefined) {
    checkObject(value.data, "data");
  }
  if (value.device !== undefined) {
    checkObject(value.device, "device");
  }
  return value as Partial<WireConversationMeta>;
}

/** Profile keys only Crisp sets: ignored when a client sends them back. */
const READ_ONLY_PROFILE_KEYS = ["people_id", "score", "active", "created_at", "updated_at"];

const PERSON_STRINGS = [
  "nickname",
  "avatar",
  "gender",
  "phone",
  "address",
  "description",
  "website",
];
const COMPANY_STRINGS = ["name", "legal_name", "domain", "url", "description"];

export type ProfileInput = Omit<
  WirePeopleProfile,
  "people_id" | "score" | "active" | "created_at" | "updated_at"
>;

/**
 * A profile body (`PeopleProfileUpdateCard`, crisp-api.md §4.7), checked. `email` is required
 * unless `partial` (PATCH); read-only keys are dropped from the result.
 */
export function checkProfile(body: unknown, partial: boolean): ProfileInput {
  const value = objectBody(body);
  onlyKeys(value, ["email", "person", "company", "segments", "notepad", ...READ_ONLY_PROFILE_KEYS]);
  const input: ProfileInput = {};
  if (value.email !== undefined || !partial) {
    const email = checkString(value.email, "email", true);
    if (!isEmail(email)) {
      fail("email", "an email address");
    }
    input.email = email;
  }
  if (value.person !== undefined) {
    input.person = checkPerson(value.person);
  }
  if (value.company !== undefined) {
    input.company = checkCompany(value.company);
  }
  if (value.segments !== undefined) {
    input.segments = checkStrings(value.segments, "segments");
  }
  if (value.notepad !== undefined) {
    input.notepad = checkString(value.notepad, "notepad");
  }
  return input;
}

function checkPerson(raw: unknown): NonNullable<WirePeopleProfile["person"]> {
  const person = checkObject(raw, "person");
  onlyKeys(
    person,
    [...PERSON_STRINGS, "timezone", "profiles", "employment", "geolocation", "locales"],
    "person.",
  );
  for (const key of PERSON_STRINGS) {
    optionalString(person, key, "person.");
  }
  if (person.timezone !== undefined) {
    checkNumber(person.timezone, "person.timezone");
  }
  if (person.locales !== undefined) {
    checkStrings(person.locales, "person.locales");
  }
  if (person.profiles !== undefined) {
    checkArray(person.profiles, "person.profiles").forEach((item, index) => {
      const field = `person.profiles[${index}]`;
      const profile = checkObject(item, field);
      checkString(profile.type, `${field}.type`);
      checkString(profile.handle, `${field}.handle`);
      optionalString(profile, "url", `${field}.`);
    });
  }
  if (person.employment !== undefined) {
    const employment = checkObject(person.employment, "person.employment");
    for (const key of Object.keys(employment)) {
      checkString(employment[key], `person.employment.${key}`);
    }
  }
  if (person.geolocation !== undefined) {
    checkObject(person.geolocation, "person.geolocation");
  }
  return person as NonNullable<WirePeopleProfile["person"]>;
}

function checkCompany(raw: unknown): NonNullable<WirePeopleProfile["company"]> {
  const company = checkObject(raw, "company");
  onlyKeys(
    company,
    [...COMPANY_STRINGS, "timezone", "phones", "emails", "geolocation", "metrics", "tags"],
    "company.",
  );
  for (const key of COMPANY_STRINGS) {
    optionalString(company, key, "company.");
  }
  if (company.timezone !== undefined) {
    checkNumber(company.timezone, "company.timezone");
  }
  for (const key of ["phones", "emails", "tags"]) {
    if (company[key] !== undefined) {
      checkStrings(company[key], `company.${key}`);
    }
  }
  if (company.geolocation !== undefined) {
    checkObject(company.geolocation, "company.geolocation");
  }
  if (company.metrics !== undefined) {
    const metrics = checkObject(company.metrics, "company.metrics");
    for (const key of Object.keys(metrics)) {
      checkNumber(metrics[key], `company.metrics.${key}`);
    }
  }
  return company as NonNullable<WirePeopleProfile["company"]>;
}

/** Merges `patch` into `target` (PATCH of a profile): objects recursively, the rest replaced. */
export function mergeDeep(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isObject(value) && isObject(current) ? mergeDeep(current, value) : value;
  }
  return out;
}
