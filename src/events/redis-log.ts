import type { Redis } from "ioredis";
import { closeRedis, openRedis, type RedisReport, redisProblem } from "../redis.js";
import {
  type CrispHookEvent,
  compareEventIds,
  FIRST_EVENT_ID,
  type IncomingEvent,
  parseEventId,
} from "./event.js";
import { type EventLog, EventLogGap, type EventLogOptions, EventLogUnavailable } from "./log.js";

/**
 * The event log in a Redis Stream, one per token scope, shared by every instance:
 *
 * - append: one script checks the redelivery key (`SET NX PX`) and records the event
 *   (`XADD … MAXLEN ~ maxEvents`) together, so no failure can leave one without the other;
 * - follow: `XREAD BLOCK` on a connection of its own, from the last id it read, so after
 *   Redis comes back it reads on from where it was, missing nothing the stream kept;
 * - replay and the change feed: `XRANGE` after an id, exclusive.
 *
 * Keys share the hash tag `{scope}` (one Redis Cluster slot, as the script needs):
 * `crisp-gateway:{scope}:events` (the stream), `…:events:origin` (where its history begins:
 * an `after` before it is from a stream Redis lost), `…:hook:<sha256>`, and with both sources
 * on, `…:count:<source>:<content>` and `…:pair:<content>:<n>` (log.ts `Dedupe.pair`).
 * Events older than `maxAgeMs` are trimmed once a minute (`XTRIM MINID ~`). With a Redis
 * that persists nothing, a Redis restart loses the stream: run it with AOF when resuming
 * across restarts matters (docs/configuration.md).
 */

const APPEND = `
if ARGV[4] == '1' and not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return false
end
if #KEYS > 3 then
  local occurrence = redis.call('INCR', KEYS[4])
  redis.call('PEXPIRE', KEYS[4], ARGV[1])
  if not redis.call('SET', KEYS[5] .. ':' .. occurrence, '1', 'NX', 'PX', ARGV[1]) then
    return false
  end
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[3])
redis.call('SET', KEYS[3], id, 'NX')
return id
`;

/** Stream entries read per XREAD and per XRANGE step. */
const READ_COUNT = 500;
/** How long one XREAD blocks, ms: short enough that a closing log is not held up long. */
const BLOCK_MS = 5_000;
/** How often events past `maxAgeMs` are trimmed, ms. */
const TRIM_EVERY_MS = 60_000;

export interface RedisEventLogOptions extends EventLogOptions {
  redisUrl: string;
  /** Separates tokens: `identifier:tier`. */
  scope: string;
  /** Connection trouble (lost, back); never a URL. @default one line on stderr each */
  report?: RedisReport;
  /** An entry the follower could not read (another version's shape). @default console.error */
  onError?: (error: unknown) => void;
}

