import type { CrispConversation, CrispMessage, CrispPeopleProfile } from "../crisp/types.js";
import type { CachedEntry, SharedCache } from "../loaders/cache.js";
import { cacheTag } from "../loaders/cache-index.js";
import type { CacheKey } from "../loaders/cache-kinds.js";
import { isBatch, isConversation, isProfile, isRecord } from "./cached-shapes.js";
import type { CrispHookEvent } from "./event.js";
import type { EventJournal } from "./journal.js";
import { type PageEntry, pageParams, pageWithChange, pageWithout } from "./pages.js";
import {
  bumpOf,
  isMessageEvent,
  isSessionEvent,
  lastMessageExcerpt,
  patchConversation,
  patchMessage,
  patchMessageBatch,
  patchPerson,
} from "./patches.js";

/**
 * What each Crisp event does to the shared cache (the table is docs/events.md): the cached
 * objects it changes are patched from what it carries, found through the cache's index (by
 * conversation, person, kind and website: never a scan of the cache); only what it cannot
 * patch is dropped; events that change nothing the gateway serves change nothing. Every event
 * is also journaled, so a load that lands after it shows it (`overlayEvents`, overlay.ts); list
 * pages follow pages.ts.
 */

/** The cache tags of what an event is about: its conversation, its person. */
export function subjectTags(event: CrispHookEvent): string[] {
  const tags: string[] = [];
  if (event.sessionId !== null) {
    tags.push(cacheTag.session(event.websiteId, event.sessionId));
  }
  const peopleId = peopleIdOf(event);
  if (peopleId !== undefined) {
    tags.push(cacheTag.person(event.websiteId, peopleId));
  }
  return tags;
}

function peopleIdOf(event: CrispHookEvent): string | undefined {
  const value = event.data.people_id;
  return typeof value === "string" && value !== "" ? value.toLowerCase() : undefined;
}

/** Applies one event to the cache; returns how many entries it patched or dropped. */
export function applyEventToCache(
  cache: SharedCache,
  journal: EventJournal,
  event: CrispHookEvent,
): number {
  if (typeof event.name !== "string" || typeof event.websiteId !== "string") {
    throw new TypeError("not an event: name and websiteId must be strings");
  }
  journal.record(subjectTags(event), event);
  const { name } = event;
  if (name === "plugin:subscription:updated") {
    // The installations changed; the event does not carry the website's token or settings.
    return cache.dropTagged(cacheTag.kind("connectedWebsites", "*"));
  }
  if (name.startsWith("people:")) {
    return applyPeopleEvent(cache, event);
  }
  if (event.sessionId !== null && (isSessionEvent(name) || isMessageEvent(name))) {
    return applySessionEvent(cache, event, event.sessionId);
  }
  return 0;
}

function applySessionEvent(cache: SharedCache, event: CrispHookEvent, sessionId: string): number {
  const { websiteId, name } = event;
  const own = cache.tagged(cacheTag.session(websiteId, sessionId));
  let changed = 0;
  if (name === "session:removed") {
    for (const entry of own) {
      cache.dropKey(entry.key);
      changed += 1;
    }
    return changed;
  }
  if (name === "message:updated" || name === "message:removed") {
    changed += applyToMessages(cache, own, event);
    const last = lastMessageChange(own, event);
    if (last === "unknown") {
      // Whether it was the conversation's last message is unknown: its excerpt may be stale.
      for (const entry of own) {
        if (entry.key[0] === "conversation" || entry.key[0] === "conversationPage") {
          cache.dropKey(entry.key);
          changed += 1;
        }
      }
      return changed;
    }
    return last === undefined ? changed : changed + applyToConversations(cache, own, event, last);
  }
  if (name === "message:send" || name === "message:received") {
    changed += applyToMessages(cache, own, event);
  }
  changed += applyToConversations(cache, own, event, undefined);
  if (name === "people:bind:session") {
    const peopleId = peopleIdOf(event);
    if (peopleId !== undefined) {
      changed += cache.dropTagged(
        cacheTag.person(websiteId, peopleId),
        (key) => key[0] === "personConversationPage",
      );
    }
  }
  return changed;
}

/** Message batches and single messages of the conversation. */
function applyToMessages(cache: SharedCache, own: CachedEntry[], event: CrispHookEvent): number {
  let changed = 0;
  for (const { key, value } of own) {
    if (key[0] === "messageBatch" && isBatch(value)) {
      const patched = patchMessageBatch(value, event, key[3] === undefined);
      if (patched !== value) {
        cache.replace(key, patched);
        changed += 1;
      }
    } else if (key[0] === "message" && isRecord(value)) {
      const message = value as unknown as CrispMessage;
      const patched = patchMessage(message, event);
      if (patched !== message) {
        cache.replace(key, patched);
        changed += 1;
      }
    }
  }
  return changed;
}

/**
 * What an update or removal does to the conversation's excerpt of its last message, told by
 * the newest cached batch: a new excerpt (null: none left), undefined (not the last message),
 * or "unknown" (no newest batch cached).
 */
function lastMessageChange(
  own: CachedEntry[],
  event: CrispHookEvent,
): string | null | undefined | "unknown" {
  const holds = own.some(
    (entry) => entry.key[0] === "conversation" || entry.key[0] === "conversationPage",
  );
  if (!holds) {
    return undefined;
  }
  const newest = own.find((entry) => entry.key[0] === "messageBatch" && entry.key[3] === undefined);
  if (newest === undefined || !isBatch(newest.value)) {
    return "unknown";
  }
  const messages = newest.value.messages;
  const last = messages.at(-1);
  if (last === undefined || last.fingerprint !== event.data.fingerprint) {
    return undefined;
  }
  if (event.name === "message:removed") {
    const previous = messages.at(-2);
    return previous === undefined ? null : lastMessageExcerpt(previous);
  }
  const patched = patchMessage(last, event);
  return patched === null ? null : lastMessageExcerpt(patched);
}

