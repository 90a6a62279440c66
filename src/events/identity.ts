import { createHash } from "node:crypto";
import type { IncomingEvent } from "./event.js";

/**
 * What makes two deliveries the same Crisp event, whichever source brought them. A web hook's
 * redelivery key is the SHA-256 of its body (hook-route.ts), but the RTM socket sends only the
 * hook's `data` (crisp-api.md §6: "exactly the same"), without the body's `timestamp`: what
 * both sources carry is the event name, the website and `data`. This is their hash, with
 * object keys sorted, so key order on the wire does not matter.
 *
 * The same content can be two genuine events (a conversation resolved, reopened, resolved
 * again carries the same `data` twice), so with both sources on, the event log pairs
 * occurrences rather than content: the n-th delivery of a content by the socket is the same
 * event as the n-th by hooks (log.ts `pair`).
 */
export function eventIdentity(event: Pick<IncomingEvent, "name" | "websiteId" | "data">): string {
  return createHash("sha256")
    .update(`${event.name}\n${event.websiteId}\n${stableJson(event.data)}`)
    .digest("hex");
}

/** JSON with object keys sorted (hook bodies are depth-checked before they get here). */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(stableJson).join(",")}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
