import { badUserInput } from "../errors.js";

/**
 * Crisp's id shapes (crisp-api.md §4: website, people and operator ids are UUIDs, session ids
 * are `session_<uuid>`, message fingerprints are signed integers). Every id is checked against its
 * shape before it enters a URL path, so a client can never steer a request to another route
 * (`../`, `?`, `#`, encoded slashes) and a typo costs no Crisp request.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SESSION_ID = /^session_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Deliberately simple: one @, no spaces, a dot in the domain. Crisp validates further.
const EMAIL = /^[^\s@/?#]+@[^\s@/?#]+\.[^\s@/?#]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export type CrispIdKind = "websiteId" | "sessionId" | "peopleId" | "userId" | "fingerprint";

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function isSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

export function isDomain(value: string): boolean {
  return DOMAIN.test(value);
}

/**
 * Fingerprints are integers that fit a double exactly (Crisp's are ~15 digits). They are
 * signed: go-crisp-api types them `int`, and a real Crisp answer of 2017 held
 * `"fingerprint": -333` (node-crisp-api issue 1). Zero is not one: it is Go's empty value,
 * which go-crisp-api leaves out of what it sends (`omitempty`). The one check for every
 * fingerprint: arguments, ids, paths and web hooks.
 */
export function isFingerprint(value: number): boolean {
  return Number.isSafeInteger(value) && value !== 0;
}

/** A Crisp plugin id: a UUID, or the hex id plugin hooks name (`plugin/rtm <id> production`). */
export function isPluginId(value: string): boolean {
  return isUuid(value) || /^[0-9a-f]{16,32}$/i.test(value);
}

/** A fingerprint as text (a path segment, a global id part): optional minus, no leading zero. */
export function isFingerprintText(value: string): boolean {
  return /^-?[1-9][0-9]{0,15}$/.test(value) && isFingerprint(Number(value));
}

/** The shape check for each kind of id, for messages that say what was expected. */
export const ID_SHAPES: Record<CrispIdKind, { test: (value: string) => boolean; shape: string }> = {
  websiteId: { test: isUuid, shape: "a UUID" },
  sessionId: { test: isSessionId, shape: "session_<UUID>" },
  peopleId: { test: isUuid, shape: "a UUID" },
  userId: { test: isUuid, shape: "a UUID" },
  fingerprint: { test: isFingerprintText, shape: "a non-zero integer" },
};

/** Throws BAD_USER_INPUT naming `field` unless `value` is a fingerprint. */
export function requireFingerprint(value: number, field = "fingerprint"): number {
  if (!isFingerprint(value)) {
    throw badUserInput(field, `expected a non-zero integer, got ${value}.`);
  }
  return value;
}

/**
 * The one spelling of a Crisp id the gateway uses, or null when `value` does not have the shape
 * of `kind`. Crisp's ids are lower-case (UUIDs, `session_<uuid>`) and its hooks carry them so,
 * while the shapes accept any case: an id a client wrote in upper case must reach the same
 * cache entries, website checks and event topics as Crisp's own. Every id a client sends goes
 * through here once, where the schema reads it (arguments, input fields, global ids), over
 * every transport.
 */
export function canonicalId(kind: CrispIdKind, value: string): string | null {
  if (!ID_SHAPES[kind].test(value)) {
    return null;
  }
  return kind === "fingerprint" ? value : value.toLowerCase();
}

/**
 * `canonicalId`, or throws BAD_USER_INPUT naming `field` when `value` does not have the shape
 * of `kind`. The schema calls it with the argument's name and uses what it returns; the client
 * calls it again before building any path.
 */
export function requireId(kind: CrispIdKind, value: string, field: string = kind): string {
  const canonical = canonicalId(kind, value);
  if (canonical === null) {
    const { shape } = ID_SHAPES[kind];
    throw badUserInput(field, `expected ${shape}, got ${JSON.stringify(value.slice(0, 80))}.`);
  }
  return canonical;
}
