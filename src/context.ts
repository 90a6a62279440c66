import type { Viewer } from "./auth.js";
import type { OperationBudget } from "./budget.js";
import type { CrispTier } from "./crisp/types.js";
import type { Loaders } from "./loaders/index.js";
import type { Writes } from "./loaders/writes.js";
import type { Staleness } from "./plugins/use-stale-marker.js";
import type { CrispEventPubSub } from "./subscriptions/event-bus.js";
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
}

/** What the schema may read of the upstream guard (`Query.gateway`): its state, no control. */
export interface UpstreamStatus {
  /** Requests counted against today's Crisp quota. */
  quotaUsed(): Promise<number>;
  /** When Crisp's throttling, or a spent quota, is expected to end; null when neither. */
  rateLimitedUntil(): Promise<Date | null>;
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
  /** Verified Crisp web hook events, by website. */
  events: CrispEventPubSub;
  /** Set when an answer came from the shared cache past its TTL (extensions.stale). */
  staleness: Staleness;
  /** This operation's Crisp spending (a subscription's: each event's). */
  budget: OperationBudget;
  usage: UsageCounters;
  upstream: UpstreamStatus;
  gateway: GatewayInfo;
}
