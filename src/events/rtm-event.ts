import type { IncomingEvent } from "./event.js";
import { jsonDepthExceeds, MAX_HOOK_DEPTH, toEvent } from "./hook-body.js";

/**
 * One socket event as an event: the socket sends a hook's `data` (crisp-api.md §6), which
 * names its website; it is checked exactly as a hook body is.
 */
export function readRtmEvent(
  name: string,
  data: unknown,
  now: () => number = Date.now,
): IncomingEvent | string {
  let text: string;
  try {
    text = JSON.stringify(data) ?? "";
  } catch {
    return "data cannot be read";
  }
  if (jsonDepthExceeds(text, MAX_HOOK_DEPTH)) {
    return `data nests deeper than ${MAX_HOOK_DEPTH} levels`;
  }
  const fields =
    typeof data === "object" && data !== null ? (data as Record<string, unknown>) : undefined;
  const timestamp = fields?.timestamp;
  return toEvent({
    website_id: fields?.website_id,
    event: name,
    data,
    timestamp: typeof timestamp === "number" ? timestamp : now(),
  });
}
