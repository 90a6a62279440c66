import { badUserInput } from "../errors.js";
import type { CrispApi, Query } from "./client.js";
import { ID_SHAPES, isEmail, isFingerprintText, isPluginId, isSessionId, isUuid } from "./ids.js";

/**
 * Raw calls (`crispRequest`): any route of Crisp's REST API v1, as Make's "Make an API call"
 * module and the SDKs' raw `get`/`post` reach them. The path a client gives is checked here
 * before it goes anywhere near a URL: relative to `/v1`, plain segments only (no scheme, host,
 * `..`, `.`, `//`, percent-encoding, query or fragment), and every id in it checked against
 * its shape as everywhere else, so a raw call can reach any Crisp route and nothing else.
 */

/** Far past Crisp's longest route with ids. */
const MAX_PATH_LENGTH = 500;
const MAX_SEGMENTS = 12;
/** What a segment of a Crisp route or id is made of (emails included). */
const SEGMENT = /^[A-Za-z0-9_@.+-]{1,254}$/;
const QUERY_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_QUERY_NAMES = 50;
const MAX_QUERY_VALUE_LENGTH = 4_000;
/** A write body through the gateway: a profile card or settings, not bulk uploads. */
export const MAX_RAW_BODY_BYTES = 65_536;

/** Crisp's write methods a raw call may use (reads go through `Query.crispRequest`). */
export type RawWriteMethod = "POST" | "PUT" | "PATCH" | "DELETE";

/** A checked raw path, and the website it names (the viewer's scope applies to it). */
export interface RawTarget {
  /** The path to send, relative to the API base, e.g. `/website/<id>/people/stats`. */
  path: string;
  /** The website the path names (`/website/{id}/…`, `/plugins/subscription/{id}/…`), if any. */
  websiteId: string | null;
}

/** Segments after which Crisp's routes hold an id of a known kind. */
const ID_AFTER: Readonly<Record<string, (value: string) => boolean>> = {
  website: ID_SHAPES.websiteId.test,
  conversation: isSessionId,
  message: isFingerprintText,
  operator: isUuid,
};
const PEOPLE_ID_AFTER = new Set(["profile", "data", "events", "conversations", "subscription"]);

/**
 * Checks a raw path: BAD_USER_INPUT (field `path`) for anything but a plain path below `/v1`
 * whose ids have Crisp's shapes.
 */
export function parseRawPath(path: string): RawTarget {
  const refuse = (why: string) => badUserInput("path", why);
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) {
    throw refuse(`expected a path of 1 to ${MAX_PATH_LENGTH} characters.`);
  }
  if (!path.startsWith("/")) {
    throw refuse('expected a path relative to /v1 starting with "/", e.g. /website/{id}.');
  }
  const segments = path.slice(1).split("/");
  if (segments.length > MAX_SEGMENTS) {
    throw refuse(`at most ${MAX_SEGMENTS} segments.`);
  }
  if (segments[0] === "v1") {
    throw refuse("is relative to /v1 already: leave /v1 out.");
  }
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === "." || segment === "..") {
      throw refuse(
        "expected plain segments (letters, digits, _ @ . + -): no scheme, host, .., empty segment, %-encoding, query or fragment.",
      );
    }
  }
  segments.forEach((segment, index) => {
    const previous = segments[index - 1];
    const check =
      previous === undefined
        ? undefined
        : (ID_AFTER[previous] ??
          (segments[index - 2] === "people" && PEOPLE_ID_AFTER.has(previous)
            ? (value: string) => isUuid(value) || isEmail(value)
            : undefined));
    // Ids outside the known positions still have to be ids when they look like one.
    const looksLikeId =
      segment.startsWith("session_") ||
      segment.includes("@") ||
      /^[0-9a-f]{8}-[0-9a-f-]+$/i.test(segment);
    const valid =
      check === undefined
        ? !looksLikeId || isSessionId(segment) || isEmail(segment) || isUuid(segment)
        : check(segment);
    if (!valid) {
      throw refuse(
        `segment ${index + 1} (${JSON.stringify(segment.slice(0, 60))}) is not a valid Crisp id.`,
      );
    }
  });
  let websiteId: string | null = null;
  if (segments[0] === "website" && segments[1] !== undefined) {
    websiteId = segments[1].toLowerCase();
  } else if (
    segments[0] === "plugins" &&
    segments[1] === "subscription" &&
    segments[2] !== undefined
  ) {
    if (!isUuid(segments[2])) {
      throw refuse("segment 3 is not a Crisp website id.");
    }
    if (segments[3] !== undefined && !isPluginId(segments[3])) {
      throw refuse("segment 4 is not a Crisp plugin id.");
    }
    websiteId = segments[2].toLowerCase();
  }
  return { path, websiteId };
}

/**
 * Checks a raw query: a JSON object of parameter names (Crisp's snake_case) to strings,
 * numbers, booleans (sent as 1/0) or null (left out). BAD_USER_INPUT (field `query`) otherwise.
 */
export function parseRawQuery(query: unknown): Query {
  if (query === null || query === undefined) {
    return {};
  }
  if (typeof query !== "object" || Array.isArray(query)) {
    throw badUserInput("query", "expected a JSON object of parameter names to values.");
  }
  const entries = Object.entries(query as Record<string, unknown>);
  if (entries.length > MAX_QUERY_NAMES) {
    throw badUserInput("query", `at most ${MAX_QUERY_NAMES} parameters.`);
  }
  const parsed: Query = {};
  for (const [name, value] of entries) {
    if (!QUERY_NAME.test(name)) {
      throw badUserInput(
        `query.${name.slice(0, 60)}`,
        "expected a Crisp parameter name such as per_page.",
      );
    }
    if (
      value !== null &&
      typeof value !== "boolean" &&
      !(typeof value === "number" && Number.isFinite(value)) &&
      !(typeof value === "string" && value.length <= MAX_QUERY_VALUE_LENGTH)
    ) {
      throw badUserInput(
        `query.${name}`,
        `expected a string (at most ${MAX_QUERY_VALUE_LENGTH} characters), a number, a boolean or null.`,
      );
    }
    parsed[name] = value as string | number | boolean | null;
  }
  return parsed;
}

/** Checks a raw write body: a JSON object or array of at most `MAX_RAW_BODY_BYTES`. */
export function parseRawBody(body: unknown): unknown {
  if (body === null || body === undefined) {
    return undefined;
  }
  if (typeof body !== "object") {
    throw badUserInput("body", "expected a JSON object or array.");
  }
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_RAW_BODY_BYTES) {
    throw badUserInput("body", `at most ${MAX_RAW_BODY_BYTES} bytes of JSON.`);
  }
  return body;
}

/** What a raw call answers: Crisp's status, reason and data, the envelope unwrapped. */
export interface RawAnswer {
  status: number;
  reason: string;
  data: unknown;
}

/**
 * Sends a raw call through the client (so through the operation's budget and the guard: quota,
 * backoff, breaker; GETs retried, writes never). A Crisp error answer becomes the same
 * GatewayError as anywhere else; Crisp's body never reaches the client beyond `data`.
 */
export async function rawRequest(
  client: CrispApi,
  method: "GET" | RawWriteMethod,
  path: string,
  query: Query,
  body?: unknown,
  signal?: AbortSignal,
): Promise<RawAnswer> {
  // Checked again here, as every resource module checks its ids before building a path.
  const target = parseRawPath(path);
  const { status, reason, data } = await client.request<unknown>({
    method,
    path: target.path,
    query,
    ...(body === undefined ? {} : { body }),
    signal,
  });
  return { status, reason, data };
}
