import { createHash } from "node:crypto";
import type { Logger } from "../logger.js";
import {
  type CrispHookEvent,
  compareEventIds,
  type EventSource,
  FIRST_EVENT_ID,
  type IncomingEvent,
} from "./event.js";
import type { IngestResult } from "./hook-route.js";
import { eventIdentity } from "./identity.js";
import { LiveHub } from "./live.js";
import { type EventLog, EventLogGap, EventLogUnavailable } from "./log.js";

/**
 * The event path of one gateway: sources -> `ingest` (dedupe and record in the event log) ->
 * the log's follower, which hands every recorded event, whichever instance recorded it, in
 * log order, first to the cache upkeep (what the event changes in what the gateway holds),
 * then to the live subscriptions.
 *
 * The second source, Crisp's RTM socket (rtm-source.ts), calls `ingest` exactly as the hook
 * route does.
 */
export interface EventPipeline {
  /**
   * Records one verified event: resolves once every instance will see it (recorded), or with
   * `duplicate` for a redelivery; rejects with `EventLogUnavailable` when it cannot be recorded
   * (the caller must not acknowledge it). `dedupeKey` defaults to the SHA-256 of the event;
   * null: a delivery that is never repeated (RTM), with nothing to recognise it by.
   */
  ingest(
    event: IncomingEvent,
    options: { source: EventSource; dedupeKey?: string | null },
  ): Promise<IngestResult>;
  log: EventLog;
  live: LiveHub;
  /**
   * Resolves once this instance has applied and delivered the event `id` (whichever instance
   * recorded it) or a later one: tests and benchmarks wait on it rather than on time.
   */
  applied(id: string): Promise<void>;
  /** Resolves once this instance has applied every event recorded so far, by any instance. */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

export interface EventPipelineOptions {
  log: EventLog;
  /** What each event does to the cache; its failure is logged and the event still delivered. */
  upkeep: (event: CrispHookEvent) => void;
  /** How long a redelivery is recognised, ms (twice the hook timestamp window). */
  dedupeTtlMs: number;
  /**
   * Two sources bring the same events (CRISP_EVENTS=both): pair their deliveries by content
   * (identity.ts), so each event is recorded once. @default false
   */
  pairSources?: boolean;
  /**
   * Told, at start-up, of the events recorded in the last `recallMs` before this instance
   * followed the log (another instance's): what the event journal must know of them.
   */
  recall?: { ms: number; event: (event: CrispHookEvent) => void };
  /**
   * The follower fell behind what the log keeps: events were trimmed before this instance
   * applied them, and what they changed must be refreshed. @default none
   */
  missed?: (gap: { after: string; until: string }) => void;
  logger: Logger;
}

export function createEventPipeline({
  log,
  upkeep,
  dedupeTtlMs,
  pairSources = false,
  recall,
  missed,
  logger,
}: EventPipelineOptions): EventPipeline {
  const live = new LiveHub(log, (error) =>
    logger.error({ err: error }, "a subscription's replay failed"),
  );
  const queue: CrispHookEvent[] = [];
  let draining = false;
  /** The newest event handed over. */
  let handled = FIRST_EVENT_ID;
  let waiters: { id: string; wake: () => void }[] = [];

  // Handed over on the next turn, never inside `append`: the hook is answered first, and
  // nothing an event does downstream can fail the recording or throw into the log.
  const drain = () => {
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      try {
        upkeep(event);
      } catch (error) {
        logger.error(
          { err: error, event: { name: event.name, websiteId: event.websiteId } },
          "a Crisp event could not be applied to the cache",
        );
      }
      try {
        live.deliver(event);
      } catch (error) {
        logger.error(
          { err: error, event: { name: event.name, websiteId: event.websiteId } },
          "a Crisp event could not be delivered to subscriptions",
        );
      }
      handled = event.id;
    }
    draining = false;
    waiters = waiters.filter((waiter) => {
      if (compareEventIds(waiter.id, handled) <= 0) {
        waiter.wake();
        return false;
      }
      return true;
    });
  };
  let following: () => void = () => undefined;
  /** Settled once the follower knows where it starts: events before it were never its own. */
  const started = new Promise<void>((resolve) => {
    following = resolve;
  });
  log.follow(
    (event) => {
      queue.push(event);
      if (!draining) {
        draining = true;
        setImmediate(drain);
      }
    },
    undefined,
    (from) => {
      if (compareEventIds(from, handled) > 0) {
        handled = from;
      }
      following();
      if (recall !== undefined && log.kind === "redis") {
        recallBefore(from, recall).catch((error: unknown) =>
          logger.warn({ err: error }, "the recent events could not be recalled"),
        );
      }
    },
    (gap) => {
      logger.warn(
        { events: gap },
        "events were trimmed from the event log before this instance applied them: refreshing what it holds",
      );
      missed?.(gap);
    },
  );

  /** Hands over the events of the last `ms` up to `until`, the follower's start. */
  async function recallBefore(
    until: string,
    { ms, event: remember }: NonNullable<EventPipelineOptions["recall"]>,
  ): Promise<void> {
    let after: string | null = `${Math.max(0, Date.now() - ms)}-0`;
    for (let page = 0; page < 20; page += 1) {
      let events: CrispHookEvent[];
      try {
        events = await log.range(after, 500);
      } catch (error) {
        if (!(error instanceof EventLogGap) || after === null) {
          throw error;
        }
        // The log does not reach back that far: all of it, then.
        after = null;
        continue;
      }
      for (const event of events) {
        if (compareEventIds(event.id, until) > 0) {
          return;
        }
        remember(event);
      }
      const last = events.at(-1);
      if (events.length < 500 || last === undefined) {
        return;
      }
      after = last.id;
    }
  }

  async function applied(id: string): Promise<void> {
    await started;
    if (compareEventIds(id, handled) > 0) {
      await new Promise<void>((wake) => {
        waiters.push({ id, wake });
      });
    }
  }

  return {
    log,
    live,
    async ingest(event, { source, dedupeKey }) {
      const key =
        dedupeKey === undefined
          ? createHash("sha256").update(JSON.stringify(event)).digest("hex")
          : dedupeKey;
      let recorded: Awaited<ReturnType<EventLog["append"]>>;
      try {
        recorded = await log.append(event, {
          key,
          ttlMs: dedupeTtlMs,
          ...(pairSources ? { pair: { content: eventIdentity(event), source } } : {}),
        });
      } catch (error) {
        logger.warn(
          { err: error, event: { name: event.name } },
          "a Crisp event could not be recorded",
        );
        throw error instanceof EventLogUnavailable ? error : new EventLogUnavailable(error);
      }
      return recorded === "duplicate"
        ? { recorded: false, duplicate: true }
        : { recorded: true, id: recorded.id };
    },
    applied,
    async caughtUp() {
      await applied(await log.latest());
    },
    async close() {
      live.close();
      waiters = [];
      await log.close();
    },
  };
}
