import { GraphQLError } from "graphql";

/**
 * The fixed set of `extensions.code` values of the public contract
 * (`../shared/schema-contract.graphql`, header). Clients switch on these; adding one is a
 * contract change.
 */
export const ErrorCode = {
  NOT_FOUND: "NOT_FOUND",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  RATE_LIMITED: "RATE_LIMITED",
  QUOTA_EXCEEDED: "QUOTA_EXCEEDED",
  PLAN_REQUIRED: "PLAN_REQUIRED",
  CONFLICT: "CONFLICT",
  UPSTREAM_UNAVAILABLE: "UPSTREAM_UNAVAILABLE",
  GATEWAY_TIMEOUT: "GATEWAY_TIMEOUT",
  REQUEST_LIMIT_EXCEEDED: "REQUEST_LIMIT_EXCEEDED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface GatewayErrorDetails {
  /** Crisp's `reason` string, when Crisp gave one. */
  crispReason?: string;
  /** Seconds until a retry may succeed (RATE_LIMITED). */
  retryAfter?: number;
  /** The argument or input field at fault (BAD_USER_INPUT). */
  field?: string;
}

/**
 * An expected failure: a GraphQL error that Yoga passes through unmasked, with a contract
 * code. Extra upstream facts (HTTP status) stay on the instance and never reach a client.
 */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;
  /** The Crisp HTTP status behind this error, if any (kept server-side for retries/metrics). */
  readonly upstreamStatus: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details: GatewayErrorDetails = {},
    upstreamStatus?: number,
  ) {
    const extensions: Record<string, unknown> = { code };
    if (details.crispReason !== undefined) {
      extensions.crispReason = details.crispReason;
    }
    if (details.retryAfter !== undefined) {
      extensions.retryAfter = details.retryAfter;
    }
    if (details.field !== undefined) {
      extensions.field = details.field;
    }
    super(message, { extensions });
    this.name = "GatewayError";
    this.code = code;
    this.upstreamStatus = upstreamStatus;
  }
}

export function badUserInput(field: string, message: string): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field });
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}
