import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { closeRedis, openRedis, type RedisReport, redisProblem } from "../redis.js";

/**
 * The shared cache's second level, shared by every instance (issue 12: a fleet costs Crisp
 * what one instance costs). `SharedCache` asks it on a miss of its own; `load` makes
 * concurrent misses for one key across instances send one Crisp request: the first instance
 * takes a short lock and reads, the others wait for its result and use it.
 *
 * It never fails a read: Redis away (or slow) is a miss, and the gateway caches per instance
 * until Redis is back (the connection says once that it was lost).
 */
export interface SecondLevel {
  /** The value stored under `id` while still fresh, with until when (epoch ms). */
  get(id: string): Promise<{ value: unknown; freshUntil: number } | undefined>;
  /**
   * `read`'s value for `id`, read by one instance for all: stored for `ttlMs` with its
   * freshness; waiters on other instances get it from here.
   */
  load<T>(
    id: string,
    read: () => Promise<T>,
    options: { ttlMs: number; signal: AbortSignal },
  ): Promise<{ value: T; freshUntil: number }>;
  /** Forgets `id` (an event or a write changed what it holds). */
  delete(id: string): void;
  problem(): string | undefined;
  close(): Promise<void>;
}

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

export interface RedisSecondLevelOptions {
  redisUrl: string;
  /** Separates tokens: `identifier:tier`. */
  scope: string;
  /**
   * How long an instance holds the read of a key for the others, ms: past it (the holder
   * died), a waiter reads for itself. @default 15_000 (a Crisp read's timeout and retries)
   */
  lockMs?: number;
  /** Connection trouble (lost, back); never a URL. @default one line on stderr each */
  report?: RedisReport;
}

/** Connects (rejecting when Redis cannot be reached at start) and returns the second level. */
export async function createRedisSecondLevel({
  redisUrl,
  scope,
  lockMs = 15_000,
  report,
}: RedisSecondLevelOptions): Promise<SecondLevel> {
  const redis = await openRedis(redisUrl, "shared cache", "command", report);
  let listener: Redis;
  try {
    listener = await openRedis(redisUrl, "shared cache listener", "blocking", report);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const prefix = `crisp-gateway:{${scope}}:cache`;
  const channel = `${prefix}:ready`;
  const valueKey = (id: string) => `${prefix}:value:${id}`;
  const lockKey = (id: string) => `${prefix}:lock:${id}`;
  /** Local waiters for a key another instance reads. */
  const waiting = new Map<string, Set<() => void>>();
  listener.on("message", (_channel: string, id: string) => {
    const wake = waiting.get(id);
    if (wake !== undefined) {
      waiting.delete(id);
      for (const resolve of wake) {
        resolve();
      }
    }
  });
  await listener.subscribe(channel);
  const usable = () => redis.status === "ready";

  const get = async (id: string) => {
    if (!usable()) {
      return undefined;
    }
    try {
      const text = await redis.get(valueKey(id));
      if (text === null) {
        return undefined;
      }
      const stored = JSON.parse(text) as { v: unknown; f: number };
      return stored.f > Date.now() ? { value: stored.v, freshUntil: stored.f } : undefined;
    } catch {
      return undefined;
    }
  };

  /** Resolves when another instance says `id` is stored, or after `ms`, or on abort. */
  const readyOrLate = (id: string, ms: number, signal: AbortSignal) => {
    let set = waiting.get(id);
    if (set === undefined) {
      set = new Set();
      waiting.set(id, set);
    }
    const own = set;
    let done: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        own.delete(done);
        if (own.size === 0 && waiting.get(id) === own) {
          waiting.delete(id);
        }
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      own.add(done);
    });
    return { ready, cancel: () => done() };
  };

  return {
    get,
    async load(id, read, { ttlMs, signal }) {
      const store = (value: unknown) => {
        const freshUntil = Date.now() + ttlMs;
        if (usable()) {
          redis
            .set(
              valueKey(id),
              JSON.stringify({ v: value, f: freshUntil }),
              "PX",
              Math.max(1, ttlMs),
            )
            .then(() => redis.publish(channel, id))
            .catch(() => undefined);
        }
        return freshUntil;
      };
      if (!usable()) {
        const value = await read();
        return { value, freshUntil: Date.now() + ttlMs };
      }
      const token = randomUUID();
      let locked: boolean;
      try {
        locked = (await redis.set(lockKey(id), token, "PX", lockMs, "NX")) === "OK";
      } catch {
        // Redis failing: read for this instance alone.
        const value = await read();
        return { value, freshUntil: Date.now() + ttlMs };
      }
      if (!locked) {
        // Someone reads it: wait for their answer (registered before looking again, so a
        // result stored in between is not missed).
        const { ready, cancel } = readyOrLate(id, lockMs, signal);
        const now = await get(id);
        if (now !== undefined) {
          cancel();
          return now as { value: Awaited<ReturnType<typeof read>>; freshUntil: number };
        }
        await ready;
        signal.throwIfAborted();
        const stored = await get(id);
        if (stored !== undefined) {
          return stored as { value: Awaited<ReturnType<typeof read>>; freshUntil: number };
        }
        // Their read failed or they went away: read for ourselves.
      }
      try {
        if (locked) {
          // Stored while we asked for the lock (its holder finished just then).
          const stored = await get(id);
          if (stored !== undefined) {
            return stored as { value: Awaited<ReturnType<typeof read>>; freshUntil: number };
          }
        }
        const value = await read();
        return { value, freshUntil: store(value) };
      } finally {
        if (locked) {
          redis.eval(RELEASE, 1, lockKey(id), token).catch(() => undefined);
          // Waiters of a failed read look again at once rather than wait for the lock.
          redis.publish(channel, id).catch(() => undefined);
        }
      }
    },
    delete(id) {
      if (usable()) {
        redis.del(valueKey(id)).catch(() => undefined);
      }
    },
    problem: () => redisProblem("shared cache", redis, listener),
    async close() {
      for (const set of waiting.values()) {
        for (const wake of set) {
          wake();
        }
      }
      waiting.clear();
      listener.disconnect();
      await closeRedis(redis);
    },
  };
}
