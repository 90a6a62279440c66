import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { YogaServerInstance } from "graphql-yoga";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Dispatcher } from "undici";
import type { Authenticator } from "./auth.js";
import {
  type ContextFactoryOptions,
  createContextFactory,
  createContextForker,
  type GatewayContext,
  type GatewayInfo,
  type GatewayServerContext,
} from "./context.js";
import { CrispClient, createCrispDispatcher } from "./crisp/client.js";
import { memoryGuardStore, resilientGuardStore } from "./crisp/guard-store.js";
import type { CrispTier } from "./crisp/types.js";
import { UpstreamGuard, type UpstreamGuardOptions } from "./crisp/upstream-guard.js";
import { HOOK_TIMESTAMP_WINDOW_MS } from "./crisp/webhook.js";
import type { EventSource, IncomingEvent } from "./events/event.js";
import { createWebhookRoute, type IngestResult } from "./events/hook-route.js";
import { EventJournal } from "./events/journal.js";
import { createMemoryEventLog, type EventLog } from "./events/log.js";
import { overlayEvents } from "./events/overlay.js";
import { createEventPipeline } from "./events/pipeline.js";
import { Projections } from "./events/projection.js";
import { applyEventToCache, subjectTags } from "./events/upkeep.js";
import { createLimitedServer, type HttpServerLimits } from "./http/connections.js";
import type { DocumentCacheOptions } from "./http/document-cache.js";
import { graphiqlDefaultQuery } from "./http/graphiql.js";
import { createGraphQLWsServer } from "./http/graphql-ws.js";
import { Route, WsCloseCode } from "./http/protocol.js";
import { checkReadiness, type ReadinessCheck, type ReadinessProblem } from "./http/readiness.js";
import { createRouter } from "./http/router.js";
import { createGatewayYoga } from "./http/yoga.js";
import { SharedCache, type SharedCacheOptions } from "./loaders/cache.js";
import { CACHE_KINDS } from "./loaders/cache-kinds.js";
import { createLoaders } from "./loaders/index.js";
import type { SecondLevel } from "./loaders/second-level.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, routeOf } from "./metrics.js";
import type { ResponseCacheStore } from "./plugins/response-cache-store.js";
import { useGatewayResponseCache } from "./plugins/use-gateway-response-cache.js";
import { createPersistedOperations } from "./plugins/use-persisted-operations.js";
import type { RequestLimits } from "./plugins/use-request-limits.js";
import { schema } from "./schema/index.js";
import { UsageCounters } from "./usage.js";
import { VERSION } from "./version.js";

export { originAllowed } from "./http/graphql-ws.js";

