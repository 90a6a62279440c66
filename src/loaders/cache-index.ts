import type { CacheKey, CacheKind } from "./cache-kinds.js";

/**
 * The shared cache's index: the tags of an entry (its kind and website, and the conversations
 * and people it holds: a list page holds each of its items), through which what an event or a
 * write changes is found without a scan of the cache.
 */

/** The index's tags: by kind and website, by conversation, by person, by email. */
export const cacheTag = {
  kind: (kind: CacheKind, websiteId: string) => `k:${kind}|${websiteId}`,
  session: (websiteId: string, sessionId: string) => `s:${websiteId}|${sessionId}`,
  person: (websiteId: string, peopleId: string) => `p:${websiteId}|${peopleId}`,
  email: (websiteId: string, email: string) => `e:${websiteId}|${email.toLowerCase()}`,
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * An entry's tags: its kind and website, and the conversations and people it holds (a list
 * page holds each of its items), so what an event changes is found without a scan.
 */
export function tagsOf(key: CacheKey, value: unknown): string[] {
  const [kind, websiteId, subject] = key;
  const tags = new Set([cacheTag.kind(kind, websiteId)]);
  const items = Array.isArray(value) ? value : [];
  const addItems = (field: "session_id" | "people_id", make: (id: string) => string) => {
    for (const item of items) {
      const id = typeof item === "string" ? item : isRecord(item) ? item[field] : undefined;
      if (typeof id === "string") {
        tags.add(make(id));
      }
    }
  };
  const session = (id: string) => cacheTag.session(websiteId, id);
  const person = (id: string) => cacheTag.person(websiteId, id);
  switch (kind) {
    case "conversation":
    case "messageBatch":
    case "message":
      if (typeof subject === "string") {
        tags.add(session(subject));
      }
      break;
    case "conversationPage":
    case "visitorPage":
      addItems("session_id", session);
      break;
    case "personConversationPage":
      if (typeof subject === "string") {
        tags.add(person(subject));
      }
      addItems("session_id", session);
      break;
    case "personData":
      // A person's custom data goes with the person (dropped when the profile is removed).
      if (typeof subject === "string") {
        tags.add(person(subject));
      }
      break;
    case "person":
      if (isRecord(value) && typeof value.people_id === "string") {
        tags.add(person(value.people_id));
      }
      if (typeof subject === "string") {
        tags.add(subject.includes("@") ? cacheTag.email(websiteId, subject) : person(subject));
      }
      break;
    case "peoplePage":
      addItems("people_id", person);
      break;
    default:
      break;
  }
  return [...tags];
}

/** tag -> ids of the entries carrying it, and back: kept by the cache as entries come and go. */
export class TagIndex {
  readonly #byTag = new Map<string, Set<string>>();
  readonly #tagsOf = new Map<string, readonly string[]>();

  /** The ids of the entries carrying `tag` (live: copy before changing the cache). */
  ids(tag: string): ReadonlySet<string> | undefined {
    return this.#byTag.get(tag);
  }

  /** (Re-)indexes the entry `id` under the tags of its key and value. */
  tag(id: string, key: CacheKey, value: unknown): void {
    this.untag(id);
    const tags = tagsOf(key, value);
    this.#tagsOf.set(id, tags);
    for (const tag of tags) {
      let ids = this.#byTag.get(tag);
      if (ids === undefined) {
        ids = new Set();
        this.#byTag.set(tag, ids);
      }
      ids.add(id);
    }
  }

  /** Forgets the entry `id`. */
  untag(id: string): void {
    const tags = this.#tagsOf.get(id);
    if (tags === undefined) {
      return;
    }
    this.#tagsOf.delete(id);
    for (const tag of tags) {
      const ids = this.#byTag.get(tag);
      ids?.delete(id);
      if (ids?.size === 0) {
        this.#byTag.delete(tag);
      }
    }
  }
}
