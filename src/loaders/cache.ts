import { LRUCache } from "lru-cache";

/**
 * The cache shared by every request, beneath the per-request loaders. Keyed by token, website
 * and resource; bounded by entries and bytes; a TTL per kind of resource. Only successful
 * Crisp answers are stored: an error, a throttling answer or a timeout never is.
 *
 * Concurrent requests for the same key share one in-flight Crisp request, so a hundred
 * dashboards opening at once cost what one costs.
 */

export const CACHE_KINDS = [
  "website",
  "websiteExists",
  "connectedWebsites",
  "conversation",
  "conversationPage",
  "messageBatch",
  "message",
  "person",
  "peoplePage",
  "personConversationPage",
  "operators",
  "visitorPage",
  "visitorCount",
  "personData",
  "pluginAccount",
  "pluginSettings",
  "raw",
] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

/**
 * How long each kind is served without asking Crisp, in ms. Slow-changing configuration
 * lives minutes; conversations and lists seconds, because web hooks (when configured) drop
 * what they change at once and the TTL only bounds staleness when they are not.
 */
export const DEFAULT_CACHE_TTLS_MS: Readonly<Record<CacheKind, number>> = {
  website: 300_000, // 5 minutes: names and domains hardly change
  websiteExists: 300_000,
  connectedWebsites: 300_000,
  operators: 300_000,
  conversation: 30_000,
  conversationPage: 15_000,
  messageBatch: 30_000,
  message: 300_000, // a message only changes through message:updated, which drops it
  person: 120_000,
  peoplePage: 60_000,
  personConversationPage: 60_000,
  visitorPage: 10_000, // live visitors come and go
  visitorCount: 10_000,
  personData: 120_000,
  pluginAccount: 3_600_000, // 1 hour: a plugin's id never changes
  pluginSettings: 60_000,
  raw: 15_000, // crispRequest GETs: any route, so as short as the list pages
};

export interface SharedCacheOptions {
  /** Largest number of entries. @default 20_000 */
  maxEntries?: number;
  /** Largest total size of the stored JSON, bytes. @default 67_108_864 (64 MiB) */
  maxBytes?: number;
  /** TTL per kind, ms; 0 disables caching of that kind. @default DEFAULT_CACHE_TTLS_MS */
  ttlMs?: Partial<Record<CacheKind, number>>;
  /**
   * How long past its TTL an entry may still be served while a background refresh runs, or
   * while Crisp throttles, is over quota or fails. @default 600_000 (10 minutes)
   */
  maxStaleMs?: number;
  /** The clock, injectable for tests. @default performance.now */
  now?: () => number;
}

/** A cache key: its parts, of which the first two are always the kind and the website. */
export type CacheKey = readonly [
  kind: CacheKind,
  websiteId: string,
  ...rest: (string | number | undefined)[],
];

export interface CacheStats {
  hits: number;
  misses: number;
  /** Answers served past their TTL (while refreshing, or because Crisp could not answer). */
  staleServes: number;
}

interface Inflight {
  promise: Promise<unknown>;
  controller: AbortController;
  /** Callers waiting for it; when the last one leaves, the Crisp request is aborted. */
  waiters: number;
  /** A refresh nobody waits for (stale-while-revalidate): never aborted. */
  background: boolean;
}

interface Entry {
  value: unknown;
  key: CacheKey;
  /** When it stops being fresh (clock of the cache). */
  freshUntil: number;
}