export interface GatewayOptions {
  crisp: {
    /** API base, e.g. https://api.crisp.chat/v1. */
    baseUrl: string;
    identifier: string;
    key: string;
    /** @default "plugin" */
    tier?: CrispTier;
    /** @default a keep-alive Agent owned (and closed) by the gateway */
    dispatcher?: Dispatcher;
    /** Per Crisp request: time to headers and longest body silence, ms. @default 10_000 */
    timeoutMs?: number;
  };
  /** The website `website` (no id) resolves to. */
  defaultWebsiteId?: string;
  /** Serving the embedded simulator. @default false */
  demo?: boolean;
  /** The token's daily quota: enforced, and reported by `gateway.quotaLimit`. @default null */
  dailyQuota?: number | null;
  /** Yoga's own logs into `logger`. @default false (tests stay quiet) */
  logging?: boolean;
  /**
   * Where verified events are recorded and followed: the memory log, or a Redis Stream shared
   * by every instance (src/events/redis-log.ts). The gateway closes it. @default createMemoryEventLog()
   */
  events?: EventLog;
  /**
   * Web hook verification: plugin hooks' secret and/or website hooks' `?key=` (neither: every
   * hook is refused), the body limit, and how far a signed hook's timestamp may be from now
   * (`windowMs`, CRISP_HOOK_WINDOW_MS; redeliveries are recognised for twice as long).
   */
  hooks?: {
    secret?: string | undefined;
    key?: string | undefined;
    maxBodyBytes?: number;
    windowMs?: number;
  };
  /** graphql-ws ping interval, ms. @default 12_000 */
  keepAliveMs?: number;
  /** How long a WebSocket may wait before connection_init, ms (then 4408). @default 3_000 */
  connectionInitWaitTimeoutMs?: number;
  /**
   * Client authentication: API keys and/or JWTs (see src/auth.ts). Null: every request may see
   * every website (only sane on a loopback address; main.ts enforces that). @default null
   */
  authenticate?: Authenticator | null;
  /** Depth, alias, directive and token limits of documents. @default useRequestLimits' */
  limits?: RequestLimits;
  /**
   * Browser origins allowed to call the gateway (CORS) and to open its WebSockets, besides its
   * own. @default [] (same origin only; clients that send no Origin, such as services, pass)
   */
  allowedOrigins?: readonly string[];
  /**
   * Operations per client per minute: a number (counted in this process) or a
   * rate-limiter-flexible limiter (e.g. RateLimiterRedis, shared by instances); 0 disables.
   * @default 600
   */
  operationsPerMinute?: number | RateLimiterAbstract;
  /**
   * Trusted documents (hash to document): only these run, over every transport.
   * @default undefined (APQ, any operation, remembered per client)
   */
  trustedDocuments?: ReadonlyMap<string, string>;
  /** Bounds of Yoga's parser and validation caches. @default createParserCaches' */
  documentCache?: DocumentCacheOptions;
  /**
   * The HTTP server's timeouts and connection cap (src/http/connections.ts).
   * @default headers 10 s, request 30 s, keep-alive 5 s, connections by the descriptor limit
   */
  http?: HttpServerLimits;
  /** Subscriptions one client holds open at once, all transports; 0 for no cap. @default 1_000 */
  maxSubscriptionsPerClient?: number;
  /** Operations one graphql-ws socket runs at once. @default 100 */
  maxOperationsPerSocket?: number;
  /** Largest HTTP request body, bytes, counted as it streams (413 beyond). @default 1_048_576 */
  maxBodyBytes?: number;
  /** Serve GraphiQL on GET /graphql. @default true (main.ts turns it off in production) */
  graphiql?: boolean;
  /** Allow introspection and field suggestions. @default true (off in production) */
  introspection?: boolean;
  /** Largest WebSocket message, bytes. @default 1_048_576 */
  maxWebSocketPayload?: number;
  /** Largest worst-case Crisp requests of one operation, estimated before it runs and capped while it runs. @default 500 */
  maxOperationCost?: number;
  /** Longest a query or mutation may take before GATEWAY_TIMEOUT, ms. @default 25_000 */
  operationDeadlineMs?: number;
  /** Structured logs. @default silent */
  logger?: Logger;
  /** Backoff and circuit breaker settings (the quota is `dailyQuota`). @default UpstreamGuard's */
  guard?: Omit<UpstreamGuardOptions, "dailyQuota">;
  /**
   * How long `stop()` waits for HTTP requests in flight (SSE streams are completed at once),
   * ms; then the remaining connections are closed. @default 25_000
   */
  shutdownGraceMs?: number;
  /**
   * /ready answers 503 while Crisp's backoff or a spent quota lasts longer than this, ms (a
   * short backoff is served through). @default 15_000
   */
  readyMaxBackoffMs?: number;
  /** More readiness checks, e.g. the Redis connections main.ts opens. @default [] */
  readinessChecks?: readonly ReadinessCheck[];
  /** The cache shared by requests; `false` stores nothing (in-flight requests are still shared). @default the documented defaults */
  cache?: SharedCacheOptions | false;
  /**
   * The shared cache's second level, shared by every instance (Redis: main.ts opens it with
   * REDIS_URL): concurrent misses across instances send one Crisp request. The gateway
   * closes it. @default none
   */
  secondLevel?: SecondLevel;
  /**
   * Whole responses cached, keyed by document, variables and viewer, dropped by the entities a
   * hook, a write or a TTL changes (src/plugins/use-gateway-response-cache.ts); the store is
   * memory or Redis (main.ts opens it with REDIS_URL). The gateway closes the store.
   * @default false (main.ts turns it on: RESPONSE_CACHE_TTL_MS)
   */
  responseCache?: { store: ResponseCacheStore; ttlMs?: number } | false;
}

