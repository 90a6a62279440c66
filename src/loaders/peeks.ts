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

/**
 * The message batches one request read, per conversation: a message they hold is found there,
 * for free, even with no shared cache beneath. Looked up on demand rather than each message of
 * each batch primed into the message loader: a dashboard reads 20 batches of up to 40 messages
 * and needs none of them singly.
 */
export class BatchesRead {
  readonly #byConversation = new Map<string, MessageBatch[]>();

  add(websiteId: string, sessionId: string, batch: MessageBatch): void {
    const key = `${websiteId} ${sessionId}`;
    this.#byConversation.set(key, [...(this.#byConversation.get(key) ?? []), batch]);
  }

  find(websiteId: string, sessionId: string, fingerprint: number): CrispMessage | undefined {
    for (const batch of this.#byConversation.get(`${websiteId} ${sessionId}`) ?? []) {
      const found = batch.messages.find((item) => item.fingerprint === fingerprint);
      if (found !== undefined) {
        return found;
      }
    }
    return undefined;
  }

  /** After a write to the conversation: what was read of it may be out of date. */
  forget(websiteId: string, sessionId: string): void {
    this.#byConversation.delete(`${websiteId} ${sessionId}`);
  }

  clear(): void {
    this.#byConversation.clear();
  }
}
