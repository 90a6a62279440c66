import type { IncomingMessage, ServerResponse } from "node:http";
import type { YogaInitialContext } from "graphql-yoga";
import type WebSocket from "ws";
import { type Authenticator, OPEN_VIEWER, seesEveryWebsite, type Viewer } from "./auth.js";
import { OperationBudget } from "./budget.js";
import type { CrispClient } from "./crisp/client.js";
import type { CrispTier } from "./crisp/types.js";
import type { LiveHub } from "./events/live.js";
import type { EventLog } from "./events/log.js";
import type { Projections } from "./events/projection.js";
import type { EventSourcesStatus } from "./events/sources.js";
import type { SharedCache } from "./loaders/cache.js";
import { createLoaders, type Loaders } from "./loaders/index.js";
import { createWrites, type Writes } from "./loaders/writes.js";
import type { Staleness } from "./plugins/use-stale-marker.js";
import type { UsageCounters } from "./usage.js";

/** Facts about this gateway process that the schema reports or depends on. */
export interface GatewayInfo {
  version: string;
  /** Serving the embedded simulator rather than a real Crisp account. */
  demo: boolean;
  tier: CrispTier;
  /** The website `Query.website` resolves to without an id, when configured. */
  defaultWebsiteId: string | undefined;
  dailyQuota: number | null;
  /** Where events come from and how the RTM connection stands (`gateway { eventSource }`). */
  eventSource: () => EventSourcesStatus;
}

/** What the schema reads of the event path. */
export interface GatewayEvents {
  /** Subscriptions register here: live events, and replays after an id. */
  live: LiveHub;
  /** The recorded events (the change feed). */
  log: EventLog;
  /** The objects events changed, computed once per event for every subscriber. */
  projections: Projections;
}

/** What the schema may read of the upstream guard (`Query.gateway`): its state, no control. */
export interface UpstreamStatus {
  /** Requests counted against today's Crisp quota. */
  quotaUsed(): Promise<number>;
  /** When Crisp's throttling, or a spent quota, is expected to end; null when neither. */
  rateLimitedUntil(): Promise<Date | null>;
}

/**
 * What a transport hands Yoga besides the fetch Request. node:http gives `req` and `res`;
 * graphql-ws gives the upgrade `req`, its `socket` and the `viewer` it authenticated once, at
 * connection time; `yoga.fetch` (tests, benchmarks) gives nothing.
 */
export interface GatewayServerContext {
  req?: IncomingMessage;
  res?: ServerResponse;
  socket?: WebSocket;
  viewer?: Viewer;
}

/**
 * What every resolver sees: built once per GraphQL request. Resolvers reach Crisp only through
 * `loaders` and `writes`, never the client itself.
 */
export interface GatewayContext {
  /** Who asks, and which websites they may see. */
  viewer: Viewer;
  loaders: Loaders;
  /** Crisp writes that keep `loaders` true to what they changed. */
  writes: Writes;
  /** Recorded Crisp events: live and replayed, and what they show (src/events/). */
  events: GatewayEvents;
  /** Set when an answer came from the shared cache past its TTL (extensions.stale). */
  staleness: Staleness;
  /** This operation's Crisp spending (a subscription's: each event's). */
  budget: OperationBudget;
  /** A subscription: the id of the event it delivers now (extensions.eventId). */
  eventId?: string;
  /**
   * SSE's `Last-Event-ID` header, sent by an EventSource that reconnects: where a
   * subscription without `after` resumes.
   */
  lastEventId: string | null;
  /** The counters this viewer may see: the gateway's for a viewer of every website, else its own. */
  usage: UsageCounters;
  upstream: UpstreamStatus;
  gateway: GatewayInfo;
}

export interface ContextFactoryOptions {
  client: CrispClient;
  usage: UsageCounters;
  cache: SharedCache;
  gateway: GatewayInfo;
  events: GatewayEvents;
  /** Null: every request is the open viewer (see GatewayOptions.authenticate). */
  authenticate: Authenticator | null;
  /** What `Query.gateway` reads of the upstream guard. */
  upstream: UpstreamStatus;
  /** Each operation's Crisp request budget. */
  maxOperationCost: number;
}

/**
 * Yoga's context factory: authenticates the request (graphql-ws did it at connection time) and
 * gives it fresh loaders, bound to the request's abort signal, and writes for that viewer.
 */
export function createContextFactory(
  options: ContextFactoryOptions,
): (initial: YogaInitialContext & GatewayServerContext) => Promise<GatewayContext> {
  const { authenticate } = options;
  return async ({ request, viewer: socketViewer }) => {
    const viewer =
      socketViewer ??
      (authenticate === null
        ? OPEN_VIEWER
        : await authenticate(request.headers.get("authorization")));
    return buildContext(options, viewer, request.signal, request.headers.get("last-event-id"));
  };
}

/**
 * A context of its own for the same viewer, bound to `signal` rather than to one request: what
 * identical subscriptions share one execution in (src/plugins/use-shared-subscriptions.ts).
 */
export function createContextForker(
  options: ContextFactoryOptions,
): (from: GatewayContext, signal: AbortSignal) => GatewayContext {
  return (from, signal) => buildContext(options, from.viewer, signal, from.lastEventId);
}

function buildContext(
  { client, usage, cache, gateway, events, upstream, maxOperationCost }: ContextFactoryOptions,
  viewer: Viewer,
  signal: AbortSignal,
  lastEventId: string | null,
): GatewayContext {
  const staleness: Staleness = { servedStale: false };
  // This client's own counters (added to the gateway's); `Query.gateway` shows a viewer of
  // every website the gateway's, any other viewer only its own.
  const own = usage.forViewer(viewer.name);
  const budget = new OperationBudget(maxOperationCost, (delta) => own.countUpstreamRequest(delta));
  const loaders = createLoaders({
    crisp: client,
    usage: own,
    cache,
    viewer,
    signal,
    budget,
    onStale: () => {
      staleness.servedStale = true;
    },
  });
  return {
    budget,
    lastEventId,
    upstream,
    usage: seesEveryWebsite(viewer) ? usage : own,
    gateway,
    loaders,
    writes: createWrites(client.forOperation(budget), loaders, viewer),
    events,
    staleness,
    viewer,
  };
}