/**
 * The conversation itself and the list pages: patched where they hold it; reordered or
 * dropped where the change may move it within or into a page (docs/events.md).
 */
function applyToConversations(
  cache: SharedCache,
  own: CachedEntry[],
  event: CrispHookEvent,
  excerpt: string | null | undefined,
): number {
  const sessionId = event.sessionId ?? "";
  const patch = (conversation: CrispConversation): CrispConversation | null => {
    if (excerpt === undefined) {
      return patchConversation(conversation, event);
    }
    const next = { ...conversation };
    if (excerpt === null) {
      delete next.last_message;
    } else {
      next.last_message = excerpt;
    }
    return next.last_message === conversation.last_message ? conversation : next;
  };
  let changed = 0;
  let latest: CrispConversation | undefined;
  for (const { key, value } of own) {
    if (key[0] === "conversation" && isConversation(value)) {
      const patched = patch(value);
      if (patched !== value) {
        cache.replace(key, patched);
        changed += 1;
      }
      latest = patched ?? undefined;
    }
  }
  const bump = excerpt === undefined ? bumpOf(event) : undefined;
  // The pages holding it first: a patched copy there is what pages not holding it may insert.
  const pages = cache
    .tagged(cacheTag.kind("conversationPage", event.websiteId))
    .map((entry) => ({ ...entry, params: pageParams(entry.key) }))
    .filter((entry): entry is PageEntry => entry.params !== null && Array.isArray(entry.value));
  const holding = (page: PageEntry) =>
    (page.value as CrispConversation[]).findIndex((item) => item.session_id === sessionId);
  for (const page of pages) {
    const items = page.value as CrispConversation[];
    const index = holding(page);
    const item = items[index];
    if (item === undefined) {
      continue;
    }
    const patched = patch(item);
    if (patched === item) {
      continue;
    }
    latest ??= patched ?? undefined;
    const next = patched === null ? null : pageWithChange(page, items, index, patched);
    if (next === null) {
      cache.dropKey(page.key);
    } else {
      cache.replace(page.key, next);
    }
    changed += 1;
  }
  for (const page of pages) {
    if (holding(page) >= 0) {
      continue;
    }
    const next = pageWithout(page, event, bump, latest);
    if (next === null) {
      cache.dropKey(page.key);
      changed += 1;
    } else if (next !== page.value) {
      cache.replace(page.key, next);
      changed += 1;
    }
  }
  return changed;
}

/**
 * A people page whose membership and order cannot depend on a profile's fields: nothing but
 * its page and size (a search, a filter or a sort on a field may take a profile in or out, or
 * move it, when the profile changes).
 */
function plainPeoplePage(key: CacheKey): boolean {
  const params = pageParams(key) as unknown as Record<string, unknown> | null;
  return (
    params !== null &&
    Object.entries(params).every(
      ([name, value]) => value === undefined || name === "page" || name === "perPage",
    )
  );
}

function applyPeopleEvent(cache: SharedCache, event: CrispHookEvent): number {
  const { websiteId, name } = event;
  const peopleId = peopleIdOf(event);
  const email = typeof event.data.email === "string" ? event.data.email : undefined;
  if (name === "people:bind:session") {
    return event.sessionId === null ? 0 : applySessionEvent(cache, event, event.sessionId);
  }
  let changed = 0;
  if (name === "people:profile:created" || name === "people:import:done") {
    // A new profile: pages of people may now hold it, and "no one with this email" is wrong.
    changed += cache.dropTagged(cacheTag.kind("peoplePage", websiteId));
    if (email !== undefined) {
      changed += cache.dropTagged(cacheTag.email(websiteId, email));
    }
    return changed;
  }
  if (peopleId === undefined) {
    return 0;
  }
  const tag = cacheTag.person(websiteId, peopleId);
  if (name === "people:profile:removed" || name === "people:sync:profile") {
    // Removed; or synced from elsewhere without saying what changed.
    changed += cache.dropTagged(tag);
    if (email !== undefined) {
      changed += cache.dropTagged(cacheTag.email(websiteId, email));
    }
    return changed;
  }
  if (name !== "people:profile:updated") {
    return 0;
  }
  for (const { key, value } of cache.tagged(tag)) {
    if (key[0] === "person" && isProfile(value)) {
      const patched = patchPerson(value, event);
      const keyedByEmail = String(key[2]).includes("@");
      if (
        patched === null ||
        (keyedByEmail &&
          (typeof patched.email === "string" ? patched.email.toLowerCase() : undefined) !==
            String(key[2]).toLowerCase())
      ) {
        // Known by an email it no longer has.
        cache.dropKey(key);
        changed += 1;
      } else if (patched !== value) {
        cache.replace(key, patched);
        changed += 1;
      }
    } else if (key[0] === "peoplePage" && Array.isArray(value)) {
      if (!plainPeoplePage(key)) {
        // Its order or membership may depend on what changed.
        cache.dropKey(key);
        changed += 1;
        continue;
      }
      const next = (value as CrispPeopleProfile[]).map((item) =>
        item.people_id === peopleId ? (patchPerson(item, event) ?? item) : item,
      );
      cache.replace(key, next);
      changed += 1;
    }
  }
  const newEmail = event.data.update;
  if (isRecord(newEmail) && typeof newEmail.email === "string") {
    changed += cache.dropTagged(
      cacheTag.email(websiteId, newEmail.email),
      (_key, value) => value === null,
    );
  }
  return changed;
}
