import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createAuthenticator, loadKeysFile } from "./auth.js";
import { ConfigError, loadConfig } from "./config.js";
import { GUARD_REDIS_OPTIONS, type GuardStore, redisGuardStore } from "./crisp/guard-store.js";
import { createMemoryEventLog } from "./events/log.js";
import { createRedisEventLog } from "./events/redis-log.js";
import { createRedisLease } from "./events/rtm-lease.js";
import type { ReadinessCheck } from "./http/readiness.js";
import { createRedisSecondLevel } from "./loaders/second-level.js";
import { createLogger } from "./logger.js";
import {
  createMemoryResponseStore,
  createRedisResponseStore,
} from "./plugins/response-cache-store.js";
import { redisOperationLimiter } from "./plugins/use-client-rate-limit.js";
import { loadTrustedDocuments } from "./plugins/use-persisted-operations.js";
import { createGateway } from "./server.js";

/**
 * Entry point: config -> (demo: the embedded simulator) -> gateway. The only module of src
 * that may import the simulator, and only in demo mode.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const stops: (() => Promise<void>)[] = [];

  let crisp: Parameters<typeof createGateway>[0]["crisp"];
  let defaultWebsiteId = config.defaultWebsiteId;
  let hookSecret = config.hookSecret;
  /** Demo mode: once the gateway listens, the simulator sends its hooks there. */
  let afterListen: (hookUrl: string) => void = () => undefined;
  if (config.crisp.mode === "demo") {
    const { startSimulator } = await import("./simulator/index.js");
    const simulator = await startSimulator({
      seed: config.crisp.seed,
      host: "127.0.0.1",
      port: 0,
      latencyMs: config.simulatorLatencyMs,
    });
    stops.push(() => simulator.close());
    // The simulator signs its hooks like a Crisp plugin; a fresh secret per run unless set.
    const secret = hookSecret ?? randomBytes(32).toString("hex");
    hookSecret = secret;
    const intervalMs = config.demoActivityMs;
    afterListen = (hookUrl) => {
      simulator.configure({
        hooks: { url: hookUrl, kind: "plugin", secret },
        liveActivity: intervalMs > 0 ? { intervalMs } : null,
      });
      if (intervalMs > 0) {
        console.log(
          `Demo activity: a visitor or operator acts every ${intervalMs / 1000} s; subscribe in GraphiQL to see it.`,
        );
      }
    };
    crisp = { baseUrl: simulator.url, ...simulator.credentials, timeoutMs: config.crispTimeoutMs };
    defaultWebsiteId ??= simulator.defaultWebsiteId;
    console.log(
      `Demo mode: no CRISP_IDENTIFIER/CRISP_KEY set, serving the embedded Crisp simulator (${simulator.url}, seed ${config.crisp.seed}).`,
    );
  } else {
    crisp = {
      baseUrl: config.crisp.apiUrl,
      identifier: config.crisp.identifier,
      key: config.crisp.key,
      tier: config.crisp.tier,
      timeoutMs: config.crispTimeoutMs,
    };
    console.log(`Crisp: ${config.crisp.apiUrl} (tier ${config.crisp.tier}).`);
  }

  const scope = `${crisp.identifier}:${crisp.tier ?? "plugin"}`;
  // With Redis, every instance records into and follows one stream: a hook received by any
  // instance reaches the subscribers and the cache of every instance.
  const events =
    config.redisUrl === undefined
      ? createMemoryEventLog(config.eventLog)
      : await createRedisEventLog({ redisUrl: config.redisUrl, scope, ...config.eventLog });
  // With Redis, a miss of one instance is the fleet's: one Crisp request, the others wait.
  const secondLevel =
    config.redisUrl === undefined
      ? undefined
      : await createRedisSecondLevel({ redisUrl: config.redisUrl, scope });
  // With Redis, one instance of the fleet holds the RTM connection; the others follow its
  // events through the shared event log.
  const lease =
    config.redisUrl === undefined || config.events === "hooks"
      ? undefined
      : await createRedisLease({ redisUrl: config.redisUrl, scope, ttlMs: config.rtmLeaseMs });
  // With Redis, every instance counts one quota and backs off together.
  const guardStore =
    config.redisUrl === undefined ? undefined : await connectGuardStore(config.redisUrl, crisp);
  if (guardStore !== undefined) {
    stops.push(guardStore.close);
  }
  // Whole responses, shared by the fleet with Redis (each instance's own without).
  const responseStore =
    config.responseCacheTtlMs === 0
      ? undefined
      : config.redisUrl === undefined
        ? createMemoryResponseStore()
        : await createRedisResponseStore({ redisUrl: config.redisUrl, scope });
  const gateway = createGateway({
    crisp,
    defaultWebsiteId,
    demo: config.crisp.mode === "demo",
    dailyQuota: config.dailyQuota,
    events,
    hooks: { secret: hookSecret, key: config.hookKey, windowMs: config.hookWindowMs },
    eventSource: { mode: config.events, ...(lease === undefined ? {} : { lease }) },
    cache: config.cache,
    ...(secondLevel === undefined ? {} : { secondLevel }),
    ...(responseStore === undefined
      ? {}
      : { responseCache: { store: responseStore, ttlMs: config.responseCacheTtlMs } }),
    maxOperationCost: config.maxOperationCost,
    operationDeadlineMs: config.operationDeadlineMs,
    logger: createLogger(config.logLevel),
    authenticate: createAuthenticator({
      keys: config.auth.keysFile === undefined ? undefined : loadKeysFile(config.auth.keysFile),
      jwt: {
        secret: config.auth.jwtSecret,
        jwksUrl: config.auth.jwksUrl,
        issuer: config.auth.jwtIssuer,
        audience: config.auth.jwtAudience,
      },
    }),
    graphiql: config.graphiql,
    allowedOrigins: config.allowedOrigins,
    ...(config.trustedDocumentsFile === undefined
      ? {}
      : { trustedDocuments: loadTrustedDocuments(config.trustedDocumentsFile) }),
    // With Redis, every instance counts one limit per client.
    operationsPerMinute:
      guardStore === undefined || config.operationsPerMinute === 0
        ? config.operationsPerMinute
        : redisOperationLimiter(guardStore.redis, config.operationsPerMinute),
    introspection: config.introspection,
    maxSubscriptionsPerClient: config.maxSubscriptionsPerClient,
    maxOperationsPerSocket: config.maxOperationsPerSocket,
    http: {
      headersTimeoutMs: config.http.headersTimeoutMs,
      requestTimeoutMs: config.http.requestTimeoutMs,
      keepAliveTimeoutMs: config.http.keepAliveTimeoutMs,
      ...(config.http.maxConnections === undefined
        ? {}
        : { maxConnections: config.http.maxConnections }),
    },
    ...(guardStore === undefined
      ? {}
      : { guard: { store: guardStore.store }, readinessChecks: [guardStore.problem] }),
    shutdownGraceMs: config.shutdownGraceMs,
    readyMaxBackoffMs: config.readyMaxBackoffMs,
    logging: true,
  });
  const { url, hookUrl } = await gateway.listen(config.host, config.port);
  stops.unshift(() => gateway.stop());
  console.log(config.graphiql ? `GraphiQL: ${url}` : `GraphQL: ${url} (GraphiQL off)`);
  console.log(
    config.events === "rtm"
      ? `Web hooks: off (CRISP_EVENTS=rtm); events: Crisp's RTM socket${lease === undefined ? "" : ", one connection per fleet (Redis lease)"}, log ${events.kind}.`
      : `Web hooks: ${hookUrl} (${hookSecret || config.hookKey ? "verified" : "refused until CRISP_HOOK_SECRET or CRISP_HOOK_KEY is set"}); events: ${config.events}, log ${events.kind}.`,
  );
  afterListen(hookUrl);

  // SIGTERM (orchestrators, `kill`) and SIGINT (Ctrl-C): stop accepting, drain, exit 0. A
  // second signal while draining means "now": exit at once, with 1.
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting for requests in flight.`);
      process.exit(1);
    }
    stopping = true;
    console.log(
      `${signal}: stopping; requests in flight have ${config.shutdownGraceMs / 1000} s to finish.`,
    );
    for (const stop of stops) {
      await stop();
    }
    console.log("Stopped.");
    process.exit(0);
  };
  process.on("SIGINT", (signal) => void shutdown(signal));
  process.on("SIGTERM", (signal) => void shutdown(signal));
}

async function connectGuardStore(
  redisUrl: string,
  crisp: { identifier: string; tier?: string },
): Promise<{
  store: GuardStore;
  redis: Redis;
  problem: ReadinessCheck;
  close: () => Promise<void>;
}> {
  const redis = new Redis(redisUrl, { ...GUARD_REDIS_OPTIONS });
  redis.on("error", (error: Error) => console.error(`Redis guard store: ${error.message}`));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `REDIS_URL: cannot connect to Redis (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  return {
    store: redisGuardStore(redis, `${crisp.identifier}:${crisp.tier ?? "plugin"}`),
    redis,
    problem: () =>
      redis.status === "ready"
        ? undefined
        : { component: "redis", reason: `Redis is unreachable (connection ${redis.status}).` },
    close: async () => {
      // QUIT waits for a connection that may never come back; without one, just let go.
      if (redis.status === "ready") {
        await redis.quit();
      } else {
        redis.disconnect();
      }
    },
  };
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else if (error instanceof Error && "code" in error && error.code === "EADDRINUSE") {
    console.error(`Cannot listen: the address is already in use (set HOST/PORT). ${error.message}`);
  } else {
    console.error("The gateway failed to start:", error);
  }
  process.exit(1);
});
