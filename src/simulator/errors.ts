/**
 * The error answer a route handler throws: the server turns it into Crisp's error envelope
 * `{ "error": true, "reason": <reason>, "data": {} }` with the given status.
 */
export class CrispHttpError extends Error {
  readonly status: number;
  readonly reason: string;
  /** The envelope's `data`; libraries read an optional `data.message` (crisp-api.md §2.2). */
  readonly data: Record<string, unknown>;

  constructor(status: number, reason: string, message?: string) {
    super(`${status} ${reason}${message === undefined ? "" : `: ${message}`}`);
    this.name = "CrispHttpError";
    this.status = status;
    this.reason = reason;
    this.data = message === undefined ? {} : { message };
  }
}

/**
 * QS2021: schema validation failures answer `invalid_data` (status 400 is inferred); "a message
 * may also be provided", which write routes do to name the offending field.
 */
export function invalidData(message?: string): CrispHttpError {
  return new CrispHttpError(400, "invalid_data", message);
}

/** Reasons Crisp answers per status, for injected errors that name none. */
export const DEFAULT_REASONS: Readonly<Record<number, string>> = {
  400: "invalid_data",
  401: "invalid_session",
  402: "subscription_upgrade_required",
  403: "not_allowed",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  420: "rate_limited",
  423: "quota_limit_exceeded",
  429: "rate_limited",
  500: "internal_error",
  502: "service_unavailable",
  503: "service_unavailable",
};

export function defaultReason(status: number): string {
  return DEFAULT_REASONS[status] ?? (status >= 500 ? "internal_error" : "error");
}
