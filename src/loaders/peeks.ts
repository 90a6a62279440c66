import type { MessageBatch } from "../crisp/messages.js";
import type { CrispConversation, CrispMessage } from "../crisp/types.js";
import type { SharedCache } from "./cache.js";
import { cacheTag } from "./cache-index.js";

/**
 * Objects found inside other cached entries, for free: a conversation a fresh list page holds,
 * a message a fresh batch holds. Found through the index (the entries tagged with the
 * conversation), never by a scan.
 */

/** The conversation as a fresh cached list page holds it, if one does. */
export function cachedInPage(
  cache: SharedCache,
  websiteId: string,
  sessionId: string,
): CrispConversation | undefined {
  for (const entry of cache.tagged(cacheTag.session(websiteId, sessionId))) {
    if (entry.fresh && entry.key[0] === "conversationPage" && Array.isArray(entry.value)) {
      const found = (entry.value as CrispConversation[]).find(
        (item) => item.session_id === sessionId,
      );
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}

/** The message as a fresh cached batch of its conversation holds it, if one does. */
export function cachedInBatch(
  cache: SharedCache,
  websiteId: string,
  sessionId: string,
  fingerprint: number,
): CrispMessage | undefined {
  for (const entry of cache.tagged(cacheTag.session(websiteId, sessionId))) {
    const value = entry.value as Partial<MessageBatch> | null;
    if (entry.fresh && entry.key[0] === "messageBatch" && Array.isArray(value?.messages)) {
      const found = value.messages.find((item) => item.fingerprint === fingerprint);
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}
