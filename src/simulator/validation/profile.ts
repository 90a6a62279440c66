/**
 * Checks of people profile bodies (`PeopleProfileUpdateCard`, crisp-api.md §4.7 [L]). [I]
 * Read-only profile keys (`people_id`, `score`, ...) are ignored, so a profile read with GET can
 * be sent back with PUT.
 */

import { isEmail } from "../ids.js";
import type { WirePeopleProfile } from "../payloads.js";
import {
  checkArray,
  checkNumber,
  checkObject,
  checkString,
  checkStrings,
  fail,
  isObject,
  type JsonObject,
  objectBody,
  onlyKeys,
  optionalNumber,
  optionalString,
} from "./primitives.js";

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

/** `value` without its null entries, at every depth: what is checked when null clears. */
function withoutNulls(value: JsonObject): JsonObject {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null)
      .map(([key, item]) => [key, isObject(item) ? withoutNulls(item) : item]),
  );
}

/**
 * A profile body (`PeopleProfileUpdateCard`, crisp-api.md §4.7), checked. `email` is required
 * unless `partial` (PATCH); read-only keys are dropped from the result. With `nullClears`
 * (assumption `patchNull`), a PATCH may hold null values, kept in the result so the merge
 * removes those keys; anywhere else null is refused like any value of the wrong type.
 */
export function checkProfile(body: unknown, partial: boolean, nullClears = false): ProfileInput {
  const raw = objectBody(body);
  if (partial && nullClears) {
    if (raw.email === null) {
      fail("email", "an email address");
    }
    const input = checkProfile(withoutNulls(raw), true, false);
    // What was checked, with its nulls put back for the merge to remove.
    const kept: JsonObject = {};
    for (const key of ["email", "person", "company", "segments", "notepad"]) {
      if (raw[key] !== undefined) {
        kept[key] = raw[key] === null ? null : (input as JsonObject)[key];
      }
    }
    return mergeNulls(kept, raw) as ProfileInput;
  }
  const value = raw;
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
  optionalNumber(person, "timezone", "person.");
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
  optionalNumber(company, "timezone", "company.");
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

/** `checked` with the null entries of `raw` (at every depth) put back. */
function mergeNulls(checked: JsonObject, raw: JsonObject): JsonObject {
  const out: JsonObject = { ...checked };
  for (const [key, value] of Object.entries(raw)) {
    if (value === null) {
      out[key] = null;
    } else if (isObject(value) && isObject(out[key])) {
      out[key] = mergeNulls(out[key] as JsonObject, value);
    }
  }
  return out;
}

/**
 * Merges `patch` into `target` (PATCH of a profile): objects recursively, the rest replaced; a
 * null removes the key (assumption `patchNull`, checked before).
 */
export function mergeDeep(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === null) {
      delete out[key];
    } else {
      out[key] = isObject(value) && isObject(current) ? mergeDeep(current, value) : value;
    }
  }
  return out;
}
