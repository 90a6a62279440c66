import { randomUUID } from "node:crypto";
import type { Cache, CacheEntityRecord } from "@envelop/response-cache";
import type { ExecutionResult } from "graphql";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import { closeRedis, openRedis, type RedisReport } from "../redis.js";
import { entryJson, parseEntry } from "./response-json.js";

/**
 * Where the response cache keeps its entries (src/plugins/use-gateway-response-cache.ts): in
 * memory, or with `REDIS_URL` in Redis, shared by every instance (an entry one instance stored
 * is served by all, a hook or a write any instance applies drops it for all).
 *
 * Each entry is indexed by the entities it holds: by `Typename:id`, and by the bare
 * `Typename` (invalidating a type drops every entry holding one of that type). The index never
 * outlives its entries: in memory an entry's links go with it, in Redis an index set expires
 * with the last entry added to it (envelop's own stores keep their index forever: a gateway
 * reading a whole workspace would grow it by every conversation it ever saw).
 *
 * While Redis fails, entries are kept and served in memory, per instance, and every
 * invalidation goes to both, so nothing is ever served past a change this instance knows of.
 *
 * In front of Redis, each instance keeps the entries it last stored or read (`RECENT_ENTRIES`),
 * each with the generation it was current at: every invalidation, by any instance, gives the
 * scope a new generation in the same script that drops its entries. A hit asks Redis for the
 * generation (a few bytes) instead of the entry (the whole answer, to parse and write again),
 * and serves the entry it holds only while the generation is unchanged: what any instance
 * invalidated is never served, as without it.
 */

/** Largest number of entries kept in memory. @default 5_000 */
const MEMORY_ENTRIES = 5_000;
/**
 * Most characters of JSON the entries kept in memory hold together (as objects they take a few
 * times that): a client asking for many distinct large answers (wide windows of long
 * histories) must not fill the heap. An answer larger than this is not kept.
 */
const MEMORY_CHARS = 64 * 1024 * 1024; // 64 Mi characters
/**
 * Entries each instance keeps in front of Redis: the answers it serves most, a warm dashboard's
 * few documents per viewer.
 */
const RECENT_ENTRIES = 1_000;
/** Most characters of JSON those entries hold together. */
const RECENT_CHARS = 16 * 1024 * 1024; // 16 Mi characters

export interface ResponseCacheStore extends Cache {
  close(): Promise<void>;
}

export interface MemoryResponseStore extends ResponseCacheStore {
  /** Entries held, and keys of their entity index: both bounded by the entries. */
  size(): { entries: number; indexKeys: number };
}

/** What invalidating an entity names: its type and id, or its whole type. */
function entityKeyOf({ typename, id }: CacheEntityRecord): string {
  return id === undefined || id === null ? typename : `${typename}:${id}`;
}

/** The index keys an entry holding these entities is found under: each one's and its type's. */
function indexKeysOf(entities: Iterable<CacheEntityRecord>): string[] {
  return [...new Set([...entities].flatMap((entity) => [entity.typename, entityKeyOf(entity)]))];
}

export interface MemoryResponseStoreOptions {
  /** @default 5_000 */
  maxEntries?: number;
  /** Characters of JSON held at most, all entries together. @default 64 Mi */
  maxChars?: number;
}

/**
 * Entries in this process only, at most `maxEntries` and `maxChars` of JSON, least recently
 * used dropped first.
 */
export function createMemoryResponseStore({
  maxEntries = MEMORY_ENTRIES,
  maxChars = MEMORY_CHARS,
}: MemoryResponseStoreOptions = {}): MemoryResponseStore {
  const entriesOf = new Map<string, Set<string>>();
  const keysOf = new Map<string, string[]>();
  const unlink = (responseId: string) => {
    for (const key of keysOf.get(responseId) ?? []) {
      const ids = entriesOf.get(key);
      ids?.delete(responseId);
      if (ids?.size === 0) {
        entriesOf.delete(key);
      }
    }
    keysOf.delete(responseId);
  };
  // An entry replaced, evicted or found expired takes its index links with it.
  const responses = new LRUCache<string, ExecutionResult>({
    max: maxEntries,
    maxSize: maxChars,
    // Once per entry stored (a miss, which ran the whole operation): the JSON its hits write.
    sizeCalculation: (result) => entryJson(result).length,
    dispose: (_result, responseId) => unlink(responseId),
  });
  return {
    get: (responseId) => responses.get(responseId),
    set(responseId, result, entities, ttl) {
      if (!(ttl > 0)) {
        return;
      }
      responses.set(responseId, result, Number.isFinite(ttl) ? { ttl } : {});
      if (!responses.has(responseId)) {
        // Too large to keep: nothing to index.
        return;
      }
      const keys = indexKeysOf(entities);
      keysOf.set(responseId, keys);
      for (const key of keys) {
        let ids = entriesOf.get(key);
        if (ids === undefined) {
          ids = new Set();
          entriesOf.set(key, ids);
        }
        ids.add(responseId);
      }
    },
    invalidate(entities) {
      for (const entity of entities) {
        for (const responseId of [...(entriesOf.get(entityKeyOf(entity)) ?? [])]) {
          responses.delete(responseId);
        }
      }
    },
    size: () => ({ entries: responses.size, indexKeys: entriesOf.size }),
    close: async () => undefined,
  };
}

/**
 * Stores an entry and adds it to its index sets, each of which then lives at least as long as
 * the entry (PTTL is -1 for a set without an expiry yet). One script: an invalidation never
 * sees the entry without its index. Answers the generation the entry was stored in.
 * KEYS: the generation, the entry, then its index sets. ARGV: the entry's JSON, its TTL in
 * ms, its id.
 */
