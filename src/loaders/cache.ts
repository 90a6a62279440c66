import { LRUCache } from "lru-cache";
import { TagIndex, tagsOf } from "./cache-index.js";
import { type CacheKey, type CacheKind, DEFAULT_CACHE_TTLS_MS } from "./cache-kinds.js";
import { type Inflight, waitFor } from "./inflight.js";
import type { SecondLevel } from "./second-level.js";

/**
 * The cache shared by every request, beneath the per-request loaders. Keyed by token, website
 * and resource; bounded by entries and bytes; a TTL per kind of resource. Only successful
 * Crisp answers are stored: an error, a throttling answer or a timeout never is.
 *
 * Concurrent requests for the same key share one in-flight Crisp request, so a hundred
 * dashboards opening at once cost what one costs.
 *
 * Entries are indexed by tags (`cacheTag`): their kind and website, the conversations and
 * people they hold. What a Crisp event or a write changes is found through the index, never
 * by a scan of the cache, and patched in place (src/events/upkeep.ts) or dropped.
 */

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

/** What the gateway wires in beside the options (src/server.ts). */
export interface SharedCacheHooks {
  /**
   * Applied to every value loaded from Crisp before it is stored or answered: the recent
   * events it may not show yet (Crisp's own GET cache can answer the state from before an
   * event that announced a change). @default none
   */
  overlay?: (key: CacheKey, value: unknown) => unknown;
  /**
   * Told of the conversation or person tag a write changed (`forgetEvents`), so the recent
   * events of that object are not laid over the write's own read-back. @default none
   */
  forget?: (tag: string) => void;
  /**
   * The second level shared by every instance (src/loaders/second-level.ts): asked on a miss
   * of this one, and where concurrent misses across instances wait for one Crisp read.
   * @default none (one instance)
   */
  secondLevel?: SecondLevel;
  /**
   * Longest a value is kept in the second level, ms: no longer than recent events are laid
   * over what is loaded (a value stored before an event must not outlive its memory of it).
   * @default 120_000 (2 minutes, the event journal's)
   */
  secondLevelMaxMs?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Misses of this instance the second level answered (another instance had read it). */
  secondLevelHits: number;
  /** Answers served past their TTL (while refreshing, or because Crisp could not answer). */
  staleServes: number;
}

interface Entry {
  value: unknown;
  key: CacheKey;
  /** When it stops being fresh (clock of the cache). */
  freshUntil: number;
  /** Bytes of its JSON when stored; a patch keeps it (patches hardly change sizes). */
  size: number;
}

/** One entry as a patch sees it. */
export interface CachedEntry {
  key: CacheKey;
  value: unknown;
  fresh: boolean;
}

