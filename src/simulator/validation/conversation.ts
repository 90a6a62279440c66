/**
 * Checks of conversation write bodies: `PATCH …/meta` (crisp-api.md §4.5 [L GO
 * `ConversationMetaUpdate`]).
 */

import { isEmail } from "../ids.js";
import type { WireConversationMeta } from "../payloads.js";
import {
  checkObject,
  checkString,
  checkStrings,
  fail,
  objectBody,
  onlyKeys,
  optionalString,
} from "./primitives.js";

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
