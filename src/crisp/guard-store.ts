import type { Redis, RedisOptions } from "ioredis";

/**
 * Where the UpstreamGuard keeps what every instance must agree on: today's quota count, a
 * spent quota (and when it is probed next), until when Crisp asked to back off, the 423 locks
 * of each route scope, and who sends the single probe after each of them. In memory for one
 * instance; in Redis (plain GET/SET/INCR primitives) for several; `resilientGuardStore` falls
 * back from the second to the first while Redis is unreachable.
 */

/** A 423 `quota_limit_exceeded` backoff of one scope (reads, or one write route). */
export interface GuardLock {
  /** Epoch ms until which the scope is held back; then one probe goes. */
  until: number;
  /** 423s in a row on this scope, the current one included. */
  streak: number;
}

/** What admitting a request needs to know, read in one go (one round trip with Redis). */
export interface GuardSnapshot {
  quotaUsed: number;
  /**
   * 0 while today's quota is not known to be spent; else the epoch ms of the next probe of it
   * (requests are refused before then).
   */
  quotaSpentProbeAt: number;
  /** Epoch ms; 0 when no backoff was ever set or it was cleared. */
  throttledUntil: number;
  /** The 423 lock of the request's scope, if any (kept after `until` passes, for its streak). */
  lock: GuardLock | null;
}

export interface GuardStore {
  snapshot(day: number, scope: string): Promise<GuardSnapshot>;
  /** Counts one request against `day`'s quota; resolves with the count so far, this one included. */
  addQuota(day: number): Promise<number>;
  quotaUsed(day: number): Promise<number>;
  /** `day`'s quota is spent (Crisp says so); the next probe of it may go at `probeAt`. */
  markQuotaSpent(day: number, probeAt: number): Promise<void>;
  /** A probe succeeded: the quota is not spent after all. */
  clearQuotaSpent(day: number): Promise<void>;
  /** Keeps the later of the current and the given time. */
  throttleUntil(epochMs: number): Promise<void>;
  throttledUntil(): Promise<number>;
  clearThrottle(): Promise<void>;
  setLock(scope: string, lock: GuardLock): Promise<void>;
  clearLock(scope: string): Promise<void>;
  /** True for the one caller (across instances) that may send probe `name`; held at most `ttlMs`. */
  acquireProbe(name: string, ttlMs: number): Promise<boolean>;
  releaseProbe(name: string): Promise<void>;
}

/** How long a lock's streak is remembered past its end: a 423 a day later starts afresh. */
const LOCK_MEMORY_MS = 3_600_000; // 1 hour

export function memoryGuardStore(now: () => number = Date.now): GuardStore {
  const quota = new Map<number, number>();
  const spent = new Map<number, number>();
  const locks = new Map<string, GuardLock>();
  const probes = new Map<string, number>();
  let throttled = 0;
  const lockOf = (scope: string) => {
    const lock = locks.get(scope);
    if (lock !== undefined && lock.until + LOCK_MEMORY_MS < now()) {
      locks.delete(scope);
      return null;
    }
    return lock ?? null;
  };
  return {
    async snapshot(day, scope) {
      return {
        quotaUsed: quota.get(day) ?? 0,
        quotaSpentProbeAt: spent.get(day) ?? 0,
        throttledUntil: throttled,
        lock: lockOf(scope),
      };
    },
    async addQuota(day) {
      const next = (quota.get(day) ?? 0) + 1;
      quota.clear();
      quota.set(day, next);
      return next;
    },
    async quotaUsed(day) {
      return quota.get(day) ?? 0;
    },
    async markQuotaSpent(day, probeAt) {
      spent.clear();
      spent.set(day, probeAt);
    },
    async clearQuotaSpent(day) {
      spent.delete(day);
    },
    async throttleUntil(epochMs) {
      throttled = Math.max(throttled, epochMs);
    },
    async throttledUntil() {
      return throttled;
    },
    async clearThrottle() {
      throttled = 0;
    },
    async setLock(scope, lock) {
      locks.set(scope, lock);
    },
    async clearLock(scope) {
      locks.delete(scope);
    },
    async acquireProbe(name, ttlMs) {
      if ((probes.get(name) ?? 0) > now()) {
        return false;
      }
      probes.set(name, now() + ttlMs);
      return true;
    },
    async releaseProbe(name) {
      probes.delete(name);
    },
  };
}

const DAY_MS = 86_400_000;

/**
 * How the guard's (and the rate limiter's) Redis connection is made: fail fast while Redis is
 * away (no offline queue, one retry, a command timeout), so requests are answered from this
 * instance's memory (`resilientGuardStore`, the limiter's insurance) instead of waiting.
 */
export const GUARD_REDIS_OPTIONS: RedisOptions = Object.freeze({
  lazyConnect: true,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  commandTimeout: 500, // 0.5 seconds: a Redis round trip is well under a millisecond
});

