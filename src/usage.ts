import type { CrispExchange } from "./crisp/client.js";
import { DEFAULT_RATE_LIMIT_RETRY_AFTER_S } from "./crisp/errors.js";

/**
 * The gateway's own counters, shown by `Query.gateway`. One instance per gateway process,
 * shared by every request.
 */
export class UsageCounters {
  /** Every HTTP request sent to Crisp, answered or not, retries included. */
  upstreamRequests = 0;
  /** Every object or page the resolvers asked the loaders for. */
  loads = 0;
  /** Loads that had to ask Crisp. */
  cacheMisses = 0;
  #quotaDay: number;
  #quotaUsed = 0;
  #rateLimitedUntil = 0;
  readonly #now: () => number;

  /** @param now the clock, injectable so tests can cross midnight UTC without sleeping. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#quotaDay = utcDay(now());
  }

  /** Loads answered without a Crisp request (already loaded or primed from a list). */
  get cacheHits(): number {
    return this.loads - this.cacheMisses;
  }

  /**
   * Until when Crisp's last 429/420 asks to hold back. Crisp sends no Retry-After
   * (crisp-api.md §3), so this is the same hint clients get as `retryAfter`.
   */
  get rateLimitedUntil(): Date | null {
    return this.#rateLimitedUntil > this.#now() ? new Date(this.#rateLimitedUntil) : null;
  }

  recordExchange(exchange: CrispExchange): void {
    this.upstreamRequests += 1;
    if (exchange.status === 429 || exchange.status === 420) {
      this.#rateLimitedUntil = this.#now() + DEFAULT_RATE_LIMIT_RETRY_AFTER_S * 1000;
    }
    this.#rollQuotaDay();
    this.#quotaUsed += 1;
  }

  /** Requests counted against today's quota; Crisp resets quotas daily at 00:00 UTC. */
  get quotaUsed(): number {
    this.#rollQuotaDay();
    return this.#quotaUsed;
  }

  #rollQuotaDay(): void {
    const today = utcDay(this.#now());
    if (today !== this.#quotaDay) {
      this.#quotaDay = today;
      this.#quotaUsed = 0;
    }
  }
}

function utcDay(epochMs: number): number {
  return Math.floor(epochMs / 86_400_000);
}
