import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { useDeferStream } from "@graphql-yoga/plugin-defer-stream";
import type { ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Dispatcher } from "undici";
import { WebSocketServer } from "ws";
import { type Authenticator, OPEN_VIEWER, type Viewer } from "./auth.js";
import { OperationBudget } from "./budget.js";
import type { GatewayContext, GatewayInfo } from "./context.js";
import { CrispClient, createCrispDispatcher } from "./crisp/client.js";
import type { CrispTier } from "./crisp/types.js";
import { UpstreamGuard, type UpstreamGuardOptions } from "./crisp/upstream-guard.js";
import { CACHE_KINDS, SharedCache, type SharedCacheOptions } from "./loaders/cache.js";
import { applyEventToCache } from "./loaders/coherence.js";
import { createLoaders } from "./loaders/index.js";
import { createWrites } from "./loaders/writes.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, routeOf } from "./metrics.js";
import { useAccessLog } from "./plugins/use-access-log.js";
import { memoryOperationLimiter, useClientRateLimit } from "./plugins/use-client-rate-limit.js";
import { useCostLimit } from "./plugins/use-cost-limit.js";
import { useOperationDeadline } from "./plugins/use-operation-deadline.js";
import { usePersistedOperations } from "./plugins/use-persisted-operations.js";
import { useProductionSchemaPrivacy } from "./plugins/use-production-schema-privacy.js";
import { useReadOnlyViewers } from "./plugins/use-read-only-viewers.js";
import { type RequestLimits, useRequestLimits } from "./plugins/use-request-limits.js";
import { type Staleness, useStaleMarker } from "./plugins/use-stale-marker.js";
import { useSubscriptionCount } from "./plugins/use-subscription-count.js";
import { schema } from "./schema/index.js";
import { createMemoryEventBus, type EventBus } from "./subscriptions/event-bus.js";
import { createWebhookRoute, WEBHOOK_PATH } from "./subscriptions/webhook-route.js";
import { UsageCounters } from "./usage.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/** Opens in GraphiQL: the dashboard query of the README, so a first visit shows data. */
export const DEFAULT_GRAPHIQL_QUERY = `# Welcome to the Crisp GraphQL gateway.
# Every field's description says which Crisp endpoint backs it and what it costs.
# Press the run button to read the default website's latest conversations.
query Dashboard {
  website {
    name
    conversations(first: 20) {
      nodes {
        sessionId
        state
        meta { nickname email }
        person { email company { name } }
        assignee { firstName }
        messages(last: 5) { nodes { type text from timestamp } }
      }
    }
  }
  gateway { demo upstreamRequests quotaUsed quotaLimit }
}
`;

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
  /** Where verified web hook events go. @default an in-memory bus */
  events?: EventBus;
  /** Web hook verification: plugin hooks' secret and/or website hooks' `?key=`. Neither: every hook is refused. */
  hooks?: { secret?: string | undefined; key?: string | undefined; maxBodyBytes?: number };
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
  /** Trusted documents (hash to document): only these run. @default undefined (APQ, any operation) */
  trustedDocuments?: ReadonlyMap<string, string>;
  /** Largest HTTP request body, bytes (413 beyond). @default 1_048_576 */
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
  /** The cache shared by requests; `false` stores nothing (in-flight requests are still shared). @default the documented defaults */
  cache?: SharedCacheOptions | false;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
  usage: UsageCounters;
  /** Starts listening; resolves with the GraphQL endpoint URL. */
  listen(host: string, port: number): Promise<{ url: string; port: number }>;
  /** Stops accepting, closes every open socket and the Crisp dispatcher the gateway owns. */
  stop(): Promise<void>;
}