export class SharedCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, secondLevelHits: 0, staleServes: 0 };
  readonly #entries: LRUCache<string, Entry>;
  readonly #maxStaleMs: number;
  readonly #now: () => number;
  readonly #inflight = new Map<string, Inflight>();
  readonly #ttl: Record<CacheKind, number>;
  readonly #scope: string;
  readonly #overlay: ((key: CacheKey, value: unknown) => unknown) | undefined;
  readonly #forget: ((tag: string) => void) | undefined;
  readonly #secondLevel: SecondLevel | undefined;
  readonly #secondLevelMaxMs: number;
  readonly #index = new TagIndex();

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
    { overlay, forget, secondLevel, secondLevelMaxMs = 120_000 }: SharedCacheHooks = {},
  ) {
    this.#scope = scope;
    this.#forget = forget;
    this.#secondLevel = secondLevel;
    this.#secondLevelMaxMs = secondLevelMaxMs;
    this.#maxStaleMs = maxStaleMs;
    this.#now = now;
    this.#overlay = overlay;
    this.#ttl = { ...DEFAULT_CACHE_TTLS_MS, ...ttlMs };
    this.#entries = new LRUCache({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (entry) => entry.size,
      ttlAutopurge: false,
      perf: { now },
      dispose: (_entry, id) => this.#index.untag(id),
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

  /** The cached value of `key` if it is there and fresh, without loading anything. */
  peek(key: CacheKey): unknown {
    const entry = this.#entries.peek(this.#id(key));
    return entry !== undefined && entry.freshUntil > this.#now() ? entry.value : undefined;
  }

  /** Every entry carrying `tag` now (a snapshot: patching them while iterating is safe). */
  tagged(tag: string): CachedEntry[] {
    const ids = this.#index.ids(tag);
    if (ids === undefined) {
      return [];
    }
    const now = this.#now();
    const found: CachedEntry[] = [];
    for (const id of ids) {
      const entry = this.#entries.peek(id, { allowStale: true });
      if (entry !== undefined) {
        found.push({ key: entry.key, value: entry.value, fresh: entry.freshUntil > now });
      }
    }
    return found;
  }

  /**
   * Replaces the value of the entry of `key` with what a patch made of it, keeping its
   * freshness and expiry, and re-indexes it. Nothing happens if the entry is gone.
   */
  replace(key: CacheKey, value: unknown): void {
    const id = this.#id(key);
    const entry = this.#entries.peek(id, { allowStale: true });
    if (entry === undefined) {
      return;
    }
    this.#entries.set(id, { ...entry, value }, { noUpdateTTL: true, size: entry.size });
    this.#index.tag(id, entry.key, value);
    // Other instances patch their own copies; one that has none reads Crisp's anew.
    this.#secondLevel?.delete(id);
  }

  /** Drops the entry of `key`; a load in flight for it will not be stored. */
  dropKey(key: CacheKey): void {
    const id = this.#id(key);
    this.#entries.delete(id);
    this.#inflight.delete(id);
    this.#secondLevel?.delete(id);
  }

  /**
   * Drops every entry carrying `tag` that `select` picks (all of them without `select`), and
   * the loads in flight it picks, so the next read asks Crisp. Returns how many were dropped.
   */
  dropTagged(tag: string, select: (key: CacheKey, value: unknown) => boolean = () => true): number {
    let dropped = 0;
    for (const entry of this.tagged(tag)) {
      if (select(entry.key, entry.value)) {
        const id = this.#id(entry.key);
        this.#entries.delete(id);
        this.#secondLevel?.delete(id);
        dropped += 1;
      }
    }
    for (const [id, inflight] of this.#inflight) {
      // Loads in flight are few (bounded by concurrent reads): this is not a cache scan.
      if (tagsOf(inflight.key, undefined).includes(tag) && select(inflight.key, undefined)) {
        this.#inflight.delete(id);
      }
    }
    return dropped;
  }

  /**
   * Forgets the recent events of `tag` (the `forget` hook): after the gateway's own write, its
   * read-back must show the write, not older events laid over it. An event never calls this:
   * what it drops is re-read from Crisp's GET cache, which may lag behind the events kept.
   */
  forgetEvents(tag: string): void {
    this.#forget?.(tag);
  }

  get size(): number {
    return this.#entries.size;
  }

  #start<T>(
    id: string,
    key: CacheKey,
    ttl: number,
    load: (signal: AbortSignal) => Promise<T>,
    { background }: { background: boolean },
  ): Inflight {
    const controller = new AbortController();
    const inflight: Inflight = {
      key,
      promise: Promise.resolve(),
      controller,
      waiters: 0,
      background,
    };
    inflight.promise = this.#fetch(id, ttl, load, controller.signal).then((loaded) => {
      const value = (
        this.#overlay === undefined ? loaded.value : this.#overlay(key, loaded.value)
      ) as T;
      // A drop that happened while this load was in flight wins: it knew of a newer change.
      if (this.#inflight.get(id) === inflight && ttl > 0) {
        this.#store(id, key, value, loaded.freshForMs, ttl);
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

  /**
   * Crisp's answer for `id`: from the second level when another instance read it (fresh for
   * what is left of its freshness), else read (by one instance for all of them).
   */
  async #fetch<T>(
    id: string,
    ttl: number,
    load: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<{ value: T; freshForMs: number }> {
    const shared = ttl > 0 ? this.#secondLevel : undefined;
    if (shared === undefined) {
      return { value: await load(signal), freshForMs: ttl };
    }
    const stored = await shared.get(id);
    if (stored !== undefined) {
      this.stats.secondLevelHits += 1;
      return {
        value: stored.value as T,
        freshForMs: Math.min(ttl, stored.freshUntil - Date.now()),
      };
    }
    let readHere = false;
    const loaded = await shared.load(
      id,
      () => {
        readHere = true;
        return load(signal);
      },
      { ttlMs: Math.min(ttl, this.#secondLevelMaxMs), signal },
    );
    if (!readHere) {
      this.stats.secondLevelHits += 1;
    }
    return {
      value: loaded.value,
      freshForMs: readHere ? ttl : Math.min(ttl, loaded.freshUntil - Date.now()),
    };
  }

  #store(id: string, key: CacheKey, value: unknown, freshForMs: number, ttl: number): void {
    const size = Math.max(1, JSON.stringify(value ?? null).length);
    this.#entries.set(
      id,
      { value, key, freshUntil: this.#now() + freshForMs, size },
      { ttl: ttl + this.#maxStaleMs },
    );
    // Refused only when larger than the whole cache; `has` would disturb its TTL clock.
    if (this.#entries.peek(id, { allowStale: true }) !== undefined) {
      this.#index.tag(id, key, value);
    }
  }

  /** Waits on behalf of one caller; the last to leave stops the Crisp request. */
  #wait(id: string, inflight: Inflight, signal: AbortSignal | undefined): Promise<unknown> {
    return waitFor(inflight, signal, () => {
      if (this.#inflight.get(id) === inflight) {
        this.#inflight.delete(id);
      }
    });
  }

  #id(key: CacheKey): string {
    return JSON.stringify([this.#scope, ...key]);
  }
}
