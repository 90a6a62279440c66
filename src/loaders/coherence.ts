import type { SharedCache } from "./cache.js";
import { cacheTag } from "./cache-index.js";
import { CACHE_KINDS } from "./cache-kinds.js";

/**
 * What the gateway's own writes make stale in the shared cache, found through its index: the
 * written object, and every list page of the website of the kind written, because the writer
 * reads its write back at once and expects filters and ordering to show it. (What a Crisp
 * event changes is src/events/upkeep.ts.)
 */

/** After the gateway wrote to a conversation or its messages. */
export function dropConversationAfterWrite(
  cache: SharedCache,
  websiteId: string,
  sessionId: string,
): number {
  const own = (key: readonly unknown[]) =>
    (key[0] === "conversation" || key[0] === "messageBatch" || key[0] === "message") &&
    key[2] === sessionId;
  cache.forgetEvents(cacheTag.session(websiteId, sessionId));
  return (
    cache.dropTagged(cacheTag.session(websiteId, sessionId), own) +
    cache.dropTagged(cacheTag.kind("conversationPage", websiteId)) +
    cache.dropTagged(cacheTag.kind("personConversationPage", websiteId))
  );
}

/** After the gateway wrote to a person. */
export function dropPersonAfterWrite(
  cache: SharedCache,
  websiteId: string,
  peopleId: string,
): number {
  cache.forgetEvents(cacheTag.person(websiteId, peopleId));
  return (
    cache.dropTagged(cacheTag.kind("peoplePage", websiteId)) +
    cache.dropTagged(cacheTag.person(websiteId, peopleId)) +
    // The profile may be cached under its old email too.
    cache.dropTagged(cacheTag.kind("person", websiteId), (key) => String(key[2]).includes("@"))
  );
}

/** After a website was created or deleted. */
export function dropWebsiteAfterWrite(cache: SharedCache, websiteId: string): number {
  return (
    cache.dropTagged(cacheTag.kind("website", websiteId)) +
    cache.dropTagged(cacheTag.kind("connectedWebsites", "*")) +
    cache.dropTagged(cacheTag.kind("websiteExists", "*"))
  );
}

/** After the gateway wrote a person's custom data (or a raw write may have). */
export function dropPersonDataAfterWrite(
  cache: SharedCache,
  websiteId: string,
  peopleId: string,
): number {
  return cache.dropTagged(cacheTag.kind("personData", websiteId), (key) => key[2] === peopleId);
}

/**
 * After a raw write: it may have changed anything of the website its path names, or anything
 * outside websites for a path that names none (kept under the website "*").
 */
export function dropEverythingAfterRawWrite(cache: SharedCache, websiteId: string | null): number {
  let dropped = 0;
  for (const kind of CACHE_KINDS) {
    dropped += cache.dropTagged(cacheTag.kind(kind, websiteId ?? "*"));
  }
  return dropped;
}

/** After the plugin's settings of a website were written: they, and the installations list. */
export function dropPluginSettingsAfterWrite(cache: SharedCache, websiteId: string): number {
  return (
    cache.dropTagged(cacheTag.kind("pluginSettings", websiteId)) +
    // The installations list carries every website's settings too.
    cache.dropTagged(cacheTag.kind("connectedWebsites", "*"))
  );
}
