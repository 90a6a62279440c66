import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { useDeferStream } from "@graphql-yoga/plugin-defer-stream";
import type { GraphQLSchema } from "graphql";
import { createYoga, type YogaInitialContext, type YogaServerInstance } from "graphql-yoga";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Authenticator } from "../auth.js";
import type { GatewayContext, GatewayServerContext } from "../context.js";
import type { Logger } from "../logger.js";
import { useAccessLog } from "../plugins/use-access-log.js";
import { useAuthentication } from "../plugins/use-authentication.js";
import { memoryOperationLimiter, useClientRateLimit } from "../plugins/use-client-rate-limit.js";
import { useCostLimit } from "../plugins/use-cost-limit.js";
import { useDrain } from "../plugins/use-drain.js";
import { useEventIds } from "../plugins/use-event-ids.js";
import type { GatewayResponseCache } from "../plugins/use-gateway-response-cache.js";
import { useOperationDeadline } from "../plugins/use-operation-deadline.js";
import {
  type PersistedOperations,
  usePersistedOperations,
} from "../plugins/use-persisted-operations.js";
import { useProductionSchemaPrivacy } from "../plugins/use-production-schema-privacy.js";
import { useReadOnlyViewers } from "../plugins/use-read-only-viewers.js";
import { type RequestLimits, useRequestLimits } from "../plugins/use-request-limits.js";
import { useSharedSubscriptions } from "../plugins/use-shared-subscriptions.js";
import { useStaleMarker } from "../plugins/use-stale-marker.js";
import { useSubscriptionCount } from "../plugins/use-subscription-count.js";
import { useSubscriptionLimits } from "../plugins/use-subscription-limits.js";
import { createParserCaches, type DocumentCacheOptions } from "./document-cache.js";
import { useGraphiQLPage } from "./graphiql.js";
import { createErrorMasker, toldAsRefusedValue } from "./mask-error.js";
import { Route } from "./protocol.js";

/** Headers a browser client may send cross-origin (CORS preflight). */
export const CORS_ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  // CSRF prevention's headers, which a cross-origin client sends on GETs.
  "x-graphql-yoga-csrf",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  // Apollo Client's clientAwareness (`name`, `version`), sent on every request.
  "apollographql-client-name",
  "apollographql-client-version",
] as const;

/** Headers that prove a request was not a "simple" one a form or an <img> can send. */
const CSRF_HEADERS = ["x-graphql-yoga-csrf", "apollo-require-preflight", "x-apollo-operation-name"];

export interface GatewayYogaOptions {
  schema: GraphQLSchema;
  context: (initial: YogaInitialContext & GatewayServerContext) => Promise<GatewayContext>;
  /** A context of its own for a viewer: where identical subscriptions share an execution. */
  forkContext: (from: GatewayContext, signal: AbortSignal) => GatewayContext;
  /** Null: GraphiQL off. */
  graphiql: { title: string; defaultQuery: string } | null;
  allowedOrigins: readonly string[];
  introspection: boolean;
  limits: RequestLimits;
  /** Null: every request is the open viewer. */
  authenticate: Authenticator | null;
  /** APQ or trusted documents, shared with graphql-ws. */
  persistedOperations: PersistedOperations;
  /** Bounds of the parser and validation caches. */
  documentCache: DocumentCacheOptions;
  /** Open subscriptions per client, all transports; 0 for no cap. */
  maxSubscriptionsPerClient: number;
  operationsPerMinute: number | RateLimiterAbstract;
  maxOperationCost: number;
  operationDeadlineMs: number;
  /** Aborts when the gateway stops: open subscriptions complete. */
  shutdown: AbortSignal;
  subscriptions: { opened(): void; closed(): void; executions(running: number): void };
  /** Yoga's own logs go here; null keeps them quiet. */
  logger: Logger | null;
  /** Where the one line per operation goes (useAccessLog); silent loggers write nothing. */
  accessLog: Logger;
  /** Whole responses cached (useGatewayResponseCache); null: none. */
  responseCache: GatewayResponseCache | null;
}

