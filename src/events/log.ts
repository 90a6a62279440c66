import { LRUCache } from "lru-cache";
import {
  type CrispHookEvent,
  compareEventIds,
  type EventSource,
  FIRST_EVENT_ID,
  type IncomingEvent,
  parseEventId,
} from "./event.js";

/**
 * The event log: every verified event, recorded before the hook that brought it is
 * acknowledged, given an id, kept for a bounded time, and followed by every instance. In
 * memory for one instance (this file); in a Redis Stream with REDIS_URL (`redis-log.ts`).
 *
 * Deduplication is part of appending: the check and the record are one step, so a failure
 * between them can neither lose an event (marked as seen, never recorded) nor record it
 * twice. In Redis both happen in one script.
 */
export interface EventLog {
  readonly kind: "memory" | "redis";
  /**
   * Records `event` unless `dedupe.key` was recorded within `dedupe.ttlMs`: the recorded event
   * (with its id), or "duplicate". Rejects when the event cannot be recorded (Redis away):
   * nothing was recorded, and nothing marks the key as seen.
   */
  append(event: IncomingEvent, dedupe: Dedupe): Promise<CrispHookEvent | "duplicate">;
  /**
   * Recorded events after `after` (exclusive; null: from the oldest kept), oldest first, at
   * most `limit`. Throws `EventLogGap` when events after `after` may no longer be kept.
   */
  range(after: string | null, limit: number): Promise<CrispHookEvent[]>;
  /** The newest recorded id (FIRST_EVENT_ID when none). */
  latest(): Promise<string>;
  /**
   * The id every kept event is after: an `after` at or past it loses nothing. A feed read
   * from the start of retention begins there.
   */
  floor(): Promise<string>;
  /**
   * Calls `listener` with every event recorded from now on, by any instance, in id order,
   * starting after `from` (default: the newest id now), and `onStart` once with the id it
   * follows from. One follower per log. `onGap` is told when the follower fell so far behind
   * that events after `after`, up to `until`, were trimmed before it read them (another
   * instance kept appending while this one could not read): what they changed must be
   * refreshed. The memory log hands each event over as it is recorded and never tells it.
   */
  follow(
    listener: (event: CrispHookEvent) => void,
    from?: string,
    onStart?: (from: string) => void,
    onGap?: (gap: { after: string; until: string }) => void,
  ): void;
  /** Why events cannot be recorded or followed now, for /ready; undefined while they can. */
  problem(): string | undefined;
  close(): Promise<void>;
}

/**
 * How an append recognises an event already recorded: its redelivery `key` (a hook body's
 * hash; null for a delivery that is never repeated, an RTM socket event, so nothing is kept
 * for it that could push a hook's key out of the memory log's bounded set), and, with two
 * sources on (CRISP_EVENTS=both), `pair`: the content identity (identity.ts) and the source. Each source counts its own deliveries of a content; the n-th
 * of one source and the n-th of the other are one event, recorded once. Both are remembered
 * for `ttlMs`.
 */
export interface Dedupe {
  key: string | null;
  ttlMs: number;
  pair?: { content: string; source: EventSource };
}

/** Events after the given id may have been dropped by retention (or lost): resync. */
export class EventLogGap extends Error {
  constructor(readonly after: string) {
    super(`Events after ${after} are no longer kept.`);
    this.name = "EventLogGap";
  }
}

/** An event could not be recorded; the hook route answers 503 so Crisp retries it. */
export class EventLogUnavailable extends Error {
  constructor(cause: unknown) {
    super("The event log cannot record events now.", { cause });
    this.name = "EventLogUnavailable";
  }
}

export interface EventLogOptions {
  /**
   * Most events kept; the oldest go first (a Redis Stream's `MAXLEN ~`, so Redis may keep a
   * few more). @default 20_000
   */
  maxEvents?: number;
  /** Longest an event is kept, ms. @default 86_400_000 (24 hours) */
  maxAgeMs?: number;
  /** The clock, injectable for tests. @default Date.now */
  now?: () => number;
}

