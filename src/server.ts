import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ContextFactoryOptions,
  createContextFactory,
  createContextForker,
  type GatewayInfo,
} from "./context.js";
import { CrispClient, createCrispDispatcher } from "./crisp/client.js";
import { memoryGuardStore, resilientGuardStore } from "./crisp/guard-store.js";
import { UpstreamGuard } from "./crisp/upstream-guard.js";
import { EventJournal } from "./events/journal.js";
import { createMemoryEventLog } from "./events/log.js";
import { overlayEvents } from "./events/overlay.js";
import { Projections } from "./events/projection.js";
import { createEventSources } from "./events/sources.js";
import type { Gateway, GatewayOptions } from "./gateway/options.js";
import { Tally } from "./gateway/tally.js";
import { createLimitedServer } from "./http/connections.js";
import { graphiqlDefaultQuery } from "./http/graphiql.js";
import { createGraphQLWsServer } from "./http/graphql-ws.js";
import { Route, WsCloseCode } from "./http/protocol.js";
import { checkReadiness, crispReadiness } from "./http/readiness.js";
import { createRouter } from "./http/router.js";
import { createGatewayYoga } from "./http/yoga.js";
import { SharedCache } from "./loaders/cache.js";
import { CACHE_KINDS } from "./loaders/cache-kinds.js";
import { createLoaders } from "./loaders/index.js";
import { createLogger } from "./logger.js";
import { createMetrics, routeOf } from "./metrics.js";
import { useGatewayResponseCache } from "./plugins/use-gateway-response-cache.js";
import { createPersistedOperations } from "./plugins/use-persisted-operations.js";
import { schema } from "./schema/index.js";
import { UsageCounters } from "./usage.js";
import { VERSION } from "./version.js";

export type { Gateway, GatewayAddress, GatewayOptions } from "./gateway/options.js";
export { originAllowed } from "./http/graphql-ws.js";

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
  eventSource = {},
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
      // Asked first: the line's route would otherwise be worked out on every exchange for
      // nothing, debug being off in production.
      if (!logger.isLevelEnabled("debug")) {
        return;
      }
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
  const responseCache =
    responseCacheOptions === false ? null : useGatewayResponseCache(responseCacheOptions);
  const sources = createEventSources({
    ...eventSource,
    log: events,
    cache,
    journal,
    client,
    credentials: { identifier: crisp.identifier, key: crisp.key, tier },
    defaultWebsiteId,
    hooks,
    onHook: (outcome) => {
      metrics.hookReceived(outcome.status);
      if (outcome.status >= 400) {
        logger.warn({ hook: outcome }, "crisp web hook refused");
      } else {
        logger.info({ hook: outcome }, "crisp web hook");
      }
    },
    // After the cache: a response read again now reads what the event changed.
    applied: (event) => {
      responseCache
        ?.invalidateEvent(event)
        .catch((error: unknown) =>
          logger.error({ err: error }, "response cache: an event's invalidation failed"),
        );
    },
    // Whatever websites the gap named: entries are tagged by object, not website, and a gap
    // that knew of no website may still have missed events about any of them.
    gap: () => {
      responseCache
        ?.invalidateAll()
        .catch((error: unknown) =>
          logger.error({ err: error }, "response cache: a gap's invalidation failed"),
        );
    },
    registry: metrics.registry,
    logger,
  });
  const { pipeline } = sources;
  const gateway: GatewayInfo = {
    version: VERSION,
    demo,
    tier,
    defaultWebsiteId,
    dailyQuota,
    eventSource: sources.status,
  };
  const persistedOperations = createPersistedOperations({ trusted: trustedDocuments });
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
    webhook: sources.webhook,
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
          sources.problem,
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
    await sources.close();
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
    rtm: sources.rtm,
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
