import type { GatewayError } from "../errors.js";
import {
  breakerOpen,
  breakerProbing,
  nextUtcMidnight,
  quotaExceeded,
  rateLimited,
  scopeLocked,
  secondsUntil,
  utcDay,
} from "./guard-refusals.js";
import { type GuardedRoute, lockScopeOf, READ_ROUTE, READ_SCOPE } from "./guard-scope.js";
import {
  type GuardLock,
  type GuardSnapshot,
  type GuardStore,
  memoryGuardStore,
} from "./guard-store.js";
import { CRISP_LOCKED_STATUS, CRISP_QUOTA_REASON, isThrottleStatus } from "./statuses.js";

/**
 * Decides, before every Crisp request, whether it may be sent, and learns from every answer.
 * One instance per token, shared by every request, so the whole gateway backs off together:
 *
 * - Quota: every request counts against the daily quota (reset 00:00 UTC); past it requests
 *   fail with QUOTA_EXCEEDED without calling Crisp.
 * - Crisp's 423 `quota_limit_exceeded` is a backoff, not a verdict: Crisp sends it for per-plan
 *   pacing of some routes (conversation creation, crisp-api.md §3) as well as for a spent daily
 *   quota. It holds back only its scope (reads, or the one write route that got it) for
 *   `lockBaseMs` (the official importer's 60 s), doubling with each 423 in a row up to
 *   `lockMaxMs`, then lets one probe through. Only `readLocksForSpentDay` 423s in a row on
 *   reads mark the day's quota spent (every scope refused, QUOTA_EXCEEDED), and even then one
 *   probe goes every `quotaProbeIntervalMs` until 00:00 UTC; any probe's success clears it.
 * - Throttling: after a 429/420 nothing is sent until the backoff ends (exponential with
 *   jitter: Crisp sends no Retry-After, crisp-api.md §3); then a single probe goes, and only
 *   its success reopens the gate. No retry storms.
 * - Circuit breaker: after consecutive failures (5xx, network, timeout) requests fail fast with
 *   UPSTREAM_UNAVAILABLE until a half-open probe succeeds.
 */

export interface UpstreamGuardOptions {
  /** Daily request quota; null for none. @default null */
  dailyQuota?: number | null;
  /** First backoff after a 429/420, ms; doubles with each one in a row. @default 1_000 */
  backoffBaseMs?: number;
  /** Longest backoff, ms. @default 60_000 */
  backoffMaxMs?: number;
  /** Consecutive failures that open the breaker. @default 5 */
  breakerThreshold?: number;
  /** How long the breaker stays open before a probe, ms. @default 10_000 */
  breakerOpenMs?: number;
  /** First hold of a scope after a 423 `quota_limit_exceeded`, ms; doubles with each in a row. @default 60_000 */
  lockBaseMs?: number;
  /** Longest hold of a scope after 423s, ms. @default 900_000 */
  lockMaxMs?: number;
  /** 423s in a row on reads that mark the day's quota spent. @default 3 */
  readLocksForSpentDay?: number;
  /** While the day's quota is marked spent: one probe this often, ms. @default 900_000 */
  quotaProbeIntervalMs?: number;
  /** Where quota and backoff live: in memory, or in Redis to share them across instances. @default memory */
  store?: GuardStore;
  /** Clock (ms since epoch), injectable for tests. @default Date.now */
  now?: () => number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

/** What the guard lets a caller do: send, and report the outcome exactly once. */
export interface Admission {
  /**
   * `status` is the HTTP status, or 0 when no answer came; `reason` Crisp's; `retryAfterMs`
   * Crisp's Retry-After, should it ever send one.
   */
  settle(status: number, reason?: string, retryAfterMs?: number): Promise<void>;
}

/** The status to settle with when the caller gave up: neither a success nor a failure. */
export const ABANDONED = -1;

/** How long a probe may hold the gate before another may try (a probe that never returns). */
const PROBE_HOLD_MS = 30_000;

export class UpstreamGuard {
  readonly dailyQuota: number | null;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #breakerThreshold: number;
  readonly #breakerOpenMs: number;
  readonly #lockBaseMs: number;
  readonly #lockMaxMs: number;
  readonly #readLocksForSpentDay: number;
  readonly #quotaProbeIntervalMs: number;
  readonly #store: GuardStore;
  readonly #now: () => number;
  readonly #random: () => number;

  #throttleStreak = 0;
  #failureStreak = 0;
  #breakerOpenUntil = 0;
  /** A breaker probe is in flight on this instance: others wait for its answer. */
  #breakerProbing = false;

