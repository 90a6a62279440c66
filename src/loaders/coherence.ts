import type { CacheKey, SharedCache } from "./cache.js";

/**
 * What the gateway's own writes make stale in the shared cache: every list page of the website
 * of the kind written, because the writer reads its write back at once and expects filters and
 * ordering to show it. (What a Crisp event changes is src/events/upkeep.ts.)
 */

function isConversationOwn(key: CacheKey, sessionId: string): boolean {
  const [kind, , session] = key;
  return (
    (kind === "conversation" || kind === "messageBatch" || kind === "message") &&
    session === sessionId
  );
}

/** After the gateway wrote to a conversation or its messages. */
export function dropConversationAfterWrite(
  cache: SharedCache,
  websiteId: string,
  sessionId: string,
): number {
  return cache.drop(
    websiteId,
    (key) =>
      isConversationOwn(key, sessionId) ||
      key[0] === "conversationPage" ||
      key[0] === "personConversationPage",
  );
}

/** After the gateway wrote to a person. */
export function dropPersonAfterWrite(
  cache: SharedCache,
  websiteId: string,
  peopleId: string,
): number {
  return cache.drop(websiteId, (key) => {
    const [kind, , subject] = key;
    return (
      kind === "peoplePage" ||
      (kind === "person" && (subject === peopleId || String(subject).includes("@"))) ||
      (kind === "personConversationPage" && subject === peopleId)
    );
  });
}

/** After a website was created or deleted. */
export function dropWebsiteAfterWrite(cache: SharedCache, websiteId: string): number {
  return (
    cache.drop(websiteId, (key) => key[0] === "website") +
    cache.drop("*", (key) => key[0] === "connectedWebsites" || key[0] === "websiteExists")
  );
}
