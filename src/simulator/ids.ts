/**
 * The shapes of Crisp's ids (crisp-api.md §4 [V BP, L]): `website_id`, `people_id` and operator
 * `user_id` are UUIDs, `session_id` is `session_<uuid>`, a message `fingerprint` is an integer,
 * signed (GO types it `int`; a 2017 answer held `-333`, node-crisp-api issue 1 [V]). A malformed
 * id is answered as an unknown one, as a lookup would.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SESSION_ID = /^session_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FINGERPRINT = /^-?[1-9][0-9]{0,15}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function isSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}

export function isEmail(value: string): boolean {
  return EMAIL.test(value);
}

/** A `:fingerprint` path segment as a number, or `undefined` when it cannot be one. */
export function parseFingerprint(raw: string): number | undefined {
  return FINGERPRINT.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
}
