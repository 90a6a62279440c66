import { type Cache, type CacheEntityRecord, createInMemoryCache } from "@envelop/response-cache";
import { createRedisCache } from "@envelop/response-cache-redis";
import type { ExecutionResult } from "graphql";
import { closeRedis, openRedis, type RedisReport } from "../redis.js";

/**
 * Where the response cache keeps its entries (src/plugins/use-gateway-response-cache.ts): in
 * memory, or with `REDIS_URL` in Redis, shared by every instance (an entry one instance stored
 * is served by all, a hook or a write any instance applies drops it for all).
 *
 * While Redis fails, entries are kept and served in memory, per instance, and every
 * invalidation goes to both, so nothing is ever served past a change this instance knows of.
 */

/** Largest number of entries kept in memory. @default 5_000 */
const MEMORY_ENTRIES = 5_000;

export interface ResponseCacheStore extends Cache {
  close(): Promise<void>;
}

/** Entries in this process only. */
export function createMemoryResponseStore(max = MEMORY_ENTRIES): ResponseCacheStore {
  const memory = createInMemoryCache({ max });
  return Object.assign(memory, { close: async () => undefined });
}

/**
 * Entries in Redis under `scope` (the Crisp token: two tokens never share one), in memory
 * while Redis fails.
 */
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
  const prefix = `gateway:responses:${scope}:`;
  // Every key under the token's prefix, entity sets included (envelop's store would keep a set
  // per bare typename, shared by every token and application on the Redis).
  const shared = createRedisCache({
    redis,
    buildRedisEntityId: (typename, id) => `${typename}:${id}`,
    buildRedisOperationResultCacheKey: (responseId) => `${prefix}operations:${responseId}`,
  });
  const scoped = (entities: Iterable<CacheEntityRecord>) =>
    [...entities].map(({ typename, id }) => ({
      typename: `${prefix}entity:${typename}`,
      ...(id === undefined ? {} : { id }),
    }));
  const memory = createInMemoryCache({ max: MEMORY_ENTRIES });
  const key = (id: string) => `${prefix}${id}`;
  // A pipeline to a Redis that is away resolves with an error per command rather than
  // rejecting: whether Redis is up is asked first.
  const up = () => redis.status === "ready";
  return {
    async get(id): Promise<ExecutionResult | undefined> {
      if (up()) {
        try {
          return (await shared.get(key(id))) ?? undefined;
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
          await shared.set(key(id), data, scoped(records), ttl);
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
      if (up()) {
        try {
          await shared.invalidate(scoped(records));
        } catch {
          // Redis is failing: its entries cannot be reached, and expire by their TTL.
        }
      }
    },
    close: () => closeRedis(redis),
  };
}
