import { ErrorCode, GatewayError } from "./errors.js";

/** What one operation cost, as its response's `extensions.cost` reports it. */
export interface CostReport {
  /** Its worst-case Crisp requests, estimated from the document before it ran. */
  estimated: number;
  /** The Crisp requests it sent: retries and every page of a walk included. */
  crispRequests: number;
  /** Its loads answered without a Crisp request of its own (already loaded, primed, or cached). */
  cacheHits: number;
}

/**
 * One operation's Crisp spending; for a subscription, one event's. The context factory makes
 * one per operation; the Crisp client charges it before every request it sends for the
 * operation (a retry, a page of a walk, a write alike) and refuses past `limit`; the loaders
 * tell it every load; the cost plugin sets `estimated` and reports it.
 *
 * A neutral module: the client, the loaders and the plugins import it, and it imports only
 * the error codes.
 */
export class OperationBudget {
  /** Crisp requests the operation (or one subscription event) may send. */
  readonly limit: number;
  /** Set by the cost plugin before the operation runs. */
  estimated = 0;
  /** Sent so far (reserved while the guard decides, refunded if it refuses). */
  crispRequests = 0;
  /** Loads the resolvers asked for. */
  loads = 0;
  /** Loads that had to ask Crisp. */
  misses = 0;
  /** A subscription's events so far, and what they cost together (for the access log). */
  readonly lifetime = { events: 0, crispRequests: 0, cacheHits: 0 };

  constructor(limit: number) {
    this.limit = limit;
  }

  get cacheHits(): number {
    return this.loads - this.misses;
  }

  /** Counts one Crisp request about to be sent, or refuses it past the limit. */
  spend(): void {
    if (this.crispRequests >= this.limit) {
      throw overBudget(this.crispRequests + 1, this.limit, "spent");
    }
    this.crispRequests += 1;
  }

  /** Gives back a request `spend` counted that was never sent (the guard refused it). */
  refund(): void {
    this.crispRequests = Math.max(0, this.crispRequests - 1);
  }

  report(): CostReport {
    return {
      estimated: this.estimated,
      crispRequests: this.crispRequests,
      cacheHits: this.cacheHits,
    };
  }

  /** A subscription's next event is a new read of Crisp, with a budget of its own. */
  nextEvent(): void {
    this.lifetime.events += 1;
    this.lifetime.crispRequests += this.crispRequests;
    this.lifetime.cacheHits += this.cacheHits;
    this.crispRequests = 0;
    this.loads = 0;
    this.misses = 0;
  }
}

/** Refusal of an operation over its Crisp budget: estimated before it runs, or spent while it runs. */
export function overBudget(
  requests: number,
  limit: number,
  when: "estimated" | "spent",
): GatewayError {
  const message =
    when === "estimated"
      ? `This operation could cost up to ${requests} Crisp requests; the limit is ${limit}. Ask for smaller pages or fewer nested fields.`
      : `This operation needed more than ${limit} Crisp requests, the limit per operation.`;
  return new GatewayError(ErrorCode.REQUEST_LIMIT_EXCEEDED, message, {});
}
