import type { CrispConversation, CrispMessage, CrispPeopleProfile } from "../crisp/types.js";
import { cacheTag } from "../loaders/cache-index.js";
import type { CacheKey } from "../loaders/cache-kinds.js";
import { isBatch, isConversation, isProfile, isRecord } from "./cached-shapes.js";
import type { EventJournal } from "./journal.js";
import { patchConversation, patchMessage, patchMessageBatch, patchPerson } from "./patches.js";

/**
 * Lays the journaled events of what a load returned over it (`SharedCache`'s overlay): a
 * conversation, page, batch, message or profile read just after an event shows it, whatever
 * Crisp's own cache answered. Membership and order of list pages are Crisp's.
 */
export function overlayEvents(journal: EventJournal) {
  return (key: CacheKey, value: unknown): unknown => {
    const [kind, websiteId, subject] = key;
    const sessionEvents = (sessionId: string) =>
      journal.eventsOf(cacheTag.session(websiteId, sessionId));
    switch (kind) {
      case "conversation":
        return isConversation(value)
          ? sessionEvents(value.session_id).reduce<CrispConversation | null>(
              (current, event) => (current === null ? null : patchConversation(current, event)),
              value,
            )
          : value;
      case "conversationPage":
        return Array.isArray(value)
          ? (value as CrispConversation[]).map((item) =>
              sessionEvents(item.session_id).reduce<CrispConversation>(
                (current, event) => patchConversation(current, event) ?? current,
                item,
              ),
            )
          : value;
      case "messageBatch":
        return isBatch(value) && typeof subject === "string"
          ? sessionEvents(subject).reduce(
              (current, event) => patchMessageBatch(current, event, key[3] === undefined),
              value,
            )
          : value;
      case "message":
        return isRecord(value) && typeof subject === "string"
          ? sessionEvents(subject).reduce<CrispMessage | null>(
              (current, event) => (current === null ? null : patchMessage(current, event)),
              value as unknown as CrispMessage,
            )
          : value;
      case "person":
        return isProfile(value)
          ? journal
              .eventsOf(cacheTag.person(websiteId, value.people_id.toLowerCase()))
              .reduce<CrispPeopleProfile | null>(
                (current, event) => (current === null ? null : patchPerson(current, event)),
                value,
              )
          : value;
      default:
        return value;
    }
  };
}
