/** The kinds of entries the shared cache holds, their TTLs and the shape of their keys. */

export const CACHE_KINDS = [
  "website",
  "websiteExists",
  "connectedWebsites",
  "conversation",
  "conversationPage",
  "messageBatch",
  "message",
  "person",
  "peoplePage",
  "personConversationPage",
  "operators",
  "visitorPage",
  "visitorCount",
  "personData",
  "pluginAccount",
  "pluginSettings",
  "raw",
] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

/**
 * How long each kind is served without asking Crisp, in ms. Slow-changing configuration
 * lives minutes; conversations and lists seconds, because web hooks (when configured) patch
 * what they change at once and the TTL only bounds staleness when they do not.
 */
export const DEFAULT_CACHE_TTLS_MS: Readonly<Record<CacheKind, number>> = {
  website: 300_000, // 5 minutes: names and domains hardly change
  websiteExists: 300_000,
  connectedWebsites: 300_000,
  operators: 300_000,
  conversation: 30_000,
  conversationPage: 15_000,
  messageBatch: 30_000,
  message: 300_000, // a message only changes through message:updated, which patches it
  person: 120_000,
  peoplePage: 60_000,
  personConversationPage: 60_000,
  visitorPage: 10_000, // live visitors come and go
  visitorCount: 10_000,
  personData: 120_000,
  pluginAccount: 3_600_000, // 1 hour: a plugin's id never changes
  pluginSettings: 60_000,
  raw: 15_000, // crispRequest GETs: any route, so as short as the list pages
};

/** A cache key: its parts, of which the first two are always the kind and the website. */
export type CacheKey = readonly [
  kind: CacheKind,
  websiteId: string,
  ...rest: (string | number | undefined)[],
];