export class SharedCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, staleServes: 0 };
  readonly #entries: LRUCache<string, Entry>;
  readonly #maxStaleMs: number;
  readonly #now: () => number;
  readonly #inflight = new Map<string, Inflight>();
  readonly #ttl: Record<CacheKind, number>;
  readonly #scope: string;

  /** @param scope separates tokens: two tokens never share entries. */
  constructor(
    scope: string,
    {
      maxEntries = 20_000,
      maxBytes = 67_108_864, // 64 MiB
      ttlMs = {},
      maxStaleMs = 600_000, // 10 minutes
      now = () => performance.now(),
    }: SharedCacheOptions = {},
  ) {
    this.#scope = scope;
    this.#maxStaleMs = maxStaleMs;
    this.#now = now;
    this.#ttl = { ...DEFAULT_CACHE_TTLS_MS, ...ttlMs };
    this.#entries = new LRUCache({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (entry) => Math.max(1, JSON.stringify(entry.value ?? null).length),
      ttlAutopurge: false,
      perf: { now },
    });
  }

  /**
   * The cached value of `key`, else the one `load` fetches, shared with every concurrent
   * caller of the same key. A rejected load is not stored.
   *
   * Past its TTL (but within `maxStaleMs`) the old value is answered at once and refreshed in
   * the background; `onStale` is told, so the response can say it used stale data. A failed
   * refresh keeps the old value: while Crisp throttles or fails, what the gateway had stays
   * served, and only what it never had fails.
   *
   * `signal` is the caller's: when it aborts, that caller stops waiting, and once no caller
   * is left waiting the Crisp request itself is aborted. A load others still wait for goes on.
   */
  async get<T>(
    key: CacheKey,
    load: (signal: AbortSignal) => Promise<T>,
    onStale?: () => void,
    signal?: AbortSignal,
  ): Promise<T> {
    signal?.throwIfAborted();
    const id = this.#id(key);
    const ttl = this.#ttl[key[0]];
    const cached = ttl > 0 ? this.#entries.get(id) : undefined;
    if (cached !== undefined) {
      if (cached.freshUntil > this.#now()) {
        this.stats.hits += 1;
        return cached.value as T;
      }
      this.stats.staleServes += 1;
      onStale?.();
      if (!this.#inflight.has(id)) {
        // Nobody waits for a background refresh, so nobody's leaving cancels it; its errors
        // are the next caller's concern, not this one's.
        this.#start(id, key, ttl, load, { background: true }).promise.catch(() => undefined);
      }
      return cached.value as T;
    }
    const pending = this.#inflight.get(id);
    if (pending !== undefined) {
      this.stats.hits += 1;
      return this.#wait(id, pending, signal) as Promise<T>;
    }
    this.stats.misses += 1;
    return this.#wait(
      id,
      this.#start(id, key, ttl, load, { background: false }),
      signal,
    ) as Promise<T>;
  }

  #start<T>(
    id: string,
    key: CacheKey,
    ttl: number,
    load: (signal: AbortSignal) => Promise<T>,
    { background }: { background: boolean },
  ): Inflight {
    const controller = new AbortController();
    const inflight: Inflight = { promise: Promise.resolve(), controller, waiters: 0, background };
    inflight.promise = load(controller.signal).then((value) => {
      // A drop that happened while this load was in flight wins: it knew of a newer change.
      if (this.#inflight.get(id) === inflight && ttl > 0) {
        this.#entries.set(
          id,
          { value, key, freshUntil: this.#now() + ttl },
          { ttl: ttl + this.#maxStaleMs },
        );
      }
      return value;
    });
    inflight.promise
      .finally(() => {
        if (this.#inflight.get(id) === inflight) {
          this.#inflight.delete(id);
        }
      })
      .catch(() => undefined);
    this.#inflight.set(id, inflight);
    return inflight;
  }

  /** Waits for an in-flight load on behalf of one caller, who may leave early. */
  #wait(id: string, inflight: Inflight, signal: AbortSignal | undefined): Promise<unknown> {
    inflight.waiters += 1;
    if (signal === undefined) {
      return inflight.promise;
    }
    return new Promise((resolve, reject) => {
      const leave = () => {
        inflight.waiters -= 1;
        reject(signal.reason);
        if (inflight.waiters === 0 && !inflight.background) {
          // Nobody is left to read the answer: stop asking Crisp for it.
          inflight.controller.abort(signal.reason);
          if (this.#inflight.get(id) === inflight) {
            this.#inflight.delete(id);
          }
        }
      };
      signal.addEventListener("abort", leave, { once: true });
      inflight.promise.then(
        (value) => {
          signal.removeEventListener("abort", leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(error);
        },
      );
    });
  }

  /** Drops every entry (and in-flight load) of the website whose key `select` picks. */
  drop(websiteId: string, select: (key: CacheKey, value: unknown) => boolean): number {
    let dropped = 0;
    for (const [id, entry] of this.#entries.entries()) {
      if (entry.key[1] === websiteId && select(entry.key, entry.value)) {
        this.#entries.delete(id);
        dropped += 1;
      }
    }
    for (const id of [...this.#inflight.keys()]) {
      const key = JSON.parse(id).slice(1) as CacheKey;
      if (key[1] === websiteId && select(key, undefined)) {
        this.#inflight.delete(id);
      }
    }
    return dropped;
  }

  get size(): number {
    return this.#entries.size;
  }

  #id(key: CacheKey): string {
    return JSON.stringify([this.#scope, ...key]);
  }
}