  constructor({
    dailyQuota = null,
    backoffBaseMs = 1_000, // 1 second
    backoffMaxMs = 60_000, // 1 minute
    breakerThreshold = 5,
    breakerOpenMs = 10_000, // 10 seconds
    lockBaseMs = 60_000, // 1 minute: the official importer's wait after a 423 (crisp-api.md §3)
    lockMaxMs = 900_000, // 15 minutes
    readLocksForSpentDay = 3, // 1 + 2 minutes of holding back and two probes answered 423
    quotaProbeIntervalMs = 900_000, // 15 minutes: at most 96 probes a day
    now = Date.now,
    random = Math.random,
    store = memoryGuardStore(now),
  }: UpstreamGuardOptions = {}) {
    this.dailyQuota = dailyQuota;
    this.#backoffBaseMs = backoffBaseMs;
    this.#backoffMaxMs = backoffMaxMs;
    this.#breakerThreshold = breakerThreshold;
    this.#breakerOpenMs = breakerOpenMs;
    this.#lockBaseMs = lockBaseMs;
    this.#lockMaxMs = lockMaxMs;
    this.#readLocksForSpentDay = readLocksForSpentDay;
    this.#quotaProbeIntervalMs = quotaProbeIntervalMs;
    this.#store = store;
    this.#now = now;
    this.#random = random;
  }

  /** Requests counted against today's quota (by every instance sharing the store). */
  async quotaUsed(): Promise<number> {
    return this.#store.quotaUsed(utcDay(this.#now()));
  }

  /**
   * When Crisp's throttling, a hold of reads after 423s, or a spent quota is expected to end
   * (for a spent quota: its next probe, or 00:00 UTC when the quota is the gateway's own);
   * null when none holds reads back.
   */
  async rateLimitedUntil(): Promise<Date | null> {
    const now = this.#now();
    const state = await this.#store.snapshot(utcDay(now), READ_SCOPE);
    const held = this.#heldUntil(state, now);
    return held === null ? null : new Date(held);
  }

  /**
   * The breaker is open or half-open: Crisp failed `breakerThreshold` times in a row and no
   * probe has succeeded since (readiness reports it).
   */
  get breakerOpen(): boolean {
    return this.#failureStreak >= this.#breakerThreshold;
  }

  /**
   * Seconds until requests like `route` may be sent again, as callers should be told: the
   * backoff after a 429/420, the hold of the route's scope after a 423, or the next probe of a
   * spent quota; undefined when none applies.
   */
  async retryAfterSeconds(route: GuardedRoute = READ_ROUTE): Promise<number | undefined> {
    const now = this.#now();
    const state = await this.#store.snapshot(utcDay(now), lockScopeOf(route));
    const held = this.#heldUntil(state, now);
    return held === null ? undefined : secondsUntil(held, now);
  }

  #heldUntil(state: GuardSnapshot, now: number): number | null {
    if (this.#ownQuotaUsed(state)) {
      return nextUtcMidnight(now);
    }
    const until = Math.max(state.quotaSpentProbeAt, state.throttledUntil, state.lock?.until ?? 0);
    return until > now ? until : null;
  }

