import { isSessionId, isUuid } from "../crisp/ids.js";
import type { IncomingEvent } from "./event.js";

/**
 * Reading a hook body (crisp-api.md §5.2: `{website_id, event, data, timestamp}`) into an
 * event, refusing what Crisp never sends before anything else touches it.
 */

/**
 * How deep a hook body's objects and arrays may nest. Crisp's deepest payloads (a carousel
 * message's `targets[].actions[]`, a profile `update`) nest about 6 levels; custom
 * `session:set_data` data a few more. A body nested thousands deep is an attack: later
 * `JSON.stringify` calls (the event log, a subscriber's payload) would overflow the stack.
 */
export const MAX_HOOK_DEPTH = 32;

export type HookBodyResult =
  | { ok: true; event: IncomingEvent }
  | { ok: false; status: 400 | 422; message: string };

/**
 * The deepest nesting of objects and arrays in a JSON text, counted without parsing (brackets
 * inside strings do not count), stopping as soon as it passes `limit`.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) {
        // A backslash escapes the next character, a quote included.
        index += 1;
      } else if (char === 0x22) {
        inString = false;
      }
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > limit) {
        return true;
      }
    } else if (char === 0x7d || char === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

/** Parses and checks a hook body; every refusal says what was expected. */
export function readHookBody(rawBody: Buffer, maxDepth = MAX_HOOK_DEPTH): HookBodyResult {
  const text = rawBody.toString("utf8");
  if (jsonDepthExceeds(text, maxDepth)) {
    return {
      ok: false,
      status: 400,
      message: `The body nests deeper than ${maxDepth} levels; Crisp's hooks never do.`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: "The body is not valid JSON." };
  }
  const event = toEvent(parsed);
  return typeof event === "string"
    ? { ok: false, status: 422, message: event }
    : { ok: true, event };
}

/**
 * The event a hook body describes, or why it is not one. Ids are lower-cased here, once, so
 * everything after compares them as they are (issue 11: an upper-case id matched nothing).
 */
export function toEvent(body: unknown): IncomingEvent | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return "The body must be a JSON object {website_id, event, data, timestamp}.";
  }
  const { website_id: websiteId, event, data, timestamp } = body as Record<string, unknown>;
  if (typeof websiteId !== "string" || !isUuid(websiteId)) {
    return "website_id must be a Crisp website id.";
  }
  if (typeof event !== "string" || !/^[a-z_]+(:[a-z_]+){1,3}$/.test(event)) {
    return "event must be a Crisp event name such as message:send.";
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return "data must be an object.";
  }
  const fields = data as Record<string, unknown>;
  const sessionId =
    typeof fields.session_id === "string" && isSessionId(fields.session_id)
      ? fields.session_id.toLowerCase()
      : null;
  return {
    name: event,
    websiteId: websiteId.toLowerCase(),
    sessionId,
    data: fields,
    timestamp: typeof timestamp === "number" && Number.isFinite(timestamp) ? timestamp : Date.now(),
  };
}
