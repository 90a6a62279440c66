import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { closeRedis, openRedis, type RedisReport } from "../redis.js";

/**
 * Who holds the RTM connection. Crisp limits connections per token (crisp-api.md §6), and two
 * sockets would bring every event twice: a fleet keeps exactly one. Alone, an instance always
 * holds it (`localLease`); with Redis (`createRedisLease`) one key names the holder:
 *
 * - taken with `SET key me NX PX ttl`, renewed (`PEXPIRE`, only while it is still ours) every
 *   quarter of the TTL, released (`DEL`, only if ours) on stop;
 * - a holder that dies stops renewing: the key expires and another instance takes it within
 *   `ttlMs` plus one tick; the others receive its events through the shared event log;
 * - a holder that cannot renew for a whole TTL (Redis away) lets go, since another instance
 *   may take the key as soon as Redis answers again.
 *
 * The holder also stamps a heartbeat with each renewal, so whoever takes over knows since when
 * events went unheard (the gap to catch up), and posts gap notices, so every instance drops
 * what it holds of the websites a gap touched, not only the holder.
 */
export interface RtmLease {
  readonly kind: "local" | "redis";
  /** Starts taking part; `handlers.change` is called whenever holding changes. */
  start(handlers: LeaseHandlers): void;
  /** Tells every other instance of a gap (the holder's own instance handles it itself). */
  announceGap(notice: GapNotice): Promise<void>;
  /** Stops renewing and releases the lease if held. */
  stop(): Promise<void>;
}

export interface LeaseHandlers {
  /**
   * `held` changed. On taking the lease over, `previousSeenAt` is when the last holder was
   * last heard of (ms; null when there was none): events since then were heard by no one.
   */
  change(held: boolean, previousSeenAt: number | null): void;
  /** Another instance's gap notice. */
  gap(notice: GapNotice): void;
}

/** A stretch of time no RTM connection heard, and the websites to refresh for it. */
export interface GapNotice {
  id: string;
  fromMs: number;
  toMs: number;
  websiteIds: string[];
}

/** The lease of an instance alone: held from the start, never lost. */
export function localLease(): RtmLease {
  return {
    kind: "local",
    start: (handlers) => handlers.change(true, null),
    announceGap: async () => undefined,
    stop: async () => undefined,
  };
}

/** 1: renewed (ours), 2: taken now (with the previous heartbeat), 0: another holds it. */
const TICK = `
local gap = redis.call('GET', KEYS[3])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
  return {1, false, gap}
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local seen = redis.call('GET', KEYS[2])
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
  return {2, seen, gap}
end
return {0, false, gap}
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** How long heartbeats and gap notices are kept: past any outage worth catching up. */
const MEMORY_MS = 86_400_000; // 24 hours

export interface RedisLeaseOptions {
  redisUrl: string;
  /** Separates tokens: `identifier:tier` (each token has its own connection). */
  scope: string;
  /**
   * How long the lease outlives its holder's last renewal, ms: the longest events go unheard
   * when the holder dies (CRISP_RTM_LEASE_MS). @default 10_000
   */
  ttlMs?: number;
  /** This instance's name in the key. @default a random UUID */
  instance?: string;
  /** Connection trouble; never a URL. @default one line on stderr each */
  report?: RedisReport;
  /** Told when a tick fails (Redis away). @default nothing */
  onError?: (error: unknown) => void;
  /** @default Date.now */
  now?: () => number;
}

/** Connects (rejecting when Redis cannot be reached) and returns the fleet's lease. */
export async function createRedisLease({
  redisUrl,
  scope,
  ttlMs = 10_000, // 10 seconds: a takeover within seconds, yet a GC pause never loses it
  instance = randomUUID(),
  report,
  onError = () => undefined,
  now = Date.now,
}: RedisLeaseOptions): Promise<RtmLease> {
  const redis: Redis = await openRedis(redisUrl, "RTM lease", "command", report);
  const prefix = `crisp-gateway:{${scope}}:rtm`;
  const keys = [`${prefix}:lease`, `${prefix}:heartbeat`, `${prefix}:gap`] as const;
  const tickMs = Math.max(50, Math.floor(ttlMs / 4));
  let held = false;
  let lastRenewed = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** The newest gap notice seen (undefined: none read yet, so the first one read is old). */
  let seenGap: string | null | undefined;
  let handlers: LeaseHandlers | undefined;
  let ticking: Promise<void> = Promise.resolve();
  let startedAt = now();

  const setHeld = (value: boolean, previousSeenAt: number | null) => {
    if (held !== value) {
      held = value;
      handlers?.change(value, previousSeenAt);
    }
  };

  const tick = async () => {
    const at = now();
    let reply: [number, string | null, string | null];
    try {
      reply = (await redis.eval(
        TICK,
        3,
        ...keys,
        instance,
        String(ttlMs),
        String(at),
        String(MEMORY_MS),
      )) as [number, string | null, string | null];
    } catch (error) {
      onError(error);
      if (held && now() - lastRenewed >= ttlMs) {
        setHeld(false, null);
      }
      return;
    }
    const [outcome, seen, gap] = reply;
    if (outcome === 0) {
      setHeld(false, null);
    } else {
      lastRenewed = at;
      setHeld(true, outcome === 2 && seen !== null ? Number(seen) : null);
    }
    readGap(gap);
  };

  const readGap = (text: string | null) => {
    const first = seenGap === undefined;
    if (text === seenGap) {
      return;
    }
    seenGap = text;
    if (text === null) {
      return;
    }
    try {
      const notice = JSON.parse(text) as GapNotice;
      // The first notice read is news only if its gap ended after this instance started.
      if (
        !held &&
        Array.isArray(notice.websiteIds) &&
        (!first || (typeof notice.toMs === "number" && notice.toMs >= startedAt))
      ) {
        handlers?.gap(notice);
      }
    } catch (error) {
      onError(error);
    }
  };

  const schedule = () => {
    if (stopped) {
      return;
    }
    timer = setTimeout(() => {
      ticking = tick().finally(schedule);
    }, tickMs);
    timer.unref();
  };

  return {
    kind: "redis",
    start(given) {
      handlers = given;
      startedAt = now();
      ticking = tick().finally(schedule);
    },
    async announceGap(notice) {
      const text = JSON.stringify(notice);
      seenGap = text;
      await redis.set(keys[2], text, "PX", MEMORY_MS);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      if (held) {
        held = false;
        await redis.eval(RELEASE, 1, keys[0], instance).catch(onError);
      }
      await closeRedis(redis);
    },
  };
}
