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

/**
 * Operations per client per minute (rate-limiter-flexible: in memory, or a RateLimiterRedis
 * shared by every instance). A client is its credentials' name, or its address when the
 * gateway runs open. Past the limit: RATE_LIMITED with `retryAfter`, HTTP 429, no Crisp request.
 */
export function useClientRateLimit({
  limiter,
  onStoreError,
}: {
  limiter: RateLimiterAbstract;
  /** Told when the limiter could not count (its store failed); the operation then runs. @default none */
  onStoreError?: (error: unknown) => void;
}): Plugin<{ viewer?: Viewer; req?: { socket?: { remoteAddress?: string } } }> {
  const consume = async (context: {
    viewer?: Viewer;
    req?: { socket?: { remoteAddress?: string } };
  }) => {
    const key = clientKeyOf(context.viewer, context.req?.socket?.remoteAddress);
    try {
      await limiter.consume(key);
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
        "Too many operations from these credentials; retry later.",
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
      const refused = await consume(args.contextValue);
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
