import { ErrorCode, GatewayError } from "../errors.js";

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
  settle(status: number, reason?: string, retryAfterMs?: number): void;
}

export class UpstreamGuard {
  readonly dailyQuota: number | null;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #breakerThreshold: number;
  readonly #breakerOpenMs: number;
  readonly #now: () => number;
  readonly #random: () => number;

  #quotaDay: number;
  #quotaUsed = 0;
  #quotaSpent = false;
  #throttledUntil = 0;
  #throttleStreak = 0;
  #failureStreak = 0;
  #breakerOpenUntil = 0;
  /** A probe (after a backoff or an open breaker) is in flight: others wait for its answer. */
  #probing = false;

  constructor({
    dailyQuota = null,
    backoffBaseMs = 1_000, // 1 second
    backoffMaxMs = 60_000, // 1 minute
    breakerThreshold = 5,
    breakerOpenMs = 10_000, // 10 seconds
    now = Date.now,
    random = Math.random,
  }: UpstreamGuardOptions = {}) {
    this.dailyQuota = dailyQuota;
    this.#backoffBaseMs = backoffBaseMs;
    this.#backoffMaxMs = backoffMaxMs;
    this.#breakerThreshold = breakerThreshold;
    this.#breakerOpenMs = breakerOpenMs;
    this.#now = now;
    this.#random = random;
    this.#quotaDay = utcDay(now());
  }

  get quotaUsed(): number {
    this.#rollDay();
    return this.#quotaUsed;
  }

  /** When Crisp's throttling, or a spent quota, is expected to end; null when neither. */
  get rateLimitedUntil(): Date | null {
    this.#rollDay();
    const now = this.#now();
    if (this.#quotaSpent || (this.dailyQuota !== null && this.#quotaUsed >= this.dailyQuota)) {
      return new Date(nextUtcMidnight(now));
    }
    return this.#throttledUntil > now ? new Date(this.#throttledUntil) : null;
  }

  /** Throws the error a caller should get instead of sending; else reserves a quota slot. */
  admit(): Admission {
    this.#rollDay();
    const now = this.#now();
    if (this.#quotaSpent || (this.dailyQuota !== null && this.#quotaUsed >= this.dailyQuota)) {
      throw new GatewayError(
        ErrorCode.QUOTA_EXCEEDED,
        "The Crisp token's daily request quota is spent; it resets at 00:00 UTC.",
        { retryAfter: Math.ceil((nextUtcMidnight(now) - now) / 1000) },
      );
    }
    let probe = false;
    if (this.#throttledUntil > now) {
      throw this.#rateLimited(now);
    }
    if (this.#throttleStreak > 0) {
      if (this.#probing) {
        throw this.#rateLimited(now);
      }
      probe = true;
    }
    if (this.#breakerOpenUntil > now) {
      throw new GatewayError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        "Crisp is failing; the gateway is not sending requests for a few seconds.",
      );
    }
    if (this.#failureStreak >= this.#breakerThreshold) {
      if (this.#probing) {
        throw new GatewayError(
          ErrorCode.UPSTREAM_UNAVAILABLE,
          "Crisp is failing; a probe is checking whether it is back.",
        );
      }
      probe = true;
    }
    this.#quotaUsed += 1;
    this.#probing ||= probe;
    let settled = false;
    return {
      settle: (status, reason, retryAfterMs) => {
        if (settled) {
          return;
        }
        settled = true;
        if (probe) {
          this.#probing = false;
        }
        this.#learn(status, reason, retryAfterMs);
      },
    };
  }

  #learn(status: number, reason: string | undefined, retryAfterMs: number | undefined): void {
    const now = this.#now();
    if (status === 429 || status === 420) {
      this.#throttleStreak += 1;
      if (retryAfterMs !== undefined) {
        this.#throttledUntil = now + retryAfterMs;
        return;
      }
      const ceiling = Math.min(
        this.#backoffMaxMs,
        this.#backoffBaseMs * 2 ** (this.#throttleStreak - 1),
      );
      // "Equal jitter": at least half the backoff, so instances never all return at once.
      this.#throttledUntil = now + ceiling / 2 + (this.#random() * ceiling) / 2;
      return;
    }
    if (status === 423 && reason === "quota_limit_exceeded") {
      this.#quotaSpent = true;
      return;
    }
    if (status === 0 || status >= 500) {
      this.#failureStreak += 1;
      if (this.#failureStreak >= this.#breakerThreshold) {
        this.#breakerOpenUntil = now + this.#breakerOpenMs;
      }
      return;
    }
    this.#throttleStreak = 0;
    this.#throttledUntil = 0;
    this.#failureStreak = 0;
    this.#breakerOpenUntil = 0;
  }

  #rateLimited(now: number): GatewayError {
    return new GatewayError(
      ErrorCode.RATE_LIMITED,
      "Crisp is rate-limiting the gateway; retry later.",
      {
        retryAfter: Math.max(1, Math.ceil((this.#throttledUntil - now) / 1000)),
      },
    );
  }

  #rollDay(): void {
    const today = utcDay(this.#now());
    if (today !== this.#quotaDay) {
      this.#quotaDay = today;
      this.#quotaUsed = 0;
      this.#quotaSpent = false;
    }
  }
}

function utcDay(epochMs: number): number {
  return Math.floor(epochMs / 86_400_000);
}

function nextUtcMidnight(epochMs: number): number {
  return (utcDay(epochMs) + 1) * 86_400_000;
}
