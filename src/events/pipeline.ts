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
import { LiveHub } from "./live.js";
import { type EventLog, EventLogUnavailable } from "./log.js";

/**
 * The event path of one gateway: sources -> `ingest` (dedupe and record in the event log) ->
 * the log's follower, which hands every recorded event, whichever instance recorded it, in
 * log order, first to the cache upkeep (what the event changes in what the gateway holds),
 * then to the live subscriptions.
 *
 * A second source (Crisp's RTM socket) calls `ingest` exactly as the hook route does.
 */
export interface EventPipeline {
  /**
   * Records one verified event: resolves once every instance will see it (recorded), or with
   * `duplicate` for a redelivery; rejects with `EventLogUnavailable` when it cannot be recorded
   * (the caller must not acknowledge it). `dedupeKey` defaults to the SHA-256 of the event.
   */
  ingest(
    event: IncomingEvent,
    options: { source: EventSource; dedupeKey?: string },
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
  logger: Logger;
}

export function createEventPipeline({
  log,
  upkeep,
  dedupeTtlMs,
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
  log.follow((event) => {
    queue.push(event);
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  });

  function applied(id: string): Promise<void> {
    return compareEventIds(id, handled) <= 0
      ? Promise.resolve()
      : new Promise((wake) => {
          waiters.push({ id, wake });
        });
  }

  return {
    log,
    live,
    async ingest(event, { dedupeKey }) {
      const key = dedupeKey ?? createHash("sha256").update(JSON.stringify(event)).digest("hex");
      let recorded: Awaited<ReturnType<EventLog["append"]>>;
      try {
        recorded = await log.append(event, { key, ttlMs: dedupeTtlMs });
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