/** The same state in Redis, under `crisp-gateway:<scope>:…`, shared by every instance. */
export function redisGuardStore(redis: Redis, scope: string): GuardStore {
  const key = (name: string) => `crisp-gateway:${scope}:${name}`;
  return {
    async snapshot(day, lockScope) {
      const [used, spent, throttled, lock] = await redis.mget(
        key(`quota:${day}`),
        key(`quota-spent:${day}`),
        key("throttled-until"),
        key(`lock:${lockScope}`),
      );
      return {
        quotaUsed: Number(used ?? 0),
        quotaSpentProbeAt: Number(spent ?? 0),
        throttledUntil: Number(throttled ?? 0),
        lock: parseLock(lock ?? null),
      };
    },
    async addQuota(day) {
      const count = await redis.incr(key(`quota:${day}`));
      if (count === 1) {
        // Kept a day past its own: long enough to be read, never forever.
        await redis.pexpire(key(`quota:${day}`), 2 * DAY_MS);
      }
      return count;
    },
    async quotaUsed(day) {
      return Number((await redis.get(key(`quota:${day}`))) ?? 0);
    },
    async markQuotaSpent(day, probeAt) {
      await redis.set(key(`quota-spent:${day}`), String(Math.ceil(probeAt)), "PX", 2 * DAY_MS);
    },
    async clearQuotaSpent(day) {
      await redis.del(key(`quota-spent:${day}`));
    },
    async throttleUntil(epochMs) {
      // Compare-and-set in one step so two instances never shorten each other's backoff.
      await redis.eval(
        "local current = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 0",
        1,
        key("throttled-until"),
        String(Math.ceil(epochMs)),
        String(Math.max(1, Math.ceil(epochMs - Date.now()) + 60_000)),
      );
    },
    async throttledUntil() {
      return Number((await redis.get(key("throttled-until"))) ?? 0);
    },
    async clearThrottle() {
      await redis.del(key("throttled-until"));
    },
    async setLock(lockScope, lock) {
      await redis.set(
        key(`lock:${lockScope}`),
        JSON.stringify(lock),
        "PX",
        Math.max(1, Math.ceil(lock.until - Date.now()) + LOCK_MEMORY_MS),
      );
    },
    async clearLock(lockScope) {
      await redis.del(key(`lock:${lockScope}`));
    },
    async acquireProbe(name, ttlMs) {
      return (await redis.set(key(`probe:${name}`), "1", "PX", ttlMs, "NX")) === "OK";
    },
    async releaseProbe(name) {
      await redis.del(key(`probe:${name}`));
    },
  };
}

function parseLock(text: string | null): GuardLock | null {
  if (text === null) {
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "until" in parsed &&
      "streak" in parsed &&
      typeof parsed.until === "number" &&
      typeof parsed.streak === "number"
    ) {
      return { until: parsed.until, streak: parsed.streak };
    }
  } catch {
    // Not ours (or from another version): as if there were none.
  }
  return null;
}

export interface ResilientGuardStoreOptions {
  /** Told once when the shared store starts failing (each outage). @default none */
  onFallback?: (error: unknown) => void;
  /** Told once when it answers again. @default none */
  onRecovered?: () => void;
  /** While it fails, how often the shared store is tried again, ms. @default 1_000 */
  retryMs?: number;
  /** Clock, injectable for tests. @default Date.now */
  now?: () => number;
}

/**
 * The shared store while it answers; this instance's own memory while it does not. Redis
 * being unreachable must never turn a request Crisp could answer into an error: each failed
 * call is answered from memory instead (quota counted per instance, backoffs and locks kept
 * per instance), and the change is reported once each way, not for every request. While it
 * fails it is tried again once a `retryMs`, the rest going straight to memory.
 */
export function resilientGuardStore(
  shared: GuardStore,
  local: GuardStore,
  {
    onFallback,
    onRecovered,
    retryMs = 1_000, // 1 second
    now = Date.now,
  }: ResilientGuardStoreOptions = {},
): GuardStore {
  let failing = false;
  /** While failing, the shared store is tried again only from then on (a hung Redis costs its
   * command timeout once a second, not on every call). */
  let retryAt = 0;
  const attempt =
    <A extends unknown[], R>(call: (store: GuardStore) => (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (failing && now() < retryAt) {
        return call(local)(...args);
      }
      let result: R;
      try {
        result = await call(shared)(...args);
      } catch (error) {
        retryAt = now() + retryMs;
        if (!failing) {
          failing = true;
          onFallback?.(error);
        }
        return call(local)(...args);
      }
      if (failing) {
        failing = false;
        onRecovered?.();
      }
      return result;
    };
  return {
    snapshot: attempt((store) => store.snapshot),
    addQuota: attempt((store) => store.addQuota),
    quotaUsed: attempt((store) => store.quotaUsed),
    markQuotaSpent: attempt((store) => store.markQuotaSpent),
    clearQuotaSpent: attempt((store) => store.clearQuotaSpent),
    throttleUntil: attempt((store) => store.throttleUntil),
    throttledUntil: attempt((store) => store.throttledUntil),
    clearThrottle: attempt((store) => store.clearThrottle),
    setLock: attempt((store) => store.setLock),
    clearLock: attempt((store) => store.clearLock),
    acquireProbe: attempt((store) => store.acquireProbe),
    releaseProbe: attempt((store) => store.releaseProbe),
  };
}
