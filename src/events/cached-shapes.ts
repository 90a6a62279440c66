import type { MessageBatch } from "../crisp/messages.js";
import type { CrispConversation, CrispPeopleProfile } from "../crisp/types.js";

/**
 * What a cache entry or an event's `data` holds, told apart by shape: both are `unknown` until
 * checked, since an event's payload is Crisp's and a cache entry may be of any kind.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export function isConversation(value: unknown): value is CrispConversation {
  return isRecord(value) && typeof value.session_id === "string";
}

export function isBatch(value: unknown): value is MessageBatch {
  return isRecord(value) && Array.isArray(value.messages);
}

export function isProfile(value: unknown): value is CrispPeopleProfile {
  return isRecord(value) && typeof value.people_id === "string";
}
