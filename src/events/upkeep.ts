import { CrispEvent, CrispEventFamily, isEventOf } from "../crisp/events.js";
import type { CacheKey, SharedCache } from "../loaders/cache.js";
import type { CrispHookEvent } from "./event.js";

/**
 * What each Crisp event does to the shared cache (crisp-api.md §5.5): a message event drops
 * that conversation's messages and summary, and the list pages holding it; a session event
 * drops that conversation and the pages holding it; a people event drops that person and the
 * pages holding them. Pages that should now hold a changed object but did not refresh when
 * their (short) TTL ends.
 */

const holdsSession = (sessionId: string) => (value: unknown) =>
  Array.isArray(value) &&
  value.some((item) => item === sessionId || (isRecord(item) && item.session_id === sessionId));

const holdsPerson = (peopleId: string) => (value: unknown) =>
  Array.isArray(value) && value.some((item) => isRecord(item) && item.people_id === peopleId);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isConversationOwn(key: CacheKey, sessionId: string): boolean {
  const [kind, , session] = key;
  return (
    (kind === "conversation" || kind === "messageBatch" || kind === "message") &&
    session === sessionId
  );
}

/** After a web hook event. Returns how many entries were dropped. */
export function applyEventToCache(cache: SharedCache, event: CrispHookEvent): number {
  const { websiteId, sessionId, name, data } = event;
  if (isEventOf(name, CrispEventFamily.PEOPLE)) {
    const peopleId = typeof data.people_id === "string" ? data.people_id : undefined;
    const email = typeof data.email === "string" ? data.email : undefined;
    if (peopleId === undefined) {
      return 0;
    }
    return cache.drop(websiteId, (key, value) => {
      const [kind, , subject] = key;
      if (kind === "person") {
        return subject === peopleId || (email !== undefined && subject === email);
      }
      if (kind === "personConversationPage") {
        return subject === peopleId;
      }
      return kind === "peoplePage" && value !== undefined && holdsPerson(peopleId)(value);
    });
  }
  if (
    sessionId === null ||
    !(isEventOf(name, CrispEventFamily.MESSAGE) || isEventOf(name, CrispEventFamily.SESSION))
  ) {
    return 0;
  }
  const pagesHolding = holdsSession(sessionId);
  // A session event changes the conversation, not its messages; a message event (or the
  // conversation's removal) changes both.
  const messagesToo =
    isEventOf(name, CrispEventFamily.MESSAGE) || name === CrispEvent.SESSION_REMOVED;
  return cache.drop(websiteId, (key, value) => {
    if (
      key[0] === "conversation"
        ? key[2] === sessionId
        : messagesToo && isConversationOwn(key, sessionId)
    ) {
      return true;
    }
    const [kind] = key;
    return (
      (kind === "conversationPage" ||
        kind === "personConversationPage" ||
        kind === "visitorPage") &&
      value !== undefined &&
      pagesHolding(value)
    );
  });
}
