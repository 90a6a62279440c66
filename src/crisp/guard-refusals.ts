import { ErrorCode, GatewayError } from "../errors.js";
import { CRISP_QUOTA_REASON } from "./statuses.js";

/**
 * The errors the upstream guard refuses a request with instead of sending it, each saying when
 * to try again (`retryAfter`, in seconds), and the UTC-day arithmetic of the daily quota.
 */

/** `retryAfter` is when a request may be sent again: 00:00 UTC, or the next probe. */
export function quotaExceeded(until: number, now: number): GatewayError {
  return new GatewayError(
    ErrorCode.QUOTA_EXCEEDED,
    "The Crisp token's daily request quota is spent; it resets at 00:00 UTC.",
    { retryAfter: secondsUntil(until, now) },
  );
}

/** Crisp answered 423 `quota_limit_exceeded` for this scope: held back until `until`. */
export function scopeLocked(until: number, now: number): GatewayError {
  return new GatewayError(
    ErrorCode.QUOTA_EXCEEDED,
    "Crisp answered quota_limit_exceeded for requests like this one; the gateway holds them back, then tries one.",
    { crispReason: CRISP_QUOTA_REASON, retryAfter: secondsUntil(until, now) },
  );
}

/** Crisp throttled (429/420): nothing is sent until `until`. */
export function rateLimited(until: number, now: number): GatewayError {
  return new GatewayError(
    ErrorCode.RATE_LIMITED,
    "Crisp is rate-limiting the gateway; retry later.",
    {
      retryAfter: secondsUntil(until, now),
    },
  );
}

/** The breaker is open: Crisp failed too often in a row. */
export function breakerOpen(): GatewayError {
  return new GatewayError(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    "Crisp is failing; the gateway is not sending requests for a few seconds.",
  );
}

/** The breaker is half-open and its one probe is still out. */
export function breakerProbing(): GatewayError {
  return new GatewayError(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    "Crisp is failing; a probe is checking whether it is back.",
  );
}

/** Never 0: a client told to retry at once would spin. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/** Days since the epoch, in UTC: Crisp's quota resets at 00:00 UTC. */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / 86_400_000);
}

export function nextUtcMidnight(epochMs: number): number {
  return (utcDay(epochMs) + 1) * 86_400_000;
}
