import DataLoader from "dataloader";
import type { Viewer } from "../auth.js";
import type { OperationBudget } from "../budget.js";
import type { CrispClient } from "../crisp/client.js";
import { ErrorCode, GatewayError } from "../errors.js";
import type { UsageCounters } from "../usage.js";
import type { SharedCache } from "./cache.js";
import type { CacheKey, CacheKind } from "./cache-kinds.js";

export interface LoaderDeps {
  crisp: CrispClient;
  usage: UsageCounters;
  /** Shared by every request of this token. */
  cache: SharedCache;
  /** Told when an answer comes from past its TTL, so the response can say so. */
  onStale?: () => void;
  /**
   * The operation's budget (a subscription's: reset for each event), charged for every Crisp
   * request the loaders send. @default none: nothing is capped or reported
   */
  budget?: OperationBudget;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** Who asks: only their websites are read. @default the open viewer (every website) */
  viewer?: Viewer;
}

/**
 * Loader keys are tuples; DataLoader caches by a string, so each key is also given a stable
 * string form (JSON keeps ids that contain separators from colliding).
 */
export type Key = readonly (string | number | undefined)[];

/** Where a loader's loads and misses are counted: the gateway's usage, and the operation's. */
export interface LoadCounts {
  usage: UsageCounters;
  budget: OperationBudget | undefined;
}

/**
 * A per-request loader over a Crisp read that has no batch endpoint: every distinct key is one
 * Crisp read (one request, or every page of a walk), made once per request however many
 * fields ask for it. Counts loads and misses, for the gateway and for the operation; the Crisp
 * requests themselves are charged to the operation's budget by the client.
 */
export class CrispLoader<K extends Key, V> extends DataLoader<K, V, string> {
  readonly #counts: LoadCounts;

  constructor(
    counts: LoadCounts,
    shared: {
      cache: SharedCache;
      kind: CacheKind;
      scope?: (key: K) => CacheKey;
      onStale?: () => void;
      /** The request's: its leaving cancels the Crisp requests only it waits for. */
      signal?: AbortSignal;
      /** Finds the value in another cached entry (a list page holding it), for free. */
      peek?: (key: K) => V | undefined;
    },
    fetchOne: (key: K, signal: AbortSignal) => Promise<V>,
  ) {
    const cacheKey = shared.scope ?? ((key: K) => [shared.kind, ...key] as unknown as CacheKey);
    const fetchCounted = (key: K, signal: AbortSignal) => {
      if (counts.budget?.ended === true) {
        return Promise.reject(ABANDONED_READ);
      }
      counts.usage.countMiss();
      const { budget } = counts;
      if (budget === undefined) {
        return fetchOne(key, signal);
      }
      budget.misses += 1;
      // A read may take several exchanges (a walk's pages): the operation waits for all.
      budget.begin();
      return fetchOne(key, signal).finally(() => budget.finish());
    };
    super(
      async (keys) => {
        const settled = await Promise.allSettled(
          keys.map((key) => {
            const found = shared.peek?.(key);
            return found !== undefined
              ? Promise.resolve(found)
              : shared.cache.get(
                  cacheKey(key),
                  (signal) => fetchCounted(key, signal),
                  shared.onStale,
                  shared.signal,
                );
          }),
        );
        // DataLoader's contract: one result per key, in key order, an Error in a failed slot.
        return settled.map((result) =>
          result.status === "fulfilled" ? result.value : toError(result.reason),
        );
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    );
    this.#counts = counts;
  }

  readonly #keys = new Map<string, K>();

  override load(key: K): Promise<V> {
    this.#counts.usage.countLoad();
    if (this.#counts.budget !== undefined) {
      this.#counts.budget.loads += 1;
    }
    this.#keys.set(JSON.stringify(key), key);
    return super.load(key);
  }

  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    this.#keys.set(JSON.stringify(key), key);
    return super.prime(key, value);
  }

  /** Drops every cached key the predicate selects, so the next load asks Crisp again. */
  clearWhere(select: (key: K) => boolean): void {
    for (const [cacheKey, key] of this.#keys) {
      if (select(key)) {
        this.clear(key);
        this.#keys.delete(cacheKey);
      }
    }
  }
}

/**
 * What a read gets when its operation has already answered: graphql-js lets abandoned resolvers
 * run on, and their Crisp requests would cost quota for a result nobody reads.
 */
const ABANDONED_READ = new GatewayError(
  ErrorCode.UPSTREAM_UNAVAILABLE,
  "The operation had already answered; this read was not sent.",
);

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