/** Where a listening gateway answers. */
export interface GatewayAddress {
  /** The GraphQL endpoint over HTTP (and GraphiQL), e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  port: number;
  /** http://host:port, for the other routes (/metrics, /health, /ready). */
  origin: string;
  /** The same endpoint for graphql-ws, e.g. ws://127.0.0.1:4000/graphql. */
  wsUrl: string;
  /** Where Crisp's web hooks go, e.g. http://127.0.0.1:4000/webhooks/crisp. */
  hookUrl: string;
}

export interface Gateway {
  yoga: YogaServerInstance<GatewayServerContext, GatewayContext>;
  usage: UsageCounters;
  /**
   * Records a verified Crisp event as the hook route does (the entry point of every event
   * source: an RTM client calls it too). Rejects when the event log cannot take it.
   */
  ingest(
    event: IncomingEvent,
    options: { source: EventSource; dedupeKey?: string },
  ): Promise<IngestResult>;
  /**
   * Resolves once this instance has applied the event `id` (or a later one) to its cache and
   * delivered it to its subscriptions, whichever instance recorded it.
   */
  eventApplied(id: string): Promise<void>;
  /** Resolves once this instance has applied every event recorded so far, by any instance. */
  eventsCaughtUp(): Promise<void>;
  /**
   * Resolves once exactly `count` subscriptions are open (gateway_open_subscriptions):
   * registered with the live events, so an event recorded now reaches them.
   */
  openSubscriptions(count: number): Promise<void>;
  /** Starts listening. */
  listen(host: string, port: number): Promise<GatewayAddress>;
  /**
   * Stops gracefully: stops accepting connections, completes every subscription (SSE streams
   * get `complete`, WebSockets close with 1001), waits up to `shutdownGraceMs` for HTTP
   * requests in flight, then closes what is left and the Crisp dispatcher the gateway owns.
   */
  stop(): Promise<void>;
}

/**
 * The composition root: builds the dispatcher, guard, cache, metrics and Crisp client, keeps
 * the cache true to verified events, and wires Yoga (src/http/yoga.ts), graphql-ws
 * (src/http/graphql-ws.ts) and the node:http router (src/http/router.ts) together.
 */