/**
 * Yoga as the gateway runs it. The plugin order is part of the behaviour; each plugin stands
 * where it does for a reason:
 *
 * 0. `useAccessLog`: outermost, so its line covers every operation, refused ones included,
 *    and times the whole of it.
 * 1. `useGraphiQLPage`: answers GET text/html before anything parses a request.
 * 2. `useAuthentication`: refuses missing or bad credentials before the body or the document
 *    is parsed (nothing an anonymous client sends is parsed or cached), and gives every later
 *    plugin the viewer.
 * 3. `useDrain`, `useSubscriptionCount`: they wrap every subscription's result; first, so the
 *    count and the shutdown see every subscription, refused ones included.
 * 4. `usePersistedOperations`: turns a hash into a document while the request is parsed, so
 *    everything after it sees a document, whichever way it was sent; keyed by the viewer.
 * 5. `useCSRFPrevention`: refuses "simple" cross-site requests (a form POST, a GET without a
 *    preflight header) before any work is done for them.
 * 6. `useRequestLimits`, `useProductionSchemaPrivacy`: refuse hostile or prying documents at
 *    parse and validation, before they cost anything. `useDeferStream` between them adds the
 *    `@defer`/`@stream` directives the validation of the documents after it needs.
 * 7. `useClientRateLimit`: counts only valid operations, before any of them reaches Crisp;
 *    `useSubscriptionLimits` then caps the subscriptions a client holds open.
 * 8. `useReadOnlyViewers`: a read-only client's mutation is FORBIDDEN before its input is
 *    even checked.
 * 9. `useStaleMarker`: outside the cost and deadline plugins, so it marks their results too.
 * 10. `useCostLimit`: estimates and refuses last, when the operation is otherwise allowed: a
 *    refused operation never costs an estimate's work, and the estimate becomes the budget.
 * 11. `useEventIds`: after the cost plugin, so the result it marks with its event's id (and
 *     the SSE `id:` line) is the one sent.
 * 12. `useOperationDeadline`: so it times only the execution itself.
 * 13. `useSharedSubscriptions`: innermost, as it replaces the subscribe function itself:
 *     identical subscriptions share one execution, everything above stays per subscriber.
 * 14. `useGatewayResponseCache` (when on): last, so a hit has been authenticated, counted
 *     against the client's limit and estimated, and the answer it stores is the one the other
 *     plugins made (it keeps only the data: a hit reports its own cost).
 */
export function createGatewayYoga({
  schema,
  context,
  forkContext,
  graphiql,
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
  shutdown,
  subscriptions,
  logger,
  accessLog,
  responseCache,
}: GatewayYogaOptions): YogaServerInstance<GatewayServerContext, GatewayContext> {
  return createYoga<GatewayServerContext, GatewayContext>({
    schema,
    graphqlEndpoint: Route.graphql,
    healthCheckEndpoint: Route.health,
    landingPage: false,
    // The router refuses a body past maxBodyBytes before Yoga sees it (src/http/router.ts), and
    // hands Yoga the bytes it read: Yoga's own limit would stream every body again, through a
    // TransformStream and a second Request, on every request.
    maxRequestBodySize: false,
    // Unexpected errors become "Unexpected error." for clients, even with NODE_ENV=development
    // (Yoga would otherwise add the original message and stack).
    // A value Crisp answered that its field cannot hold is told as such (mask-error.ts).
    maskedErrors: { isDev: false, maskError: createErrorMasker(logger) },
    // Bearer credentials, not cookies: only the listed origins may call from a browser.
    cors:
      allowedOrigins.length === 0
        ? false
        : {
            origin: [...allowedOrigins],
            methods: ["GET", "POST", "OPTIONS"],
            allowedHeaders: [...CORS_ALLOWED_HEADERS],
          },
    logging: logger === null ? false : yogaLogger(logger),
    // Served by useGraphiQLPage: Yoga's own page loads its assets from a CDN.
    graphiql: false,
    // Bounded by bytes, not only by entries (src/http/document-cache.ts).
    parserAndValidationCache: createParserCaches(documentCache),
    context,
    plugins: [
      useAccessLog({ logger: accessLog }),
      ...(graphiql === null ? [] : [useGraphiQLPage(graphiql)]),
      useAuthentication({ authenticate }),
      useDrain({ signal: shutdown }),
      useSubscriptionCount(subscriptions),
      usePersistedOperations(persistedOperations),
      useCSRFPrevention({ requestHeaders: CSRF_HEADERS }),
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
              onStoreError: (error) =>
                accessLog.error(
                  { err: error },
                  "the per-client rate limit could not be counted; the operation runs",
                ),
            }),
          ]),
      useSubscriptionLimits({ perClient: maxSubscriptionsPerClient }),
      useReadOnlyViewers(),
      useStaleMarker(),
      useCostLimit({ maxCost: maxOperationCost }),
      useEventIds(),
      useOperationDeadline({ deadlineMs: operationDeadlineMs }),
      useSharedSubscriptions({ fork: forkContext, onExecutions: subscriptions.executions }),
      ...(responseCache === null ? [] : responseCache.plugins),
    ],
  });
}

/** Yoga's own logs (masked errors' originals among them) into the structured log. */
function yogaLogger(logger: Logger) {
  return {
    debug: (...args: unknown[]) => logger.debug({ yoga: args.map(String) }, "yoga"),
    info: (...args: unknown[]) => logger.info({ yoga: args.map(String) }, "yoga"),
    warn: (...args: unknown[]) => logger.warn({ yoga: args.map(String) }, "yoga"),
    error: (...args: unknown[]) => {
      if (args.some(toldAsRefusedValue)) {
        // Told already, without the value Crisp answered (mask-error.ts).
        return;
      }
      logger.error(
        {
          err: args.find((arg) => arg instanceof Error),
          yoga: args.filter((arg) => !(arg instanceof Error)).map(String),
        },
        "yoga error",
      );
    },
  };
}
