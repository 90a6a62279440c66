import { errors as undiciErrors } from "undici";
import { ErrorCode, GatewayError } from "../errors.js";
import { secondsUntil } from "./guard-refusals.js";
import { CRISP_LOCKED_STATUS, CRISP_QUOTA_REASON, isThrottleStatus } from "./statuses.js";

/**
 * The one place where Crisp failures become contract error codes (crisp-api.md §2.2, §3).
 * Messages are written for the gateway's clients: they never include Crisp's body, the URL
 * or a credential, only Crisp's `reason` (as `crispReason`) and what to do about it.
 */

/**
 * Backoff hint for RATE_LIMITED when Crisp gives none and the guard keeps no backoff (it never sends Retry-After,
 * crisp-api.md §3), in seconds.
 */
export const DEFAULT_RATE_LIMIT_RETRY_AFTER_S = 1;

export function isNotFound(error: unknown): boolean {
  return error instanceof GatewayError && error.code === ErrorCode.NOT_FOUND;
}

/** Maps a Crisp error answer (status and `reason`) to a GatewayError. */
export function crispFailure(
  status: number,
  reason: string | undefined,
  retryAfterHeader?: string | undefined,
): GatewayError {
  const crispReason = reason && reason.length > 0 ? reason : undefined;
  const details = crispReason === undefined ? {} : { crispReason };
  const fail = (code: ErrorCode, message: string, extra: { retryAfter?: number } = {}) =>
    new GatewayError(code, message, { ...details, ...extra }, status);

  if (crispReason === "restricted_route_tier") {
    return fail(ErrorCode.FORBIDDEN, "The Crisp token's tier may not use this Crisp route.");
  }
  if (status === 401) {
    return fail(
      ErrorCode.UNAUTHENTICATED,
      "Crisp refused the gateway's credentials (check CRISP_IDENTIFIER, CRISP_KEY and CRISP_TIER).",
    );
  }
  if (status === 402) {
    return fail(ErrorCode.PLAN_REQUIRED, "This needs a higher Crisp plan on the website.");
  }
  if (status === 403) {
    return fail(ErrorCode.FORBIDDEN, "Crisp does not allow this for the gateway's token.");
  }
  if (status === 404) {
    const what =
      crispReason === "not_subscribed"
        ? "The website has not installed the gateway's Crisp plugin."
        : "Crisp has no such object.";
    return fail(ErrorCode.NOT_FOUND, what);
  }
  if (status === 409) {
    return fail(ErrorCode.CONFLICT, "Crisp refused this change as a conflict.");
  }
  if (isThrottleStatus(status)) {
    return fail(ErrorCode.RATE_LIMITED, "Crisp is rate-limiting the gateway; retry later.", {
      retryAfter: parseRetryAfter(retryAfterHeader) ?? DEFAULT_RATE_LIMIT_RETRY_AFTER_S,
    });
  }
  if (status === CRISP_LOCKED_STATUS) {
    if (crispReason === CRISP_QUOTA_REASON) {
      const retryAfter = parseRetryAfter(retryAfterHeader);
      return fail(
        ErrorCode.QUOTA_EXCEEDED,
        "Crisp answered quota_limit_exceeded: the daily quota is spent, or Crisp paces this route; the gateway holds such requests back, then tries one.",
        retryAfter === undefined ? {} : { retryAfter },
      );
    }
    return fail(ErrorCode.FORBIDDEN, "Crisp locked this action (it needs a verification).");
  }
  if (status === 400) {
    return fail(
      ErrorCode.BAD_USER_INPUT,
      crispReason === "invalid_data"
        ? "Crisp rejected the data as invalid."
        : `Crisp rejected the request (${crispReason ?? "bad request"}).`,
    );
  }
  if (status >= 500) {
    return fail(ErrorCode.UPSTREAM_UNAVAILABLE, `Crisp failed to answer (HTTP ${status}).`);
  }
  return fail(ErrorCode.UPSTREAM_UNAVAILABLE, `Crisp answered unexpectedly (HTTP ${status}).`);
}

/** Crisp may one day send Retry-After; honour it when it does (seconds or an HTTP date). */
export function parseRetryAfter(header: string | undefined): number | undefined {
  if (header === undefined || header === "") {
    return undefined;
  }
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) {
    // Never 0: a client told to retry at once would spin.
    return Math.max(1, Math.ceil(seconds));
  }
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : secondsUntil(at, Date.now());
}

/** Maps a transport failure (no HTTP answer) to GATEWAY_TIMEOUT or UPSTREAM_UNAVAILABLE. */
export function transportFailure(error: unknown): GatewayError {
  if (
    error instanceof undiciErrors.ConnectTimeoutError ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    (error instanceof Error && error.name === "TimeoutError")
  ) {
    return new GatewayError(ErrorCode.GATEWAY_TIMEOUT, "Crisp did not answer in time.");
  }
  return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "Crisp could not be reached.");
}
