import type { Redis } from "ioredis";

/**
 * Where the UpstreamGuard keeps what every instance must agree on: today's quota count, a
 * spent quota, until when Crisp asked to back off, and who sends the single probe after it.
 * In memory for one instance; in Redis (plain INCR/SET primitives) for several.
 */
/** What admitting a request needs to know, read in one go (one round trip with Redis). */
export interface GuardSnapshot {
  quotaUsed: number;
  quotaSpent: boolean;
  /** Epoch ms; 0 when no backoff was ever set or it was cleared. */
  throttledUntil: number;
}

export interface GuardStore {
  snapshot(day: number): Promise<GuardSnapshot>;
  /** Counts one request against `day`'s quota; resolves with the count so far, this one included. */
  addQuota(day: number): Promise<number>;
  quotaUsed(day: number): Promise<number>;
  markQuotaSpent(day: number): Promise<void>;
  /** Keeps the later of the current and the given time. */
  throttleUntil(epochMs: number): Promise<void>;
  throttledUntil(): Promise<number>;
  clearThrottle(): Promise<void>;
  /** True for the one caller (across instances) that may probe; held at most `ttlMs`. */
  acquireProbe(ttlMs: number): Promise<boolean>;
  releaseProbe(): Promise<void>;
}

export function memoryGuardStore(now: () => number = Date.now): GuardStore {
  const quota = new Map<number, number>();
  const spent = new Set<number>();
  let throttled = 0;
  let probeHeldUntil = 0;
  return {
    async snapshot(day) {
      return {
        quotaUsed: quota.get(day) ?? 0,
        quotaSpent: spent.has(day),
        throttledUntil: throttled,
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
    async markQuotaSpent(day) {
      spent.add(day);
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
    async acquireProbe(ttlMs) {
      if (probeHeldUntil > now()) {
        return false;
      }
      probeHeldUntil = now() + ttlMs;
      return true;
    },
    async releaseProbe() {
      probeHeldUntil = 0;
    },
  };
}

const DAY_MS = 86_400_000;

/** The same state in Redis, under `crisp-gateway:<scope>:…`, shared by every instance. */
export function redisGuardStore(redis: Redis, scope: string): GuardStore {
  const key = (name: string) => `crisp-gateway:${scope}:${name}`;
  return {
    async snapshot(day) {
      const [used, spent, throttled] = await redis.mget(
        key(`quota:${day}`),
        key(`quota-spent:${day}`),
        key("throttled-until"),
      );
      return {
        quotaUsed: Number(used ?? 0),
        quotaSpent: spent !== null,
        throttledUntil: Number(throttled ?? 0),
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
    async markQuotaSpent(day) {
      await redis.set(key(`quota-spent:${day}`), "1", "PX", 2 * DAY_MS);
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
    async acquireProbe(ttlMs) {
      return (await redis.set(key("probe"), "1", "PX", ttlMs, "NX")) === "OK";
    },
    async releaseProbe() {
      await redis.del(key("probe"));
    },
  };
}