  /**
   * Throws the error a caller should get instead of sending `route`; else counts the request.
   * @param route what is about to be sent (its 423 scope). @default a read
   */
  async admit(route: GuardedRoute = READ_ROUTE): Promise<Admission> {
    const now = this.#now();
    const day = utcDay(now);
    const scope = lockScopeOf(route);
    const state = await this.#store.snapshot(day, scope);
    if (this.#ownQuotaUsed(state)) {
      throw quotaExceeded(nextUtcMidnight(now), now);
    }
    // Probes held by this request, released once it is settled (or refused after all).
    const probes: string[] = [];
    const refuse = async (error: GatewayError): Promise<never> => {
      await this.#release(probes);
      throw error;
    };
    if (state.quotaSpentProbeAt > 0) {
      if (state.quotaSpentProbeAt > now) {
        throw quotaExceeded(state.quotaSpentProbeAt, now);
      }
      // Time for the periodic probe of a spent quota: one request, gateway-wide.
      if (!(await this.#store.acquireProbe(QUOTA_PROBE, PROBE_HOLD_MS))) {
        throw quotaExceeded(now + 1_000, now);
      }
      probes.push(QUOTA_PROBE);
    }
    const lock = state.lock;
    if (lock !== null) {
      if (lock.until > now) {
        return refuse(scopeLocked(lock.until, now));
      }
      // The hold is over: one probe of this scope, gateway-wide.
      if (!(await this.#store.acquireProbe(`lock ${scope}`, PROBE_HOLD_MS))) {
        return refuse(scopeLocked(now + 1_000, now));
      }
      probes.push(`lock ${scope}`);
    }
    const throttled = state.throttledUntil;
    if (throttled > now) {
      return refuse(rateLimited(throttled, now));
    }
    // The backoff is over but Crisp has not answered well since: one probe, gateway-wide.
    if (throttled > 0) {
      if (!(await this.#store.acquireProbe(THROTTLE_PROBE, PROBE_HOLD_MS))) {
        return refuse(rateLimited(now + 1_000, now));
      }
      probes.push(THROTTLE_PROBE);
    }
    let breakerProbe = false;
    if (this.#breakerOpenUntil > now) {
      return refuse(breakerOpen());
    }
    if (this.#failureStreak >= this.#breakerThreshold) {
      if (this.#breakerProbing) {
        return refuse(breakerProbing());
      }
      breakerProbe = true;
      this.#breakerProbing = true;
    }
    const used = await this.#store.addQuota(day);
    if (this.dailyQuota !== null && used > this.dailyQuota) {
      // Another instance took the last slot meanwhile.
      this.#breakerProbing &&= !breakerProbe;
      return refuse(quotaExceeded(nextUtcMidnight(now), now));
    }
    const learning: Learning = {
      day,
      scope,
      lock,
      quotaSpent: state.quotaSpentProbeAt > 0,
      throttled: throttled > 0,
    };
    let settled = false;
    return {
      settle: async (status, reason, retryAfterMs) => {
        if (settled) {
          return;
        }
        settled = true;
        if (breakerProbe) {
          this.#breakerProbing = false;
        }
        try {
          await this.#learn(status, reason, retryAfterMs, learning);
        } finally {
          await this.#release(probes);
        }
      },
    };
  }

  async #learn(
    status: number,
    reason: string | undefined,
    retryAfterMs: number | undefined,
    { day, scope, lock, quotaSpent, throttled }: Learning,
  ): Promise<void> {
    const now = this.#now();
    if (status === ABANDONED) {
      return;
    }
    if (isThrottleStatus(status)) {
      this.#throttleStreak += 1;
      if (retryAfterMs !== undefined) {
        await this.#store.throttleUntil(now + retryAfterMs);
        return;
      }
      const ceiling = Math.min(
        this.#backoffMaxMs,
        this.#backoffBaseMs * 2 ** (this.#throttleStreak - 1),
      );
      // "Equal jitter": at least half the backoff, so instances never all return at once.
      await this.#store.throttleUntil(now + ceiling / 2 + (this.#random() * ceiling) / 2);
      return;
    }
    if (status === CRISP_LOCKED_STATUS && reason === CRISP_QUOTA_REASON) {
      await this.#learnLocked(day, scope, lock, quotaSpent, now);
      return;
    }
    if (status === 0 || status >= 500) {
      this.#failureStreak += 1;
      if (this.#failureStreak >= this.#breakerThreshold) {
        this.#breakerOpenUntil = now + this.#breakerOpenMs;
      }
      return;
    }
    // Crisp answered: whatever held this request's way back is over.
    if (this.#throttleStreak > 0 || throttled) {
      await this.#store.clearThrottle();
    }
    if (lock !== null) {
      await this.#store.clearLock(scope);
    }
    if (quotaSpent) {
      await this.#store.clearQuotaSpent(day);
      if (scope !== READ_SCOPE) {
        // The quota was marked spent from reads; their streak ends with it.
        await this.#store.clearLock(READ_SCOPE);
      }
    }
    this.#throttleStreak = 0;
    this.#failureStreak = 0;
    this.#breakerOpenUntil = 0;
  }

  /**
   * A 423 `quota_limit_exceeded`: hold the scope back longer each time in a row; on reads, the
   * `readLocksForSpentDay`th in a row (or one answering the probe of a spent quota) marks the
   * day's quota spent, probed again every `quotaProbeIntervalMs`.
   */
  async #learnLocked(
    day: number,
    scope: string,
    lock: GuardLock | null,
    quotaSpent: boolean,
    now: number,
  ): Promise<void> {
    const streak = (lock?.streak ?? 0) + 1;
    if (quotaSpent || (scope === READ_SCOPE && streak >= this.#readLocksForSpentDay)) {
      await this.#store.markQuotaSpent(
        day,
        Math.min(now + this.#quotaProbeIntervalMs, nextUtcMidnight(now)),
      );
      await this.#store.setLock(scope, { until: now, streak });
      return;
    }
    const hold = Math.min(this.#lockMaxMs, this.#lockBaseMs * 2 ** (streak - 1));
    // Never under the hold (Crisp's importer waits the full 60 s), up to a quarter more.
    await this.#store.setLock(scope, { until: now + hold + this.#random() * hold * 0.25, streak });
  }

  /** The gateway's own count reached `dailyQuota` (no probe: that limit is ours). */
  #ownQuotaUsed(state: GuardSnapshot): boolean {
    return this.dailyQuota !== null && state.quotaUsed >= this.dailyQuota;
  }

  async #release(probes: readonly string[]): Promise<void> {
    for (const name of probes) {
      await this.#store.releaseProbe(name);
    }
  }
}

/** What `settle` needs to learn from an answer: what held the request's way at admission. */
interface Learning {
  day: number;
  scope: string;
  lock: GuardLock | null;
  quotaSpent: boolean;
  throttled: boolean;
}

const QUOTA_PROBE = "quota";
const THROTTLE_PROBE = "throttle";
