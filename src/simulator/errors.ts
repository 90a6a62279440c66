import { Reason, Status } from "./protocol.js";

/**
 * The error answer a route handler throws: the server turns it into Crisp's error envelope
 * `{ "error": true, "reason": <reason>, "data": {} }` with the given status (crisp-api.md §2.2).
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
 * QS2021: schema validation failures answer `invalid_data`; "a message may also be provided",
 * which write routes do to name the offending field. The status is [I]: the server answers it
 * with `assumptions.invalidDataStatus`.
 */
export function invalidData(message?: string): CrispHttpError {
  return new CrispHttpError(Status.BAD_REQUEST, Reason.INVALID_DATA, message);
}

/**
 * The reason an injected error of a status carries when the test names none: the one our
 * reference gives for that status (crisp-api.md §2.2), else a generic one.
 */
const REASON_OF_STATUS = new Map<number, string>([
  [Status.BAD_REQUEST, Reason.INVALID_DATA],
  [Status.UNAUTHORIZED, Reason.INVALID_SESSION],
  [Status.PAYMENT_REQUIRED, Reason.SUBSCRIPTION_UPGRADE_REQUIRED],
  [Status.FORBIDDEN, Reason.NOT_ALLOWED],
  [Status.NOT_FOUND, Reason.NOT_FOUND],
  [Status.METHOD_NOT_ALLOWED, Reason.METHOD_NOT_ALLOWED],
  [Status.CONFLICT, Reason.CONFLICT],
  [Status.LOCKED, Reason.QUOTA_LIMIT_EXCEEDED],
  [Status.ENHANCE_YOUR_CALM, Reason.RATE_LIMITED],
  [Status.TOO_MANY_REQUESTS, Reason.RATE_LIMITED],
  [Status.BAD_GATEWAY, Reason.SERVICE_UNAVAILABLE],
  [Status.SERVICE_UNAVAILABLE, Reason.SERVICE_UNAVAILABLE],
]);

export function defaultReason(status: number): string {
  return (
    REASON_OF_STATUS.get(status) ??
    (status >= Status.INTERNAL_SERVER_ERROR ? Reason.INTERNAL_ERROR : "error")
  );
}
