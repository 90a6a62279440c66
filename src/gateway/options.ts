import type { YogaServerInstance } from "graphql-yoga";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Dispatcher } from "undici";
import type { Authenticator } from "../auth.js";
import type { GatewayContext, GatewayServerContext } from "../context.js";
import type { CrispTier } from "../crisp/types.js";
import type { UpstreamGuardOptions } from "../crisp/upstream-guard.js";
import type { EventSource, IncomingEvent } from "../events/event.js";
import type { IngestResult } from "../events/hook-route.js";
import type { EventLog } from "../events/log.js";
import type { RtmSource } from "../events/rtm-source.js";
import type { EventSourceOptions } from "../events/sources.js";
import type { HttpServerLimits } from "../http/connections.js";
import type { DocumentCacheOptions } from "../http/document-cache.js";
import type { ReadinessCheck } from "../http/readiness.js";
import type { SharedCacheOptions } from "../loaders/cache.js";
import type { SecondLevel } from "../loaders/second-level.js";
import type { Logger } from "../logger.js";
import type { ResponseCacheStore } from "../plugins/response-cache-store.js";
import type { GatewayResponseCacheOptions } from "../plugins/use-gateway-response-cache.js";
import type { RequestLimits } from "../plugins/use-request-limits.js";
import type { UsageCounters } from "../usage.js";

/**
 * What a gateway is built from (`createGateway`, src/server.ts), where it answers and what
 * it offers once built. Every option has its default in its doc comment.
 */

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
  /**
   * Where events come from (CRISP_EVENTS): web hooks, Crisp's RTM socket (one connection per
   * fleet, held through `lease`), or both, deduplicated (src/events/sources.ts).
   * @default { mode: "hooks" }
   */
  eventSource?: EventSourceOptions;
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
  responseCache?: (GatewayResponseCacheOptions & { store: ResponseCacheStore }) | false;
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
    options: { source: EventSource; dedupeKey?: string | null },
  ): Promise<IngestResult>;
  /**
   * Resolves once this instance has applied the event `id` (or a later one) to its cache and
   * delivered it to its subscriptions, whichever instance recorded it.
   */
  eventApplied(id: string): Promise<void>;
  /** Resolves once this instance has applied every event recorded so far, by any instance. */
  eventsCaughtUp(): Promise<void>;
  /**
   * The RTM source (CRISP_EVENTS=rtm or both), null when off: its status, and signals to
   * wait on (`reached(state)`, `received(count)`).
   */
  rtm: RtmSource | null;
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
