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
}

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
    }),
  }),
);
