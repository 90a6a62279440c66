import { Channel } from "./channel.js";
import { type CrispHookEvent, compareEventIds } from "./event.js";
import { type EventLog, EventLogGap } from "./log.js";

/**
 * The live side of the event log: every subscription of this instance registers here once,
 * and each event the log's follower hands over reaches, in log order, only the subscriptions
 * whose website and filter it matches (an index by website: an event never wakes the
 * subscriptions of other websites). With `after`, a subscription first gets the recorded
 * events after that id, then the live ones, with no gap and no duplicate.
 */

/** What a subscription wants to receive. */
export interface LiveFilter {
  /** One website, or every website `visible` allows. */
  websiteId: string | null;
  /** The viewer's websites (checked for each event when `websiteId` is null). */
  visible: (websiteId: string) => boolean;
  /** The subscription's own filter (event names, a conversation). */
  accept: (event: CrispHookEvent) => boolean;
}

/** What a subscription receives: an event, or word that it fell too far behind and ends. */
export type LiveItem =
  | { kind: "event"; event: CrispHookEvent }
  | { kind: "behind"; lastDelivered: string | null };

/**
 * Events a subscription may have waiting before it is ended as too slow (each is a few KiB:
 * 1,000 bound a subscriber's backlog to a few MiB). It ends with word of the last event it
 * got, to resume from with `after`.
 */
export const MAX_PENDING_EVENTS = 1_000;
/** Recorded events read per step of a replay. */
const REPLAY_PAGE = 500;

interface Subscriber {
  filter: LiveFilter;
  channel: Channel<LiveItem>;
  /** While the replay runs, live events wait here. */
  buffered: CrispHookEvent[] | null;
  /** The newest event id handed to the channel. */
  last: string | null;
}

export class LiveHub {
  readonly #byWebsite = new Map<string, Set<Subscriber>>();
  readonly #everyWebsite = new Set<Subscriber>();
  readonly #log: EventLog;
  readonly #onError: (error: unknown) => void;
  #count = 0;

  constructor(log: EventLog, onError: (error: unknown) => void) {
    this.#log = log;
    this.#onError = onError;
  }

  /** Subscriptions registered now. */
  get size(): number {
    return this.#count;
  }

  /**
   * Registers a subscription, live at once. With `after`, the recorded events after it come
   * first; an `after` older than what the log keeps rejects with `EventLogGap` before anything
   * is delivered.
   */
  async subscribe(
    filter: LiveFilter,
    after: string | null,
  ): Promise<AsyncIterableIterator<LiveItem>> {
    const subscriber: Subscriber = {
      filter,
      channel: new Channel<LiveItem>(MAX_PENDING_EVENTS, () => this.#remove(subscriber)),
      buffered: after === null ? null : [],
      last: after,
    };
    this.#add(subscriber);
    if (after !== null) {
      let first: CrispHookEvent[];
      try {
        // Registered first, then read: an event recorded meanwhile is buffered, not missed.
        first = await this.#log.range(after, REPLAY_PAGE);
      } catch (error) {
        await subscriber.channel.return();
        throw error;
      }
      this.#replay(subscriber, first).catch((error: unknown) => {
        if (!(error instanceof EventLogGap)) {
          this.#onError(error);
        }
        this.#behind(subscriber);
      });
    }
    return subscriber.channel;
  }

  /** Hands one event, in log order, to every subscription it concerns. */
  deliver(event: CrispHookEvent): void {
    const concerned = this.#byWebsite.get(event.websiteId);
    if (concerned !== undefined) {
      for (const subscriber of concerned) {
        this.#offer(subscriber, event);
      }
    }
    for (const subscriber of this.#everyWebsite) {
      if (subscriber.filter.visible(event.websiteId)) {
        this.#offer(subscriber, event);
      }
    }
  }

  /** Ends every subscription (the gateway stops). */
  close(): void {
    for (const subscriber of [
      ...this.#everyWebsite,
      ...[...this.#byWebsite.values()].flatMap((set) => [...set]),
    ]) {
      subscriber.channel.end();
    }
  }

  #offer(subscriber: Subscriber, event: CrispHookEvent): void {
    if (!subscriber.filter.accept(event)) {
      return;
    }
    if (subscriber.buffered !== null) {
      subscriber.buffered.push(event);
      if (subscriber.buffered.length > MAX_PENDING_EVENTS) {
        this.#behind(subscriber);
      }
      return;
    }
    if (subscriber.last !== null && compareEventIds(event.id, subscriber.last) <= 0) {
      return;
    }
    if (!subscriber.channel.push({ kind: "event", event })) {
      this.#behind(subscriber);
      return;
    }
    subscriber.last = event.id;
  }

  /** Replays recorded events (waiting for the reader), then the buffered live ones. */
  async #replay(subscriber: Subscriber, first: CrispHookEvent[]): Promise<void> {
    let page = first;
    for (;;) {
      for (const event of page) {
        if (subscriber.channel.closed) {
          return;
        }
        if (this.#matches(subscriber.filter, event)) {
          await subscriber.channel.room();
          subscriber.channel.push({ kind: "event", event });
        }
        subscriber.last = event.id;
      }
      const last = page.at(-1);
      if (page.length < REPLAY_PAGE || last === undefined) {
        break;
      }
      page = await this.#log.range(last.id, REPLAY_PAGE);
    }
    const buffered = subscriber.buffered ?? [];
    subscriber.buffered = null;
    for (const event of buffered) {
      this.#offer(subscriber, event);
    }
  }

  #matches(filter: LiveFilter, event: CrispHookEvent): boolean {
    const website =
      filter.websiteId === null
        ? filter.visible(event.websiteId)
        : filter.websiteId === event.websiteId;
    return website && filter.accept(event);
  }

  #behind(subscriber: Subscriber): void {
    subscriber.buffered = null;
    subscriber.channel.pushLast({ kind: "behind", lastDelivered: subscriber.last });
    subscriber.channel.end();
    this.#remove(subscriber);
  }

  #add(subscriber: Subscriber): void {
    const { websiteId } = subscriber.filter;
    if (websiteId === null) {
      this.#everyWebsite.add(subscriber);
    } else {
      let set = this.#byWebsite.get(websiteId);
      if (set === undefined) {
        set = new Set();
        this.#byWebsite.set(websiteId, set);
      }
      set.add(subscriber);
    }
    this.#count += 1;
  }

  #remove(subscriber: Subscriber): void {
    const { websiteId } = subscriber.filter;
    const removed =
      websiteId === null
        ? this.#everyWebsite.delete(subscriber)
        : (this.#byWebsite.get(websiteId)?.delete(subscriber) ?? false);
    if (websiteId !== null && this.#byWebsite.get(websiteId)?.size === 0) {
      this.#byWebsite.delete(websiteId);
    }
    if (removed) {
      this.#count -= 1;
    }
  }
}
