import { ErrorCode, GatewayError } from "../errors.js";
import { type GuardSnapshot, type GuardStore, memoryGuardStore } from "./guard-store.js";
import { CRISP_LOCKED_STATUS, CRISP_QUOTA_REASON, isThrottleStatus } from "./statuses.js";

/**
 * Decides, before every Crisp request, whether it may be sent, and learns from every answer.
 * One instance per token, shared by every request, so the whole gateway backs off together:
 *
 * - Quota: every request counts against the daily quota (reset 00:00 UTC); past it, or after
 *   Crisp's 423 `quota_limit_exceeded`, requests fail with QUOTA_EXCEEDED without calling Crisp.
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
    now = Date.now,
    random = Math.random,
    store = memoryGuardStore(now),
  }: UpstreamGuardOptions = {}) {
    this.dailyQuota = dailyQuota;
    this.#backoffBaseMs = backoffBaseMs;
    this.#backoffMaxMs = backoffMaxMs;
    this.#breakerThreshold = breakerThreshold;
    this.#breakerOpenMs = breakerOpenMs;
    this.#store = store;
    this.#now = now;
    this.#random = random;
  }

  /** Requests counted against today's quota (by every instance sharing the store). */
  async quotaUsed(): Promise<number> {
    return this.#store.quotaUsed(utcDay(this.#now()));
  }

  /** When Crisp's throttling, or a spent quota, is expected to end; null when neither. */
  async rateLimitedUntil(): Promise<Date | null> {
    const now = this.#now();
    const state = await this.#store.snapshot(utcDay(now));
    if (this.#quotaGone(state)) {
      return new Date(nextUtcMidnight(now));
    }
    return state.throttledUntil > now ? new Date(state.throttledUntil) : null;
  }

  /**
   * The breaker is open or half-open: Crisp failed `breakerThreshold` times in a row and no
   * probe has succeeded since (readiness reports it).
   */
  get breakerOpen(): boolean {
    return this.#failureStreak >= this.#breakerThreshold;
  }

  /** Seconds until the backoff ends, as callers should be told; undefined when not backing off. */
  async retryAfterSeconds(): Promise<number | undefined> {
    const now = this.#now();
    const throttled = await this.#store.throttledUntil();
    return throttled > now ? Math.max(1, Math.ceil((throttled - now) / 1000)) : undefined;
  }

  /** Throws the error a caller should get instead of sending; else counts the request. */
  async admit(): Promise<Admission> {
    const now = this.#now();
    const day = utcDay(now);
    const state = await this.#store.snapshot(day);
    if (this.#quotaGone(state)) {
      throw this.#quotaExceeded(now);
    }
    const throttled = state.throttledUntil;
    if (throttled > now) {
      throw this.#rateLimited(throttled, now);
    }
    // The backoff is over but Crisp has not answered well since: one probe, gateway-wide.
    const throttleProbe = throttled > 0 && (await this.#store.acquireProbe(PROBE_HOLD_MS));
    if (throttled > 0 && !throttleProbe) {
      throw this.#rateLimited(now + 1_000, now);
    }
    let breakerProbe = false;
    if (this.#breakerOpenUntil > now) {
      await this.#releaseIf(throttleProbe);
      throw new GatewayError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        "Crisp is failing; the gateway is not sending requests for a few seconds.",
      );
    }
    if (this.#failureStreak >= this.#breakerThreshold) {
      if (this.#breakerProbing) {
        await this.#releaseIf(throttleProbe);
        throw new GatewayError(
          ErrorCode.UPSTREAM_UNAVAILABLE,
          "Crisp is failing; a probe is checking whether it is back.",
        );
      }
      breakerProbe = true;
      this.#breakerProbing = true;
    }
    const used = await this.#store.addQuota(day);
    if (this.dailyQuota !== null && used > this.dailyQuota) {
      // Another instance took the last slot meanwhile.
      await this.#releaseIf(throttleProbe);
      this.#breakerProbing &&= !breakerProbe;
      throw this.#quotaExceeded(now);
    }
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
        await this.#learn(status, reason, retryAfterMs, day);
        await this.#releaseIf(throttleProbe);
      },
    };
  }

  async #learn(
    status: number,
    reason: string | undefined,
    retryAfterMs: number | undefined,
    day: number,
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
      await this.#store.markQuotaSpent(day);
      return;
    }
    if (status === 0 || status >= 500) {
      this.#failureStreak += 1;
      if (this.#failureStreak >= this.#breakerThreshold) {
        this.#breakerOpenUntil = now + this.#breakerOpenMs;
      }
      return;
    }
    if (this.#throttleStreak > 0 || (await this.#store.throttledUntil()) > 0) {
      await this.#store.clearThrottle();
    }
    this.#throttleStreak = 0;
    this.#failureStreak = 0;
    this.#breakerOpenUntil = 0;
  }

  #quotaGone(state: GuardSnapshot): boolean {
    return state.quotaSpent || (this.dailyQuota !== null && state.quotaUsed >= this.dailyQuota);
  }

  async #releaseIf(held: boolean): Promise<void> {
    if (held) {
      await this.#store.releaseProbe();
    }
  }

  #quotaExceeded(now: number): GatewayError {
    return new GatewayError(
      ErrorCode.QUOTA_EXCEEDED,
      "The Crisp token's daily request quota is spent; it resets at 00:00 UTC.",
      { retryAfter: Math.ceil((nextUtcMidnight(now) - now) / 1000) },
    );
  }

  #rateLimited(until: number, now: number): GatewayError {
    return new GatewayError(
      ErrorCode.RATE_LIMITED,
      "Crisp is rate-limiting the gateway; retry later.",
      {
        retryAfter: Math.max(1, Math.ceil((until - now) / 1000)),
      },
    );
  }
}

function utcDay(epochMs: number): number {
  return Math.floor(epochMs / 86_400_000);
}

function nextUtcMidnight(epochMs: number): number {
  return (utcDay(epochMs) + 1) * 86_400_000;
}
