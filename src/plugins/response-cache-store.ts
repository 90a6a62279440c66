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
  const shared = createRedisCache({
    redis,
    buildRedisEntityId: (typename, id) => `${prefix}entity:${typename}:${id}`,
    buildRedisOperationResultCacheKey: (responseId) => `${prefix}operations:${responseId}`,
  });
  const memory = createInMemoryCache({ max: MEMORY_ENTRIES });
  const key = (id: string) => `${prefix}${id}`;
  return {
    async get(id): Promise<ExecutionResult | undefined> {
      try {
        return (await shared.get(key(id))) ?? undefined;
      } catch {
        return (await memory.get(id)) ?? undefined;
      }
    },
    async set(id, data, entities, ttl) {
      const records = [...entities];
      try {
        await shared.set(key(id), data, records, ttl);
      } catch {
        await memory.set(id, data, records, ttl);
      }
    },
    async invalidate(entities: Iterable<CacheEntityRecord>) {
      const records = [...entities];
      // Both: what memory took while Redis failed must go too.
      await memory.invalidate(records);
      try {
        await shared.invalidate(records);
      } catch {
        // Redis is failing: its entries cannot be reached, and expire by their TTL.
      }
    },
    close: () => closeRedis(redis),
  };
}
