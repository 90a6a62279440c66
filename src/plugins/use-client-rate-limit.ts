import type { Plugin } from "graphql-yoga";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Viewer } from "../auth.js";
import { ErrorCode, GatewayError } from "../errors.js";

/**
 * Operations per client per minute (rate-limiter-flexible: in memory, or a RateLimiterRedis
 * shared by every instance). A client is its credentials' name, or its address when the
 * gateway runs open. Past the limit: RATE_LIMITED with `retryAfter`, HTTP 429, no Crisp request.
 */
export function useClientRateLimit({
  limiter,
}: {
  limiter: RateLimiterAbstract;
}): Plugin<{ viewer?: Viewer; req?: { socket?: { remoteAddress?: string } } }> {
  const consume = async (context: {
    viewer?: Viewer;
    req?: { socket?: { remoteAddress?: string } };
  }) => {
    const viewer = context.viewer;
    const key =
      viewer === undefined || viewer.name === "open"
        ? `open:${context.req?.socket?.remoteAddress ?? "?"}`
        : `key:${viewer.name}`;
    try {
      await limiter.consume(key);
      return null;
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) {
        throw refusal;
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
export function memoryOperationLimiter(perMinute: number): RateLimiterAbstract {
  return new RateLimiterMemory({ points: perMinute, duration: 60 });
}