export function createGateway({
  crisp,
  defaultWebsiteId,
  demo = false,
  dailyQuota = null,
  logging = false,
  events = createMemoryEventLog(),
  hooks = {},
  keepAliveMs,
  connectionInitWaitTimeoutMs,
  maxWebSocketPayload,
  authenticate = null,
  graphiql = true,
  introspection = true,
  limits = {},
  allowedOrigins = [],
  trustedDocuments,
  documentCache = {},
  http = {},
  maxSubscriptionsPerClient = 1_000, // many dashboards on one key; 10,000 on one socket cost 366 MB
  maxOperationsPerSocket,
  operationsPerMinute = 600, // 10 a second on average: a busy dashboard, not a scraper
  maxBodyBytes = 1_048_576, // 1 MiB: a GraphQL request is a few KiB; variables rarely more
  cache: cacheOptions = {},
  secondLevel,
  responseCache: responseCacheOptions = false,
  guard: guardOptions = {},
  maxOperationCost = 500,
  logger = createLogger("silent"),
  operationDeadlineMs = 25_000, // 25 seconds: under common proxies' 30 s, over two slow Crisp pages
  shutdownGraceMs = 25_000, // 25 seconds: every operation's deadline, under Kubernetes' 30 s
  readyMaxBackoffMs = 15_000, // 15 seconds: a first backoffs' worth is served through
  readinessChecks = [],
}: GatewayOptions): Gateway {
  const usage = new UsageCounters();
  const ownsDispatcher = crisp.dispatcher === undefined;
  const dispatcher = crisp.dispatcher ?? createCrispDispatcher();
  const tier = crisp.tier ?? "plugin";
  // A shared (Redis) store falls back to this instance's memory while it does not answer.
  const guard = new UpstreamGuard({
    dailyQuota,
    ...guardOptions,
    ...(guardOptions.store === undefined
      ? {}
      : {
          store: resilientGuardStore(guardOptions.store, memoryGuardStore(guardOptions.now), {
            onFallback: (error) =>
              logger.error(
                { err: error },
                "the guard store (Redis) failed: quota, backoff and holds are kept per instance until it answers",
              ),
            onRecovered: () => logger.info("the guard store (Redis) answers again"),
          }),
        }),
  });
  // What recent events changed, laid over what Crisp answers just after them.
  const journal = new EventJournal();
  // Entries are per token: another identifier or tier never reads this one's data.
  const cache = new SharedCache(
    `${crisp.identifier}:${tier}`,
    cacheOptions === false
      ? { ttlMs: Object.fromEntries(CACHE_KINDS.map((kind) => [kind, 0])) }
      : cacheOptions,
    {
      overlay: overlayEvents(journal),
      forget: (tag) => journal.forget(tag),
      ...(secondLevel === undefined ? {} : { secondLevel, secondLevelMaxMs: journal.maxAgeMs }),
    },
  );
  const metrics = createMetrics({
    cache: () => ({ ...cache.stats, size: cache.size }),
    quota: async () => ({ used: await guard.quotaUsed(), limit: guard.dailyQuota }),
  });
  const client = new CrispClient({
    baseUrl: crisp.baseUrl,
    identifier: crisp.identifier,
    key: crisp.key,
    tier,
    dispatcher,
    userAgent: `crisp-graphql-gateway/${VERSION}`,
    headersTimeoutMs: crisp.timeoutMs,
    bodyTimeoutMs: crisp.timeoutMs,
    onExchange: (exchange) => {
      usage.countUpstreamRequest();
      metrics.recordExchange(exchange);
      // Method, route, status and time only: never a body, a header or a credential.
      logger.debug(
        {
          crisp: {
            method: exchange.method,
            route: routeOf(exchange.path),
            status: exchange.status,
            ms: Math.round(exchange.durationMs),
          },
        },
        "crisp request",
      );
    },
    guard,
  });
  const gateway: GatewayInfo = { version: VERSION, demo, tier, defaultWebsiteId, dailyQuota };
  const persistedOperations = createPersistedOperations({ trusted: trustedDocuments });
  const responseCache =
    responseCacheOptions === false ? null : useGatewayResponseCache(responseCacheOptions);
  const pipeline = createEventPipeline({
    log: events,
    upkeep: (event) => {
      applyEventToCache(cache, journal, event);
      // After the cache: a response read again now reads what the event changed.
      responseCache
        ?.invalidateEvent(event)
        .catch((error: unknown) =>
          logger.error({ err: error }, "response cache: an event's invalidation failed"),
        );
    },
    // An instance joining a fleet learns of what the others applied lately.
    recall: { ms: journal.maxAgeMs, event: (event) => journal.record(subjectTags(event), event) },
    dedupeTtlMs: 2 * (hooks.windowMs ?? HOOK_TIMESTAMP_WINDOW_MS),
    logger,
  });
  const shutdown = new AbortController();
  const openSubscriptions = new Tally();

  const contextOptions: ContextFactoryOptions = {
    client,
    usage,
    cache,
    gateway,
    events: {
      live: pipeline.live,
      log: events,
      projections: new Projections((budget) =>
        createLoaders({ crisp: client, usage, cache, budget }),
      ),
    },
    authenticate,
    upstream: guard,
    maxOperationCost,
  };
  const yoga = createGatewayYoga({
    schema,
    context: createContextFactory(contextOptions),
    forkContext: createContextForker(contextOptions),
    graphiql: graphiql
      ? {
          title: demo ? "Crisp GraphQL gateway (demo)" : "Crisp GraphQL gateway",
          defaultQuery: graphiqlDefaultQuery(defaultWebsiteId),
        }
      : null,
    allowedOrigins,
    introspection,
    limits,
    authenticate,
    persistedOperations,
    documentCache,
    maxSubscriptionsPerClient,
    operationsPerMinute,
    maxOperationCost,
    operationDeadlineMs,
    shutdown: shutdown.signal,
    responseCache,
    subscriptions: {
      opened: () => {
        metrics.subscriptionOpened();
        openSubscriptions.change(1);
      },
      closed: () => {
        metrics.subscriptionClosed();
        openSubscriptions.change(-1);
      },
      executions: metrics.subscriptionExecutions,
    },
    logger: logging ? logger : null,
    accessLog: logger,
  });
  const webSockets = createGraphQLWsServer({
    yoga,
    authenticate,
    allowedOrigins,
    persistedOperations,
    logger,
    ...(maxOperationsPerSocket === undefined ? {} : { maxOperationsPerSocket }),
    ...(keepAliveMs === undefined ? {} : { keepAliveMs }),
    ...(connectionInitWaitTimeoutMs === undefined ? {} : { connectionInitWaitTimeoutMs }),
    ...(maxWebSocketPayload === undefined ? {} : { maxPayload: maxWebSocketPayload }),
  });
  const router = createRouter({
    yoga,
    webhook: createWebhookRoute({
      ingest: pipeline.ingest,
      ...hooks,
      onOutcome: (outcome) => {
        metrics.hookReceived(outcome.status);
        if (outcome.status >= 400) {
          logger.warn({ hook: outcome }, "crisp web hook refused");
        } else {
          logger.info({ hook: outcome }, "crisp web hook");
        }
      },
    }),
    upgrade: webSockets.handleUpgrade,
    metrics: { contentType: metrics.registry.contentType, text: () => metrics.registry.metrics() },
    readiness: () =>
      checkReadiness(
        [
          () => crispReadiness(guard, readyMaxBackoffMs),
          () => {
            const reason = events.problem() ?? secondLevel?.problem();
            return reason === undefined ? undefined : { component: "redis", reason };
          },
          ...readinessChecks,
        ],
        1_000, // 1 second: a probe's patience, well under any orchestrator's probe timeout
      ),
    maxBodyBytes,
  });

  let server: Server | undefined;
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    shutdown.abort();
    router.startDraining();
    const closed = new Promise<void>((resolve) => {
      if (server?.listening) {
        server.close(() => resolve());
      } else {
        resolve();
      }
    });
    server?.closeIdleConnections();
    webSockets.closeAll(WsCloseCode.GoingAway, "The gateway is stopping.");
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      router.idle(),
      new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, shutdownGraceMs);
      }),
    ]);
    clearTimeout(graceTimer);
    server?.closeAllConnections();
    await closed;
    await webSockets.dispose();
    await pipeline.close();
    await secondLevel?.close();
    if (responseCacheOptions !== false) {
      await responseCacheOptions.store.close();
    }
    if (ownsDispatcher) {
      await dispatcher.close();
    }
  };

  return {
    yoga,
    usage,
    ingest: pipeline.ingest,
    eventApplied: pipeline.applied,
    eventsCaughtUp: pipeline.caughtUp,
    openSubscriptions: (count) => openSubscriptions.reached(count),
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const listening = createLimitedServer(router.handleRequest, http);
        server = listening;
        listening.on("upgrade", router.handleUpgrade);
        listening.once("error", reject);
        listening.listen(port, host, () => {
          const address = listening.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          const origin = `http://${shownHost}:${address.port}`;
          resolve({
            url: `${origin}${Route.graphql}`,
            port: address.port,
            origin,
            wsUrl: `ws://${shownHost}:${address.port}${Route.graphql}`,
            hookUrl: `${origin}${Route.hooks}`,
          });
        });
      }),
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** A count others can wait on. */
class Tally {
  #value = 0;
  #waiters: { count: number; wake: () => void }[] = [];

  change(by: number): void {
    this.#value += by;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.count === this.#value) {
        waiter.wake();
        return false;
      }
      return true;
    });
  }

  reached(count: number): Promise<void> {
    return count === this.#value
      ? Promise.resolve()
      : new Promise((wake) => this.#waiters.push({ count, wake }));
  }
}

/** Crisp is usable unless the breaker is open or the backoff (or a spent quota) lasts long. */
async function crispReadiness(
  guard: UpstreamGuard,
  maxBackoffMs: number,
): Promise<ReadinessProblem | undefined> {
  if (guard.breakerOpen) {
    return {
      component: "crisp",
      reason: "Crisp is failing: the circuit breaker is open until a probe succeeds.",
    };
  }
  const until = await guard.rateLimitedUntil();
  if (until !== null && until.getTime() - Date.now() > maxBackoffMs) {
    return {
      component: "crisp",
      reason: `Crisp is throttling the gateway or its daily quota is spent, until ${until.toISOString()}.`,
    };
  }
  return undefined;
}