/**
 * A bounded in-memory log for one instance: a ring of the newest `maxEvents`, each dropped
 * after `maxAgeMs`, ids `<ms>-<seq>` as Redis makes them. A restart loses it: an `after`
 * from before the restart fails as a gap rather than silently missing events.
 */
export function createMemoryEventLog({
  maxEvents = 20_000,
  maxAgeMs = 86_400_000, // 24 hours
  now = Date.now,
}: EventLogOptions = {}): EventLog {
  const events: CrispHookEvent[] = [];
  /** Where history begins: ids before it were never recorded here (another process's). */
  const origin = `${now()}-0`;
  /** The newest id dropped by retention: everything after it is still here. */
  let dropped = FIRST_EVENT_ID;
  let last = FIRST_EVENT_ID;
  let listener: ((event: CrispHookEvent) => void) | undefined;
  let closed = false;
  const seen = new LRUCache<string, true>({ max: 100_000, ttlAutopurge: false });
  /** Deliveries of each content per source (`Dedupe.pair`). */
  const counts = new LRUCache<string, number>({ max: 100_000, ttlAutopurge: false });

  const trim = () => {
    const oldest = now() - maxAgeMs;
    let cut = 0;
    while (
      cut < events.length &&
      (events.length - cut > maxEvents || (parseEventId(events[cut]?.id ?? "")?.[0] ?? 0) < oldest)
    ) {
      cut += 1;
    }
    if (cut > 0) {
      dropped = events[cut - 1]?.id ?? dropped;
      events.splice(0, cut);
    }
  };

  const nextId = () => {
    const [lastMs = 0, lastSeq = 0] = parseEventId(last) ?? [];
    const ms = Math.max(now(), lastMs);
    return ms === lastMs ? `${ms}-${lastSeq + 1}` : `${ms}-0`;
  };

  /** Index of the first event after `id` (binary search: ids only grow). */
  const firstAfter = (id: string) => {
    let low = 0;
    let high = events.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compareEventIds(events[middle]?.id ?? FIRST_EVENT_ID, id) <= 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  };

  return {
    kind: "memory",
    async append(incoming, dedupe) {
      if (closed) {
        throw new EventLogUnavailable(new Error("closed"));
      }
      if (dedupe.key !== null) {
        if (seen.has(dedupe.key)) {
          return "duplicate";
        }
        seen.set(dedupe.key, true, { ttl: dedupe.ttlMs });
      }
      if (dedupe.pair !== undefined) {
        const { content, source } = dedupe.pair;
        const counter = `${source}|${content}`;
        const occurrence = (counts.get(counter) ?? 0) + 1;
        counts.set(counter, occurrence, { ttl: dedupe.ttlMs });
        const paired = `pair|${content}|${occurrence}`;
        if (seen.has(paired)) {
          return "duplicate";
        }
        seen.set(paired, true, { ttl: dedupe.ttlMs });
      }
      const event: CrispHookEvent = { id: nextId(), ...incoming };
      last = event.id;
      events.push(event);
      trim();
      listener?.(event);
      return event;
    },
    async range(after, limit) {
      trim();
      if (
        after !== null &&
        (compareEventIds(after, origin) < 0 || compareEventIds(after, dropped) < 0)
      ) {
        throw new EventLogGap(after);
      }
      const start = after === null ? 0 : firstAfter(after);
      return events.slice(start, start + limit);
    },
    async latest() {
      return last;
    },
    async floor() {
      trim();
      return compareEventIds(dropped, origin) > 0 ? dropped : origin;
    },
    follow(follower, _from, onStart) {
      listener = follower;
      onStart?.(last);
    },
    problem: () => undefined,
    async close() {
      closed = true;
      listener = undefined;
    },
  };
}
