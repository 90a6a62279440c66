import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub } from "graphql-yoga";
import { Redis } from "ioredis";

/** One Crisp web hook event, verified, as the gateway relays it. */
export interface CrispHookEvent {
  /** Crisp's event name, e.g. message:send. */
  name: string;
  websiteId: string;
  sessionId: string | null;
  data: Record<string, unknown>;
  /** Milliseconds, from the hook body. */
  timestamp: number;
}

/** The bus's topics. */
export const BusTopic = {
  /** A website's events, routed by website id: a subscriber only receives its website's. */
  EVENT: "crisp:event",
  /** Every event once more, for the gateway's own cache upkeep (scope `ALL_EVENTS`). */
  ANY: "crisp:any",
} as const;

/** The one scope of the `crisp:any` topic. */
export const ALL_EVENTS = "all";

/** Events are routed by website: a subscriber only ever receives its website's events. */
export type CrispEventPubSub = PubSub<{
  [BusTopic.EVENT]: [websiteId: string, event: CrispHookEvent];
  [BusTopic.ANY]: [scope: typeof ALL_EVENTS, event: CrispHookEvent];
}>;

export interface EventBus {
  pubsub: CrispEventPubSub;
  /** "memory" or "redis". */
  kind: "memory" | "redis";
  /** Why events cannot flow now (Redis unreachable), for /ready; undefined while they can. */
  problem?: () => string | undefined;
  close(): Promise<void>;
}

/** Events stay in this process. */
export function createMemoryEventBus(): EventBus {
  return { pubsub: createPubSub() as CrispEventPubSub, kind: "memory", close: async () => {} };
}

/**
 * In memory by default. With a Redis URL, Redis pub/sub: a hook received by any instance
 * reaches the subscribers of every instance.
 */
export async function createEventBus({
  redisUrl,
  onError = (error) => console.error(`Redis event bus: ${error.message}`),
}: {
  redisUrl?: string | undefined;
  /** Redis connection trouble after start-up (ioredis keeps reconnecting). @default console.error */
  onError?: (error: Error) => void;
} = {}): Promise<EventBus> {
  if (redisUrl === undefined) {
    return createMemoryEventBus();
  }
  // Fail at start-up, not on the first hook, when Redis cannot be reached.
  const options = { lazyConnect: true, maxRetriesPerRequest: 3, enableOfflineQueue: true };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const client of [publishClient, subscribeClient]) {
    // ioredis reconnects by itself; say so once per failure instead of an unhandled error.
    client.on("error", (error: Error) => onError(error));
  }
  try {
    await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  } catch (error) {
    publishClient.disconnect();
    subscribeClient.disconnect();
    throw new Error(
      `REDIS_URL: cannot connect to Redis (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const eventTarget = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub({ eventTarget }) as CrispEventPubSub,
    kind: "redis",
    problem: () =>
      publishClient.status === "ready" && subscribeClient.status === "ready"
        ? undefined
        : `Redis is unreachable (event bus connection ${publishClient.status === "ready" ? subscribeClient.status : publishClient.status}).`,
    close: async () => {
      // QUIT waits for a connection that may never come back; without one, just let go.
      await Promise.allSettled(
        [publishClient, subscribeClient].map(async (client) => {
          if (client.status === "ready") {
            await client.quit();
          } else {
            client.disconnect();
          }
        }),
      );
    },
  };
}
