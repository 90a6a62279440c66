/**
 * The gateway's own counters, shown by `Query.gateway`. One instance per gateway process,
 * shared by every request. Quota and throttling live in the Crisp client's UpstreamGuard.
 */
export class UsageCounters {
  /** Every HTTP request sent to Crisp, answered or not, retries included. */
  upstreamRequests = 0;
  /** Every object or page the resolvers asked the loaders for. */
  loads = 0;
  /** Loads that had to ask Crisp. */
  cacheMisses = 0;

  /** Loads answered without a Crisp request (already loaded, primed, or in the shared cache). */
  get cacheHits(): number {
    return this.loads - this.cacheMisses;
  }

  countUpstreamRequest(): void {
    this.upstreamRequests += 1;
  }
}