const SET_SCRIPT = `
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local ttl = tonumber(ARGV[2])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  if redis.call('PTTL', KEYS[i]) < ttl then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return redis.call('GET', KEYS[1]) or ''`;

/**
 * An entry, what is left of its life and the generation, read together.
 * KEYS: the generation, the entry.
 */
const GET_SCRIPT = `
local text = redis.call('GET', KEYS[2])
if not text then
  return {'', 0, redis.call('GET', KEYS[1]) or ''}
end
return {text, redis.call('PTTL', KEYS[2]), redis.call('GET', KEYS[1]) or ''}`;

/**
 * Drops every entry an index set names, and the sets, and starts a new generation. One
 * script: an entry stored meanwhile is either dropped or indexed anew, never left out of a set
 * that was just emptied, and no instance serves a copy it holds of a dropped entry.
 * KEYS: the generation, then the index sets. ARGV: the prefix of entry keys, the generation.
 */
const INVALIDATE_SCRIPT = `
for i = 2, #KEYS do
  local ids = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #ids do
    redis.call('DEL', ARGV[1] .. ids[j])
  end
  redis.call('DEL', KEYS[i])
end
redis.call('SET', KEYS[1], ARGV[2])
return 0`;

/** An entry an instance holds in front of Redis. */
interface RecentEntry {
  result: ExecutionResult;
  /** The scope's generation when it was stored or read. */
  generation: string;
}

/**
 * Entries in Redis under `scope` (the Crisp token: two tokens never share one), the recent ones
 * also in this instance, served while the scope's generation has not moved.
 */
function createRedisEntries(redis: Redis, scope: string): Cache & { forgetRecent(): void } {
  const prefix = `gateway:responses:${scope}:`;
  const entryPrefix = `${prefix}entry:`;
  const generationKey = `${prefix}generation`;
  const indexKey = (key: string) => `${prefix}index:${key}`;
  const recent = new LRUCache<string, RecentEntry>({
    max: RECENT_ENTRIES,
    maxSize: RECENT_CHARS,
  });
  return {
    async get(responseId) {
      const held = recent.get(responseId);
      if (held !== undefined && held.generation === ((await redis.get(generationKey)) ?? "")) {
        return held.result;
      }
      const [text, ttl, generation] = (await redis.eval(
        GET_SCRIPT,
        2,
        generationKey,
        `${entryPrefix}${responseId}`,
      )) as [string, number, string];
      if (text === "") {
        recent.delete(responseId);
        return undefined;
      }
      const result = parseEntry(text);
      if (ttl > 0) {
        recent.set(responseId, { result, generation }, { ttl, size: text.length });
      }
      return result;
    },
    async set(responseId, result, entities, ttl) {
      if (!(ttl > 0)) {
        return;
      }
      const sets = indexKeysOf(entities).map(indexKey);
      // Redis needs a finite expiry; an entry without one lasts a day.
      const ms = Number.isFinite(ttl) ? Math.ceil(ttl) : 86_400_000;
      const text = entryJson(result);
      const generation = (await redis.eval(
        SET_SCRIPT,
        2 + sets.length,
        generationKey,
        `${entryPrefix}${responseId}`,
        ...sets,
        text,
        String(ms),
        responseId,
      )) as string;
      recent.set(responseId, { result, generation }, { ttl: ms, size: text.length });
    },
    async invalidate(entities) {
      const sets = [...new Set([...entities].map(entityKeyOf))].map(indexKey);
      if (sets.length > 0) {
        // Random, not counted: a Redis that restarted empty must not come back to a number
        // an instance still holds entries of.
        await redis.eval(
          INVALIDATE_SCRIPT,
          1 + sets.length,
          generationKey,
          ...sets,
          entryPrefix,
          randomUUID(),
        );
      }
    },
    forgetRecent: () => recent.clear(),
  };
}

/** Entries in Redis under `scope`, in memory while Redis fails. */
export async function createRedisResponseStore({
  redisUrl,
  scope,
  report,
}: {
  redisUrl: string;
  scope: string;
  report?: RedisReport;
}): Promise<ResponseCacheStore> {
  const redis = await openRedis(redisUrl, "response cache", "command", report);
  const shared = createRedisEntries(redis, scope);
  // Invalidations made while this connection was away are unknown here: what it held goes.
  redis.on("close", () => shared.forgetRecent());
  const memory = createMemoryResponseStore();
  // A command to a Redis that is away fails at once (no offline queue); asking first spares
  // the error.
  const up = () => redis.status === "ready";
  return {
    async get(id): Promise<ExecutionResult | undefined> {
      if (up()) {
        try {
          return (await shared.get(id)) ?? undefined;
        } catch {
          // Redis failed under the call: this instance's memory answers.
        }
      }
      return (await memory.get(id)) ?? undefined;
    },
    async set(id, data, entities, ttl) {
      const records = [...entities];
      if (up()) {
        try {
          await shared.set(id, data, records, ttl);
          return;
        } catch {
          // Kept in memory instead.
        }
      }
      await memory.set(id, data, records, ttl);
    },
    async invalidate(entities: Iterable<CacheEntityRecord>) {
      const records = [...entities];
      // Both: what memory took while Redis failed must go too.
      await memory.invalidate(records);
      if (!up()) {
        return;
      }
      try {
        await shared.invalidate(records);
      } catch {
        // Redis is failing: its entries cannot be reached, and expire by their TTL. The
        // generation may not have moved: the copies this instance holds go now.
        shared.forgetRecent();
      }
    },
    close: () => closeRedis(redis),
  };
}
