import type { RtmStatus } from "../events/rtm-source.js";
import type { EventSourcesStatus } from "../events/sources.js";
import { builder } from "./builder.js";

interface GatewayStatusShape {
  version: string;
  demo: boolean;
  upstreamRequests: number;
  quotaUsed: number;
  quotaLimit: number | null;
  cacheHits: number;
  cacheMisses: number;
  rateLimitedUntil: Date | null;
  eventSource: EventSourcesStatus;
}

const EventSourceMode = builder.enumType("EventSourceMode", {
  description: "Where the gateway's events come from (CRISP_EVENTS).",
  values: {
    HOOKS: { value: "hooks", description: "Crisp's web hooks, POSTed to /webhooks/crisp." },
    RTM: {
      value: "rtm",
      description:
        "Crisp's RTM socket (Socket.IO), opened by the gateway: no public URL needed. One instance of a fleet holds it.",
    },
    BOTH: {
      value: "both",
      description: "Both; an event arriving both ways is relayed once.",
    },
  } as const,
});

const RtmConnectionState = builder.enumType("RtmConnectionState", {
  description: "Where the RTM connection stands.",
  values: {
    OFF: { value: "off", description: "RTM is not a source of this gateway (CRISP_EVENTS=hooks)." },
    STANDBY: {
      value: "standby",
      description:
        "Another instance holds the fleet's connection; its events arrive through the shared event log.",
    },
    CONNECTING: {
      value: "connecting",
      description: "Asking Crisp for the endpoint, connecting or authenticating.",
    },
    CONNECTED: { value: "connected", description: "Connected and authenticated." },
    DISCONNECTED: {
      value: "disconnected",
      description: "Lost; reconnecting with backoff. Events meanwhile are a gap, caught up after.",
    },
    UNAUTHORIZED: {
      value: "unauthorized",
      description: "Crisp refused the credentials; the gateway does not retry (see reason).",
    },
    STOPPED: { value: "stopped", description: "The gateway is stopping." },
  } as const,
});

const RtmConnection = builder.objectRef<RtmStatus>("RtmConnection").implement({
  description:
    "This instance's view of the RTM connection (GET /plugin/connect/endpoints, or the website or user route, once per connection; the socket itself costs no request).",
  fields: (t) => ({
    state: t.field({
      type: RtmConnectionState,
      description: "Where the connection stands.",
      resolve: (status) => status.state,
    }),
    holder: t.exposeBoolean("holder", {
      description:
        "True while this instance holds the fleet's one connection (a Redis lease with REDIS_URL; always true alone).",
    }),
    since: t.field({
      type: "DateTime",
      description: "When `state` last changed (the epoch while OFF).",
      resolve: (status) => status.since,
    }),
    reason: t.exposeString("reason", {
      nullable: true,
      description: "Why it is not connected (the last failure); null while connected.",
    }),
    connects: t.exposeInt("connects", {
      description: "Authentications since this process started: the first and every reconnect.",
    }),
    events: t.exposeInt("events", {
      description: "Events received over the socket since start, duplicates of hooks included.",
    }),
    gaps: t.exposeInt("gaps", {
      description:
        "Stretches without a connection caught up since start: what the gateway held of the websites was dropped, so reads ask Crisp again.",
    }),
    lastGapMs: t.exposeInt("lastGapMs", {
      nullable: true,
      description: "The last gap's length, ms; null before the first.",
    }),
  }),
});

const EventSourceStatus = builder.objectRef<EventSourcesStatus>("EventSourceStatus").implement({
  description: "Where events come from and how their sources stand. Costs no Crisp request.",
  fields: (t) => ({
    mode: t.field({
      type: EventSourceMode,
      description: "CRISP_EVENTS: hooks, RTM or both.",
      resolve: (status) => status.mode,
    }),
    rtm: t.field({
      type: RtmConnection,
      description: "The RTM connection: state OFF when the mode is HOOKS.",
      resolve: (status) => status.rtm,
    }),
  }),
});

const GatewayStatus = builder.objectRef<GatewayStatusShape>("GatewayStatus").implement({
  description: "The gateway's own state. Costs no Crisp request.",
  fields: (t) => ({
    version: t.exposeString("version", { description: "The gateway's version (package.json)." }),
    demo: t.exposeBoolean("demo", {
      description:
        "True when serving the embedded Crisp simulator instead of a real Crisp account.",
    }),
    upstreamRequests: t.exposeInt("upstreamRequests", {
      description:
        "HTTP requests sent to Crisp since this gateway process started, answered or not, retries included. Credentials that may see every website are shown the whole process's (its background refreshes included); any other credentials only the requests sent for their own operations, so no client learns another's traffic.",
    }),
    quotaUsed: t.exposeInt("quotaUsed", {
      description:
        "Requests counted against today's Crisp quota (reset at 00:00 UTC): by this gateway, or by every instance when they share Redis. The token's, shared by every client and shown to each, since each is refused once it is spent. Past quotaLimit, everything that needs Crisp fails with QUOTA_EXCEEDED without calling it; cached data is still served.",
    }),
    quotaLimit: t.exposeInt("quotaLimit", {
      nullable: true,
      description:
        "The token's daily quota, enforced by the gateway: CRISP_DAILY_QUOTA, else Crisp's published default for the tier (plugin 5,000, website 10,000); null for user tokens.",
    }),
    cacheHits: t.exposeInt("cacheHits", {
      description:
        "Loads answered without a Crisp request (already loaded or primed in the same operation, or from the shared cache), since this process started: the whole process's for credentials that may see every website, else only those of the credentials' own operations.",
    }),
    cacheMisses: t.exposeInt("cacheMisses", {
      description:
        "Loads that needed a Crisp request, since this process started: the whole process's for credentials that may see every website, else only those of the credentials' own operations.",
    }),
    rateLimitedUntil: t.field({
      type: "DateTime",
      nullable: true,
      description:
        "Set while the gateway holds reads back (the token's state, shown to every client): after Crisp answered 429 or 420, until the backoff ends; after a 423 quota_limit_exceeded on a read, until its hold ends (then one probe goes first); while the day's quota is spent, until the next probe (every 15 minutes) or, for the gateway's own CRISP_DAILY_QUOTA, 00:00 UTC. Null while Crisp accepts reads.",
      resolve: (status) => status.rateLimitedUntil,
    }),
    eventSource: t.field({
      type: EventSourceStatus,
      description:
        "Where events come from (CRISP_EVENTS) and the RTM connection's state: the same as /metrics' gateway_rtm_* and /ready.",
      crispCost: { requests: 0 },
      resolve: (status) => status.eventSource,
    }),
  }),
});

builder.queryField("gateway", (t) =>
  t.field({
    type: GatewayStatus,
    description:
      "The gateway's own state: upstream use, quota, cache. Traffic counters are the whole process's only for credentials that may see every website; other credentials see their own.",
    crispCost: { requests: 0 },
    resolve: async (_root, _args, ctx) => ({
      version: ctx.gateway.version,
      demo: ctx.gateway.demo,
      upstreamRequests: ctx.usage.upstreamRequests,
      quotaUsed: await ctx.upstream.quotaUsed(),
      quotaLimit: ctx.gateway.dailyQuota,
      cacheHits: ctx.usage.cacheHits,
      cacheMisses: ctx.usage.cacheMisses,
      rateLimitedUntil: await ctx.upstream.rateLimitedUntil(),
      eventSource: ctx.gateway.eventSource(),
    }),
  }),
);