/** Builds the gateway: HTTP -> Yoga -> schema -> per-request loaders -> Crisp client. */
export function createGateway({
  crisp,
  defaultWebsiteId,
  demo = false,
  dailyQuota = null,
  logging = false,
  events = createMemoryEventBus(),
  hooks = {},
  keepAliveMs = 12_000, // 12 seconds, graphql-ws' own default: under common proxies' idle timeouts
  connectionInitWaitTimeoutMs = 3_000, // 3 seconds, graphql-ws' own default
  maxWebSocketPayload = 1_048_576, // 1 MiB
  authenticate = null,
  graphiql = true,
  introspection = true,
  limits = {},
  allowedOrigins = [],
  trustedDocuments,
  operationsPerMinute = 600, // 10 a second on average: a busy dashboard, not a scraper
  maxBodyBytes = 1_048_576, // 1 MiB: a GraphQL request is a few KiB; variables rarely more
  cache: cacheOptions = {},
  guard: guardOptions = {},
  maxOperationCost = 500,
  logger = createLogger("silent"),
  operationDeadlineMs = 25_000, // 25 seconds: under common proxies' 30 s, over two slow Crisp pages
}: GatewayOptions): Gateway {
  const usage = new UsageCounters();
  const ownsDispatcher = crisp.dispatcher === undefined;
  const dispatcher = crisp.dispatcher ?? createCrispDispatcher();
  const tier = crisp.tier ?? "plugin";
  const guard = new UpstreamGuard({ dailyQuota, ...guardOptions });
  // Entries are per token: another identifier or tier never reads this one's data.
  const cache = new SharedCache(
    `${crisp.identifier}:${tier}`,
    cacheOptions === false
      ? { ttlMs: Object.fromEntries(CACHE_KINDS.map((kind) => [kind, 0])) }
      : cacheOptions,
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
  // Every verified hook, whichever instance received it, drops what it changed.
  const cacheUpkeep = events.pubsub.subscribe("crisp:any", "all");
  void (async () => {
    for await (const event of cacheUpkeep) {
      applyEventToCache(cache, event);
    }
  })();

  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // Unexpected errors become "Unexpected error." for clients, even with NODE_ENV=development
    // (Yoga would otherwise add the original message and stack).
    maskedErrors: { isDev: false },
    // Bearer credentials, not cookies: only the listed origins may call from a browser.
    cors:
      allowedOrigins.length === 0
        ? false
        : {
            origin: [...allowedOrigins],
            methods: ["GET", "POST", "OPTIONS"],
            allowedHeaders: [
              "authorization",
              "content-type",
              "x-graphql-yoga-csrf",
              "apollo-require-preflight",
            ],
          },
    // Yoga's own logs (masked errors' originals among them) go to the structured log.
    logging: logging
      ? {
          debug: (...args: unknown[]) => logger.debug({ yoga: args.map(String) }, "yoga"),
          info: (...args: unknown[]) => logger.info({ yoga: args.map(String) }, "yoga"),
          warn: (...args: unknown[]) => logger.warn({ yoga: args.map(String) }, "yoga"),
          error: (...args: unknown[]) =>
            logger.error(
              {
                err: args.find((arg) => arg instanceof Error),
                yoga: args.filter((arg) => !(arg instanceof Error)).map(String),
              },
              "yoga error",
            ),
        }
      : false,
    graphiql: graphiql
      ? {
          title: demo ? "Crisp GraphQL gateway (demo)" : "Crisp GraphQL gateway",
          defaultQuery: DEFAULT_GRAPHIQL_QUERY,
        }
      : false,
    plugins: [
      useAccessLog({ logger }),
      useSubscriptionCount({
        opened: metrics.subscriptionOpened,
        closed: metrics.subscriptionClosed,
      }),
      // A browser may send "simple" cross-site requests without a preflight: such requests must
      // carry a header no form can (Apollo Client and GraphiQL send JSON, which passes).
      usePersistedOperations({ trusted: trustedDocuments }),
      useCSRFPrevention({
        requestHeaders: [
          "x-graphql-yoga-csrf",
          "apollo-require-preflight",
          "x-apollo-operation-name",
        ],
      }),
      ...useRequestLimits(limits),
      useDeferStream(),
      useProductionSchemaPrivacy({ introspection, suggestions: introspection }),
      ...(operationsPerMinute === 0
        ? []
        : [
            useClientRateLimit({
              limiter:
                typeof operationsPerMinute === "number"
                  ? memoryOperationLimiter(operationsPerMinute)
                  : operationsPerMinute,
            }),
          ]),
      useReadOnlyViewers(),
      useStaleMarker(),
      useCostLimit({ maxCost: maxOperationCost }),
      useOperationDeadline({ deadlineMs: operationDeadlineMs }),
    ],
    context: async (initial) => {
      const staleness: Staleness = { servedStale: false };
      // graphql-ws operations have no fetch Request (they end with their socket) and were
      // authenticated once, at connection time.
      const { request, viewer: socketViewer } = initial as { request?: Request; viewer?: Viewer };
      const signal = request?.signal;
      const viewer =
        socketViewer ??
        (authenticate === null
          ? OPEN_VIEWER
          : await authenticate(request?.headers.get("authorization")));
      const budget = new OperationBudget(maxOperationCost);
      const loaders = createLoaders({
        crisp: client,
        usage,
        cache,
        viewer,
        ...(signal === undefined ? {} : { signal }),
        budget,
        onStale: () => {
          staleness.servedStale = true;
        },
      });
      return {
        budget,
        upstream: guard,
        usage,
        gateway,
        loaders,
        writes: createWrites(client.forOperation(budget), loaders, viewer),
        events: events.pubsub,
        staleness,
        viewer,
      };
    },
  });

  const webhook = createWebhookRoute({
    pubsub: events.pubsub,
    ...hooks,
    onOutcome: (outcome) => {
      metrics.hookReceived(outcome.status);
      logger.info({ hook: outcome }, "crisp web hook");
    },
  });
  let server: Server | undefined;
  let sockets: WebSocketServer | undefined;
  let disposeSockets: (() => Promise<void>) | undefined;

  /** graphql-ws on the same port and path as HTTP, executed by Yoga's own envelop. */
  const listenForSockets = (httpServer: Server) => {
    sockets = new WebSocketServer({
      server: httpServer,
      path: "/graphql",
      maxPayload: maxWebSocketPayload,
      // Browsers send Origin on WebSockets and CORS does not apply to them: refuse foreign pages.
      verifyClient: ({ origin, req }: { origin: string | undefined; req: IncomingMessage }) =>
        originAllowed(origin, req.headers.host, allowedOrigins),
    });
    const wsServer = useServer<Record<string, unknown>>(
      {
        connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
        execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
        subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
        // Credentials come once, in connectionParams ({ authorization: "Bearer …" }); refused
        // connections are closed with 4403 Forbidden, as graphql-ws does for `false`.
        onConnect: async (ctx) => {
          const extra = ctx.extra as SocketExtra;
          if (authenticate === null) {
            extra.viewer = OPEN_VIEWER;
            return true;
          }
          const params = ctx.connectionParams ?? {};
          const header = params.authorization ?? params.Authorization;
          try {
            extra.viewer = await authenticate(typeof header === "string" ? header : undefined);
            return true;
          } catch {
            return false;
          }
        },
        onSubscribe: async (ctx, _id, params) => {
          const {
            schema: enveloped,
            execute,
            subscribe,
            contextFactory,
            parse,
            validate,
          } = yoga.getEnveloped({
            ...ctx,
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            viewer: (ctx.extra as SocketExtra).viewer,
            params,
          });
          const document = parse(params.query);
          const errors = validate(enveloped, document);
          if (errors.length > 0) {
            return errors;
          }
          return {
            schema: enveloped,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
        },
      },
      sockets,
      keepAliveMs,
    );
    disposeSockets = async () => {
      await wsServer.dispose();
    };
  };

  return {
    yoga,
    usage,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server = createServer((request, response) => {
          if (request.url === WEBHOOK_PATH || request.url?.startsWith(`${WEBHOOK_PATH}?`)) {
            webhook(request, response);
            return;
          }
          if (Number(request.headers["content-length"] ?? 0) > maxBodyBytes) {
            response.writeHead(413, {
              "content-type": "application/json; charset=utf-8",
              connection: "close",
            });
            response.end(
              JSON.stringify({
                errors: [
                  {
                    message: `The request body is larger than ${maxBodyBytes} bytes.`,
                    extensions: { code: "REQUEST_LIMIT_EXCEEDED" },
                  },
                ],
              }),
            );
            request.resume();
            return;
          }
          if (request.url === "/metrics" && request.method === "GET") {
            metrics.registry.metrics().then(
              (text) => {
                response.writeHead(200, { "content-type": metrics.registry.contentType });
                response.end(text);
              },
              () => {
                response.writeHead(500).end();
              },
            );
            return;
          }
          yoga(request, response);
        });
        listenForSockets(server);
        server.once("error", reject);
        server.listen(port, host, () => {
          const address = server?.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve({ url: `http://${shownHost}:${address.port}/graphql`, port: address.port });
        });
      }),
    stop: async () => {
      for (const socket of sockets?.clients ?? []) {
        // 1001 "going away": the WebSocket code for a server shutting down.
        socket.close(1001, "The gateway is stopping.");
      }
      await disposeSockets?.();
      sockets?.close();
      if (server !== undefined) {
        const closing = new Promise<void>((resolve) => server?.close(() => resolve()));
        server.closeAllConnections();
        await closing;
      }
      await cacheUpkeep.return?.();
      await events.close();
      if (ownsDispatcher) {
        await dispatcher.close();
      }
    },
  };
}

/** No Origin (a service), the gateway's own origin, or a listed one. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined || origin === "") {
    return true;
  }
  try {
    if (host !== undefined && new URL(origin).host === host) {
      return true;
    }
  } catch {
    return false;
  }
  return allowed.includes(origin);
}

/** What a graphql-ws socket carries besides the request: its viewer, set in onConnect. */
interface SocketExtra {
  viewer?: Viewer;
}

/** What the graphql-ws handlers get as root value: Yoga's enveloped executors. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => ReturnType<typeof import("graphql").execute>;
  subscribe: (args: ExecutionArgs) => ReturnType<typeof import("graphql").subscribe>;
}
