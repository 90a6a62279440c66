import type { Plugin } from "graphql-yoga";
import type { Redis } from "ioredis";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import { clientKeyOf, type Viewer } from "../auth.js";
import { ErrorCode, GatewayError } from "../errors.js";

/** What the plugin reads of the context: who asks, and over which connection. */
interface RateLimitContext {
  viewer?: Viewer;
  req?: { socket?: { remoteAddress?: string } };
  /** graphql-ws: the WebSocket the subscription came over. */
  socket?: object;
  request?: object;
}

/**
 * Operations per client per minute (rate-limiter-flexible: in memory, or a RateLimiterRedis
 * shared by every instance). A client is its credentials' name, or its address when the
 * gateway runs open. Past the limit: RATE_LIMITED with `retryAfter`, HTTP 429, no Crisp request.
 *
 * Subscriptions are not counted per client but per connection (a WebSocket, an SSE request),
 * in this process: they cost no Crisp request to start, and a thousand dashboards behind one
 * proxy (one address, one API key) must each be able to open theirs. One connection starting
 * subscriptions in a loop is still limited, at the same rate.
 */
export function useClientRateLimit({
  limiter,
  perConnection = memoryOperationLimiter(limiter.points),
  onStoreError,
}: {
  limiter: RateLimiterAbstract;
  /** Subscription starts per connection per minute. @default the same points, in memory */
  perConnection?: RateLimiterAbstract;
  /** Told when the limiter could not count (its store failed); the operation then runs. @default none */
  onStoreError?: (error: unknown) => void;
}): Plugin<RateLimitContext> {
  const connections = new WeakMap<object, number>();
  let nextConnection = 0;
  const connectionOf = (context: RateLimitContext): string => {
    const connection = context.socket ?? context.req?.socket ?? context.request ?? context;
    let id = connections.get(connection);
    if (id === undefined) {
      id = nextConnection++;
      connections.set(connection, id);
    }
    return `connection:${id}`;
  };
  const consume = async (
    context: RateLimitContext,
    use: RateLimiterAbstract = limiter,
    subscription = false,
  ) => {
    const key = subscription
      ? connectionOf(context)
      : clientKeyOf(context.viewer, context.req?.socket?.remoteAddress);
    try {
      await use.consume(key);
      return null;
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) {
        // The limiter's store failed (a RateLimiterRedis without an insurance limiter while
        // Redis is down): a limit that cannot be counted must not fail the operation.
        onStoreError?.(refusal);
        return null;
      }
      const error = new GatewayError(
        ErrorCode.RATE_LIMITED,
        subscription
          ? "Too many subscriptions started over this connection; retry later."
          : "Too many operations from these credentials; retry later.",
        {
          retryAfter: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)),
        },
      );
      error.extensions.http = {
        status: 429,
        headers: { "retry-after": String(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000))) },
      };
      return error;
    }
  };
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const refused = await consume(args.contextValue);
      if (refused !== null) {
        setResultAndStopExecution({ errors: [refused] });
      }
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const refused = await consume(args.contextValue, perConnection, true);
      if (refused !== null) {
        setResultAndStopExecution({ errors: [refused] });
      }
    },
  };
}

/** The default limiter: this many operations per minute per client, in this process. */
export function memoryOperationLimiter(perMinute: number): RateLimiterMemory {
  return new RateLimiterMemory({ points: perMinute, duration: 60 });
}

/**
 * The limiter shared by every instance through Redis, with this process's own in-memory limit
 * as its insurance: while Redis does not answer, each instance counts the same limit itself
 * (rate-limiter-flexible's `insuranceLimiter`), so no operation fails because Redis is down.
 */
export function redisOperationLimiter(redis: Redis, perMinute: number): RateLimiterAbstract {
  return new RateLimiterRedis({
    storeClient: redis,
    points: perMinute,
    duration: 60,
    keyPrefix: "crisp-gateway:operations",
    insuranceLimiter: memoryOperationLimiter(perMinute),
  });
}
