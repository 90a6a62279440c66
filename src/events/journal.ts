import { LRUCache } from "lru-cache";
import { type CrispHookEvent, compareEventIds } from "./event.js";

/**
 * The recent events of each conversation and person, kept a short while so that what Crisp
 * answers just after an event (its GET routes have a cache of their own, crisp-api.md §3:
 * `Bloom-Status`) and what another instance stored before it are shown with the event
 * applied. Applying an event again is harmless (src/events/patches.ts).
 */
export interface EventJournalOptions {
  /** How long an event is laid over what is loaded, ms. @default 120_000 (2 minutes) */
  maxAgeMs?: number;
  /** Events kept per conversation or person (the newest). @default 50 */
  perSubject?: number;
  /** Conversations and people followed at once (the most recently changed). @default 10_000 */
  maxSubjects?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

export class EventJournal {
  readonly #subjects: LRUCache<string, { at: number; event: CrispHookEvent }[]>;
  readonly #maxAgeMs: number;
  readonly #perSubject: number;
  readonly #now: () => number;

  constructor({
    maxAgeMs = 120_000, // 2 minutes: well past how long Crisp's GET cache lags behind an event
    perSubject = 50,
    maxSubjects = 10_000,
    now = Date.now,
  }: EventJournalOptions = {}) {
    this.#maxAgeMs = maxAgeMs;
    this.#perSubject = perSubject;
    this.#now = now;
    this.#subjects = new LRUCache({ max: maxSubjects, ttl: maxAgeMs, ttlAutopurge: false });
  }

  /** How long an event is laid over what is loaded, ms. */
  get maxAgeMs(): number {
    return this.#maxAgeMs;
  }

  /**
   * Remembers `event` under each of the cache tags of what it changes, in log order (an event
   * recalled at start-up may come after a live one).
   */
  record(tags: readonly string[], event: CrispHookEvent): void {
    const at = this.#now();
    for (const tag of tags) {
      const kept = (this.#subjects.get(tag) ?? []).filter((item) => at - item.at < this.#maxAgeMs);
      if (kept.some((item) => item.event.id === event.id)) {
        continue;
      }
      let index = kept.length;
      while (index > 0 && compareEventIds(kept[index - 1]?.event.id ?? "0-0", event.id) > 0) {
        index -= 1;
      }
      kept.splice(index, 0, { at, event });
      this.#subjects.set(tag, kept.slice(-this.#perSubject));
    }
  }

  /** The recent events under `tag`, oldest first. */
  eventsOf(tag: string): CrispHookEvent[] {
    const kept = this.#subjects.get(tag);
    if (kept === undefined) {
      return [];
    }
    const oldest = this.#now() - this.#maxAgeMs;
    return kept.filter((item) => item.at >= oldest).map((item) => item.event);
  }

  /** Forgets `tag`'s events: a write's read-back must show the write, not older events. */
  forget(tag: string): void {
    this.#subjects.delete(tag);
  }
}