/** Connects (rejecting when Redis cannot be reached) and returns the log. */
export async function createRedisEventLog({
  redisUrl,
  scope,
  maxEvents = 20_000,
  maxAgeMs = 86_400_000, // 24 hours
  now = Date.now,
  report,
  onError = (error) => console.error("Redis event log:", error),
}: RedisEventLogOptions): Promise<EventLog> {
  const writer = await openRedis(redisUrl, "event log", "command", report);
  let reader: Redis;
  try {
    reader = await openRedis(redisUrl, "event log reader", "blocking", report);
  } catch (error) {
    writer.disconnect();
    throw error;
  }
  const prefix = `crisp-gateway:{${scope}}`;
  const stream = `${prefix}:events`;
  const originKey = `${prefix}:events:origin`;
  // Where this stream's history begins, unless another instance said so already. Lost with
  // Redis's data: the next event sets it again, and an `after` from before fails as a gap.
  await writer.set(originKey, `${now()}-0`, "NX").catch(() => undefined);
  let closed = false;
  /** Cuts the follower's waits short when the log closes. */
  const closing = new AbortController();
  let following: Promise<void> | undefined;

  const trimmer = setInterval(() => {
    writer.xtrim(stream, "MINID", "~", `${now() - maxAgeMs}-0`).catch(() => undefined);
  }, TRIM_EVERY_MS);
  trimmer.unref();

  const toEvent = (id: string, fields: string[]): CrispHookEvent | null => {
    const at = fields.indexOf("event");
    const text = at >= 0 ? fields[at + 1] : undefined;
    if (text === undefined) {
      return null;
    }
    const stored = JSON.parse(text) as IncomingEvent;
    if (typeof stored.name !== "string" || typeof stored.websiteId !== "string") {
      return null;
    }
    return {
      id,
      name: stored.name,
      websiteId: stored.websiteId,
      sessionId: typeof stored.sessionId === "string" ? stored.sessionId : null,
      data: typeof stored.data === "object" && stored.data !== null ? stored.data : {},
      timestamp: typeof stored.timestamp === "number" ? stored.timestamp : 0,
    };
  };

  const entries = (reply: [string, string[]][]): CrispHookEvent[] => {
    const events: CrispHookEvent[] = [];
    for (const [id, fields] of reply) {
      try {
        const event = toEvent(id, fields);
        if (event !== null) {
          events.push(event);
        }
      } catch (error) {
        onError(error);
      }
    }
    return events;
  };

  const latest = async () => {
    const [newest] = await writer.xrevrange(stream, "+", "-", "COUNT", 1);
    return newest?.[0] ?? FIRST_EVENT_ID;
  };

  /**
   * The newest id an `after` may be at and lose nothing: once anything was trimmed, the one
   * just before the first entry kept. (Not XINFO's max-deleted-entry-id: `MAXLEN` and `MINID`
   * trimming leave it at 0-0.) An `after` whose own entry was trimmed is below it even when
   * its successor is the first kept: nothing records that, so it counts as a gap.
   */
  const trimFloor = async (): Promise<string> => {
    let info: unknown[];
    try {
      info = (await writer.xinfo("STREAM", stream)) as unknown[];
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) {
        return FIRST_EVENT_ID;
      }
      throw error;
    }
    const field = (name: string) => {
      const at = info.indexOf(name);
      return at >= 0 ? info[at + 1] : undefined;
    };
    const length = Number(field("length"));
    // Redis 7 counts every entry ever added; before it, a stream at its bound is assumed trimmed.
    const added = field("entries-added");
    const trimmed = added === undefined ? length >= maxEvents : Number(added) > length;
    const first = field("first-entry");
    const kept =
      Array.isArray(first) && typeof first[0] === "string" ? parseEventId(first[0]) : null;
    if (!trimmed || kept === null) {
      return FIRST_EVENT_ID;
    }
    const [ms, seq] = kept;
    // The largest sequence an event id may have (event.ts reads at most 15 digits).
    return seq > 0 ? `${ms}-${seq - 1}` : `${ms - 1}-999999999999999`;
  };

  /**
   * A read this long may have come after a trim: the stream keeps at least `maxEvents`
   * (`MAXLEN ~` trims whole nodes only), so a follower that lost entries reads at least that
   * many, or a full batch.
   */
  const longRead = Math.min(READ_COUNT, maxEvents);

  async function follow(
    listener: (event: CrispHookEvent) => void,
    from: string | undefined,
    onStart: ((from: string) => void) | undefined,
    onGap: ((gap: { after: string; until: string }) => void) | undefined,
  ): Promise<void> {
    let last = from;
    let started = false;
    /** The reader was away: entries may have been trimmed meanwhile. */
    let reconnected = false;
    // One listener on the closing signal for the whole follow, not one per read.
    const stopped = aborted(closing.signal);
    while (!closed) {
      try {
        last ??= await latest();
        if (!started) {
          started = true;
          onStart?.(last);
        }
        const read = reader.xread("COUNT", READ_COUNT, "BLOCK", BLOCK_MS, "STREAMS", stream, last);
        // A read queued while Redis is away may never settle once the log closes.
        read.catch(() => undefined);
        const reply = (await Promise.race([read, stopped])) as
          | [string, [string, string[]][]][]
          | null;
        for (const [, read] of reply ?? []) {
          const before = last;
          if (read.length > 0 && (reconnected || read.length >= longRead)) {
            reconnected = false;
            // Trimming removed the last entry read and maybe some after it, never handed
            // over. (Or only entries of this very read, which were: then the refresh is for
            // nothing, but that happens only to a follower trimming has caught up with.)
            const floor = await trimFloor();
            if (compareEventIds(before, floor) < 0) {
              onGap?.({ after: before, until: floor });
            }
          }
          const events = entries(read);
          last = read.at(-1)?.[0] ?? last;
          for (const event of events) {
            listener(event);
          }
        }
      } catch {
        if (closed) {
          return;
        }
        // Redis is away (the connection reports it) or the follower's read failed: wait for
        // the connection, then read on from the last id.
        await waitReady(reader, closing.signal);
        reconnected = true;
      }
    }
  }

  return {
    kind: "redis",
    async append(event, dedupe) {
      if (closed) {
        throw new EventLogUnavailable(new Error("closed"));
      }
      let id: unknown;
      try {
        // With `pair`, the occurrence keys are `…:pair:<content>:<n>`, built in the script
        // from KEYS[5]: the same hash tag, so the same Cluster slot.
        const pair =
          dedupe.pair === undefined
            ? []
            : [
                `${prefix}:count:${dedupe.pair.source}:${dedupe.pair.content}`,
                `${prefix}:pair:${dedupe.pair.content}`,
              ];
        id = await writer.eval(
          APPEND,
          3 + pair.length,
          `${prefix}:hook:${dedupe.key ?? ""}`,
          stream,
          originKey,
          ...pair,
          String(Math.max(1, Math.round(dedupe.ttlMs))),
          String(maxEvents),
          JSON.stringify(event),
          dedupe.key === null ? "0" : "1",
        );
      } catch (error) {
        throw new EventLogUnavailable(error);
      }
      return typeof id === "string" ? { id, ...event } : "duplicate";
    },
    async range(after, limit) {
      const oldest = `${now() - maxAgeMs}-0`;
      if (after !== null) {
        const [origin, trimmed] = await Promise.all([writer.get(originKey), trimFloor()]);
        if (
          origin === null ||
          compareEventIds(after, origin) < 0 ||
          compareEventIds(after, trimmed) < 0 ||
          (parseEventId(after)?.[0] ?? 0) < now() - maxAgeMs
        ) {
          throw new EventLogGap(after);
        }
      }
      const start = after === null ? oldest : `(${after}`;
      const reply = (await writer.xrange(stream, start, "+", "COUNT", limit)) as [
        string,
        string[],
      ][];
      return entries(reply);
    },
    latest,
    async floor() {
      const [origin, trimmed] = await Promise.all([writer.get(originKey), trimFloor()]);
      const candidates = [origin ?? `${now()}-0`, trimmed, `${now() - maxAgeMs}-0`];
      return candidates.reduce((a, b) => (compareEventIds(a, b) >= 0 ? a : b));
    },
    follow(listener, from, onStart, onGap) {
      following = follow(listener, from, onStart, onGap);
    },
    problem: () => redisProblem("event log", writer, reader),
    async close() {
      closed = true;
      closing.abort();
      clearInterval(trimmer);
      // The follower's XREAD is cut short, then it sees `closed` and stops.
      reader.disconnect();
      await following;
      await closeRedis(writer);
    },
  };
}

/** Resolves with null once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<null> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(null);
    } else {
      signal.addEventListener("abort", () => resolve(null), { once: true });
    }
  });
}

/** Resolves once `redis` is ready again, or `signal` aborts. */
export function waitReady(redis: Redis, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    if (redis.status === "ready") {
      // Ready yet failing: try again in a second rather than spin.
      timer = setTimeout(done, 1_000);
    } else {
      redis.once("ready", done);
    }
  });
}
