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
  /**
   * Crisp requests the operation (or one subscription event) may send; a streamed field adds
   * one page's estimate for every page it goes on to (`extend`).
   */
  limit: number;
  /** Set by the cost plugin before the operation runs. */
  estimated = 0;
  /** Sent so far (reserved while the guard decides, refunded if it refuses). */
  crispRequests = 0;
  /** Loads the resolvers asked for. */
  loads = 0;
  /** Loads that had to ask Crisp. */
  misses = 0;
  #ended = false;
  /** Crisp exchanges under way for the operation (a retry's pause included). */
  #inFlight = 0;
  #idle: (() => void)[] = [];
  /** A subscription's events before the current one, and what they cost together. */
  readonly #earlier = { events: 0, crispRequests: 0, cacheHits: 0 };

  readonly #onSpend: ((delta: 1 | -1) => void) | undefined;

  /** @param onSpend told of every request charged (1) or given back (-1): a client's counters. */
  constructor(limit: number, onSpend?: (delta: 1 | -1) => void) {
    this.limit = limit;
    this.#onSpend = onSpend;
  }

  /**
   * Whether the operation (a subscription: its current event) has answered. Resolvers
   * graphql-js abandoned (a sibling failed, the deadline passed) may still run; they start no
   * new Crisp read, since nobody would see it.
   */
  get ended(): boolean {
    return this.#ended;
  }

  /** The operation (or event) has its response: what it still asks for is abandoned work. */
  end(): void {
    this.#ended = true;
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
    this.#onSpend?.(1);
  }

  /** A Crisp exchange for the operation begins: its attempts, and the pauses between them. */
  begin(): void {
    this.#inFlight += 1;
  }

  /** That exchange is over, answered or not. */
  finish(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#inFlight === 0) {
      for (const wake of this.#idle.splice(0)) {
        wake();
      }
    }
  }

  /** Resolves once no Crisp exchange of the operation is under way. */
  idle(): Promise<void> {
    return this.#inFlight === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * What one page of each streamed field (`@stream`) costs at worst, as the estimate found it,
   * by the field's place in the document: the field adds it to the limit for each page after
   * its first (`extend`).
   */
  readonly #pageCosts = new WeakMap<object, number>();

  /** Records the estimated cost of one page of the streamed field at `node`. */
  notePageCost(node: object, cost: number): void {
    this.#pageCosts.set(node, cost);
  }

  /** The estimated cost of one page of the streamed field at `node` (0 when not estimated). */
  pageCost(node: object): number {
    return this.#pageCosts.get(node) ?? 0;
  }

  /**
   * A streamed field goes on to another page: the operation may spend that page's estimate
   * more. A stream is metered page by page, as a subscription is event by event, so a
   * whole-workspace export is never refused for its size, and no page may spend more than
   * the estimate said one would.
   */
  extend(requests: number): void {
    this.limit += Math.max(0, requests);
  }

  /** Gives back a request `spend` counted that was never sent (the guard refused it). */
  refund(): void {
    if (this.crispRequests > 0) {
      this.#onSpend?.(-1);
    }
    this.crispRequests = Math.max(0, this.crispRequests - 1);
  }

  report(): CostReport {
    return {
      estimated: this.estimated,
      crispRequests: this.crispRequests,
      cacheHits: this.cacheHits,
    };
  }

  /** Shared reads this event was charged for (each once, however many fields use it). */
  #shared = new WeakSet<object>();

  /**
   * Charges this event for a read made once for every subscriber of the event (the
   * conversation an event changed, when the gateway did not hold it): what it sent is what
   * this event needed, whoever's resolver asked first.
   */
  chargeShared(read: object, cost: { crispRequests: number; loads: number; misses: number }): void {
    if (this.#shared.has(read)) {
      return;
    }
    this.#shared.add(read);
    this.crispRequests += cost.crispRequests;
    this.loads += cost.loads;
    this.misses += cost.misses;
  }

  /**
   * Counts an event this subscription got from an execution it shares with identical ones
   * (src/plugins/use-shared-subscriptions.ts), at that execution's cost, in `totals()`.
   */
  countSharedEvent(cost: CostReport): void {
    this.#earlier.events += 1;
    this.#earlier.crispRequests += cost.crispRequests;
    this.#earlier.cacheHits += cost.cacheHits;
  }

  /** A subscription's next event is a new read of Crisp, with a budget of its own. */
  startEvent(): void {
    this.#shared = new WeakSet();
    if (this.#ended) {
      this.#earlier.events += 1;
      this.#earlier.crispRequests += this.crispRequests;
      this.#earlier.cacheHits += this.cacheHits;
      this.crispRequests = 0;
      this.loads = 0;
      this.misses = 0;
    }
    this.#ended = false;
  }

  /** What a subscription cost over its whole life (an operation: what it cost). */
  totals(): { events: number; crispRequests: number; cacheHits: number } {
    return {
      events: this.#earlier.events + (this.#ended ? 1 : 0),
      crispRequests: this.#earlier.crispRequests + this.crispRequests,
      cacheHits: this.#earlier.cacheHits + this.cacheHits,
    };
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
