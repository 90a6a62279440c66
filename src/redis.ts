import { Redis, type RedisOptions } from "ioredis";

/**
 * Redis connections of the event path and the shared cache. Redis going away must never take
 * the process with it: every connection has an error listener (ioredis reconnects by itself),
 * says once that it lost Redis and once that it is back, and is configured for its job:
 *
 * - `command`: fails fast while Redis is away (no offline queue, a command timeout, nothing
 *   resent after a reconnect), so a hook is answered 503 at once and never recorded twice.
 * - `blocking`: for XREAD BLOCK and SUBSCRIBE, which wait through reconnects instead.
 */
export type RedisRole = "command" | "blocking";

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  command: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000, // 2 seconds: a hook answer must not wait on a stalled Redis
    autoResendUnfulfilledCommands: false,
  },
  blocking: { enableOfflineQueue: true, maxRetriesPerRequest: null },
};

/** Reports Redis trouble: `lost` once per outage, `back` when it ends. */
export type RedisReport = (event: "lost" | "back", name: string, error?: Error) => void;

/** The default report: one line on stderr each way, never the URL (it may hold a password). */
export const consoleRedisReport: RedisReport = (event, name, error) => {
  if (event === "lost") {
    console.error(`Redis ${name}: ${error?.message ?? "connection lost"}`);
  } else {
    console.error(`Redis ${name}: connected again.`);
  }
};

/**
 * Opens one connection, resolved once it is ready. Refuses to start (rejects) when Redis
 * cannot be reached at all: better than losing events later.
 */
export async function openRedis(
  url: string,
  name: string,
  role: RedisRole,
  report: RedisReport = consoleRedisReport,
): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, ...ROLE_OPTIONS[role] });
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) {
      down = true;
      report("lost", name, error);
    }
  });
  redis.on("ready", () => {
    if (down) {
      down = false;
      report("back", name);
    }
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `REDIS_URL: cannot connect to Redis (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  return redis;
}

/** Closes a connection without waiting on a Redis that may never come back. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "ready") {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}

/** Why a connection cannot serve now, for /ready; undefined while it is ready. */
export function redisProblem(name: string, ...connections: Redis[]): string | undefined {
  const down = connections.find((redis) => redis.status !== "ready");
  return down === undefined
    ? undefined
    : `Redis is unreachable (${name} connection ${down.status}).`;
}
