import { LRUCache } from "lru-cache";

/**
 * The gateway's own counters, shown by `Query.gateway`. One root per gateway process, shared by
 * every request, and a child per client (`forViewer`) that counts that client's share and adds
 * it to the root: a viewer who may see every website is shown the root, any other viewer only
 * its own numbers, so no client learns another's traffic. Quota and throttling live in the
 * Crisp client's UpstreamGuard.
 */
export class UsageCounters {
  /** Every HTTP request sent to Crisp, answered or not, retries included. */
  upstreamRequests = 0;
  /** Every object or page the resolvers asked the loaders for. */
  loads = 0;
  /** Loads that had to ask Crisp. */
  cacheMisses = 0;
  readonly #parent: UsageCounters | undefined;
  /** The clients' own counters (a root's only): the most recent 10,000 clients. */
  readonly #viewers: LRUCache<string, UsageCounters> | undefined;

  constructor(parent?: UsageCounters) {
    this.#parent = parent;
    this.#viewers = parent === undefined ? new LRUCache({ max: 10_000 }) : undefined;
  }

  /** Loads answered without a Crisp request (already loaded, primed, or in the shared cache). */
  get cacheHits(): number {
    return this.loads - this.cacheMisses;
  }

  countLoad(): void {
    this.loads += 1;
    this.#parent?.countLoad();
  }

  countMiss(): void {
    this.cacheMisses += 1;
    this.#parent?.countMiss();
  }

  /**
   * `delta` -1 gives back a request counted but never sent. Not added to the root: the root
   * counts every exchange itself (the client reports each), its own background ones included.
   */
  countUpstreamRequest(delta: 1 | -1 = 1): void {
    this.upstreamRequests = Math.max(0, this.upstreamRequests + delta);
  }

  /** One client's counters, created on first use; a child's own children are itself. */
  forViewer(name: string): UsageCounters {
    if (this.#viewers === undefined) {
      return this;
    }
    let counters = this.#viewers.get(name);
    if (counters === undefined) {
      counters = new UsageCounters(this);
      this.#viewers.set(name, counters);
    }
    return counters;
  }
}
