import { z } from "zod";
import { isUuid } from "./crisp/ids.js";
import type { CrispTier } from "./crisp/types.js";
import type { EventMode } from "./events/sources.js";
import { CACHE_KINDS, type CacheKind } from "./loaders/cache-kinds.js";

/** Where Crisp is: the real API (credentials given) or the embedded simulator (demo mode). */
export type CrispTarget =
  | {
      mode: "live";
      identifier: string;
      key: string;
      tier: CrispTier;
      apiUrl: string;
    }
  | { mode: "demo"; seed: number };

export interface Config {
  host: string;
  port: number;
  crisp: CrispTarget;
  /** The website `website` (no id) resolves to; in demo mode the simulator's first. */
  defaultWebsiteId: string | undefined;
  /** Per Crisp request: time to headers and longest body silence, ms. */
  crispTimeoutMs: number;
  /** Daily request quota of the token, enforced by the UpstreamGuard; null when unknown. */
  dailyQuota: number | null;
  /** Plugin hooks' signing secret. */
  hookSecret: string | undefined;
  /** Website hooks' `?key=`. */
  hookKey: string | undefined;
  /** How far a signed hook's timestamp may be from now, ms (redeliveries: twice as long). */
  hookWindowMs: number;
  /**
   * Where events come from (CRISP_EVENTS): web hooks, Crisp's RTM socket, or both. Default:
   * hooks when a hook secret or key is set, else rtm; demo mode: both.
   */
  events: EventMode;
  /** How long the fleet's RTM lease outlives a dead holder, ms (CRISP_RTM_LEASE_MS). */
  rtmLeaseMs: number;
  /** The event log's retention: most events kept, and for how long (ms). */
  eventLog: { maxEvents: number; maxAgeMs: number };
  /** Shared event log, redelivery check, guard state and cache across instances, when set. */
  redisUrl: string | undefined;
  /** Demo mode: ms between the simulator's live visitor/operator actions; 0 turns them off. */
  demoActivityMs: number;
  /** Demo mode: how long the simulator takes to answer each Crisp request, ms. */
  simulatorLatencyMs: number;
  /** On SIGTERM/SIGINT: how long HTTP requests in flight may take to finish, ms. */
  shutdownGraceMs: number;
  /** /ready answers 503 while Crisp's backoff or a spent quota lasts longer than this, ms. */
  readyMaxBackoffMs: number;
  /** Client authentication: API keys (by hash) and/or JWT verification. */
  auth: {
    keysFile: string | undefined;
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    jwtIssuer: string | undefined;
    jwtAudience: string | undefined;
  };
  /** A trusted-documents manifest: when set, only its operations run. */
  trustedDocumentsFile: string | undefined;
  /** Operations per client per minute; 0 disables. */
  operationsPerMinute: number;
  /** Subscriptions one client holds open at once, all transports; 0 disables. */
  maxSubscriptionsPerClient: number;
  /** Operations one graphql-ws socket runs at once. */
  maxOperationsPerSocket: number;
  /** The HTTP server's timeouts (ms) and connection cap (undefined: from the descriptor limit). */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number | undefined;
  };
  /** Browser origins allowed besides the gateway's own (CORS and WebSockets). */
  allowedOrigins: string[];
  /** GraphiQL and introspection (off by default when NODE_ENV=production). */
  graphiql: boolean;
  introspection: boolean;
  production: boolean;
  /** pino level of the structured logs. */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Longest a query or mutation may take, ms. */
  operationDeadlineMs: number;
  /** Largest worst-case Crisp requests of one operation (estimated before, capped during). */
  maxOperationCost: number;
  /** The shared cache's bounds and TTLs (docs/configuration.md). */
  cache: {
    maxEntries: number;
    maxBytes: number;
    maxStaleMs: number;
    ttlMs: Partial<Record<CacheKind, number>>;
  };
  /** How long a whole response is served from the response cache, ms; 0 turns it off. */
  responseCacheTtlMs: number;
}

/** Crisp's published daily quotas per token kind (crisp-api.md §3); `user` has none published. */
const DEFAULT_DAILY_QUOTA: Record<CrispTier, number | null> = {
  plugin: 5_000,
  website: 10_000,
  user: null,
};

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const EnvSchema = z.object({
  HOST: optionalString.default("127.0.0.1"),
  PORT: integer(0, 65_535).default(4000),
  CRISP_IDENTIFIER: optionalString,
  CRISP_KEY: optionalString,
  CRISP_TIER: z
    .enum(["plugin", "website", "user"], { error: "one of plugin, website, user" })
    .default("plugin"),
  CRISP_API_URL: z
    .url({ protocol: /^https?$/, error: "an http(s) URL such as https://api.crisp.chat/v1" })
    .default("https://api.crisp.chat/v1"),
  CRISP_WEBSITE_ID: optionalString.refine((value) => value === undefined || isUuid(value), {
    message: "a Crisp website id (a UUID)",
  }),
  CRISP_TIMEOUT_MS: integer(100, 120_000).default(10_000),
  CRISP_DAILY_QUOTA: integer(1, 100_000_000).optional(),
  SIMULATOR_SEED: integer(0, 2 ** 31 - 1).default(1),
  DEMO_ACTIVITY_MS: integer(0, 3_600_000).default(4_000),
  DEMO: z
    .enum(["1", "true", "0", "false"], { error: "1 (or true) to ask for demo mode" })
    .optional(),
  SIMULATOR_LATENCY_MS: integer(0, 60_000).default(0),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(25_000),
  READY_MAX_BACKOFF_MS: integer(0, 86_400_000).default(15_000),
  MAX_OPERATION_COST: integer(1, 100_000).default(500),
  OPERATION_DEADLINE_MS: integer(100, 600_000).default(25_000),
  GATEWAY_KEYS_FILE: optionalString,
  GATEWAY_OPERATIONS_PER_MINUTE: integer(0, 1_000_000).default(600),
  GATEWAY_TRUSTED_DOCUMENTS: optionalString,
  GATEWAY_MAX_SUBSCRIPTIONS_PER_CLIENT: integer(0, 1_000_000).default(1_000),
  GATEWAY_MAX_OPERATIONS_PER_SOCKET: integer(1, 100_000).default(100),
  HTTP_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(0, 600_000).default(5_000),
  HTTP_MAX_CONNECTIONS: integer(1, 10_000_000).optional(),
  GATEWAY_CORS_ORIGINS: optionalString.refine(
    (value) =>
      value === undefined ||
      value.split(",").every((origin) => /^https?:\/\/[^/\s]+$/.test(origin.trim())),
    { message: "comma-separated origins such as https://dashboard.example.com" },
  ),
  GATEWAY_JWT_SECRET: optionalString.refine((value) => value === undefined || value.length >= 32, {
    message: "an HS256 secret of at least 32 characters",
  }),
  GATEWAY_JWKS_URL: z.url({ protocol: /^https?$/, error: "an http(s) URL of a JWKS" }).optional(),
  GATEWAY_JWT_ISSUER: optionalString,
  GATEWAY_JWT_AUDIENCE: optionalString,
  GATEWAY_AUTH: z
    .enum(["none"], { error: 'nothing, or "none" to run without client authentication on purpose' })
    .optional(),
  GATEWAY_GRAPHIQL: z.enum(["true", "false"], { error: "true or false" }).optional(),
  GATEWAY_INTROSPECTION: z.enum(["true", "false"], { error: "true or false" }).optional(),
  NODE_ENV: optionalString,
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  CACHE_MAX_ENTRIES: integer(1, 10_000_000).default(20_000),
  CACHE_MAX_BYTES: integer(1_024, 2 ** 40).default(67_108_864),
  CACHE_MAX_STALE_MS: integer(0, 86_400_000).default(600_000),
  RESPONSE_CACHE_TTL_MS: integer(0, 86_400_000).default(10_000),
  CACHE_TTL_MS: z
    .string()
    .trim()
    .regex(
      /^(\s*[a-zA-Z]+\s*=\s*\d+\s*)(,\s*[a-zA-Z]+\s*=\s*\d+\s*)*$/,
      "kind=milliseconds pairs separated by commas, e.g. conversation=10000,operators=600000",
    )
    .optional(),
  CRISP_HOOK_SECRET: optionalString.refine((value) => value === undefined || value.length >= 16, {
    message: "a secret of at least 16 characters (the plugin's web hook signing secret)",
  }),
  CRISP_HOOK_KEY: optionalString.refine((value) => value === undefined || value.length >= 16, {
    message: "a key of at least 16 characters (the ?key= of website hooks)",
  }),
  CRISP_HOOK_WINDOW_MS: integer(60_000, 604_800_000).default(3_600_000),
  CRISP_EVENTS: z
    .enum(["hooks", "rtm", "both"], {
      error: "one of hooks (web hooks), rtm (Crisp's RTM socket), both",
    })
    .optional(),
  CRISP_RTM_LEASE_MS: integer(1_000, 600_000).default(10_000),
  EVENT_LOG_MAX_EVENTS: integer(100, 10_000_000).default(20_000),
  EVENT_LOG_MAX_AGE_MS: integer(60_000, 2_592_000_000).default(86_400_000),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "a redis:// or rediss:// URL" }).optional(),
});

/** `CACHE_TTL_MS=conversation=10000,operators=600000`: per-kind overrides of the defaults. */
function parseTtls(value: string | undefined): Partial<Record<CacheKind, number>> {
  const ttls: Partial<Record<CacheKind, number>> = {};
  for (const pair of value?.split(",") ?? []) {
    const [name = "", ms = ""] = pair.split("=").map((part) => part.trim());
    const kind = CACHE_KINDS.find((known) => known === name);
    if (kind === undefined) {
      throw new ConfigError(
        `Invalid configuration:\n  CACHE_TTL_MS: unknown kind ${JSON.stringify(name)}: expected one of ${CACHE_KINDS.join(", ")}`,
      );
    }
    ttls[kind] = Number(ms);
  }
  return ttls;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return (
    host === "localhost" ||
    host === "::1" ||
    host === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses the environment once at start-up. Throws a ConfigError naming every bad variable and
 * what was expected, so the process stops before it listens.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  // Empty strings count as unset, the way shells and .env files usually mean them.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      return `${name}=${JSON.stringify(present[name] ?? "")}: expected ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const vars = parsed.data;
  if ((vars.CRISP_IDENTIFIER === undefined) !== (vars.CRISP_KEY === undefined)) {
    const missing = vars.CRISP_IDENTIFIER === undefined ? "CRISP_IDENTIFIER" : "CRISP_KEY";
    throw new ConfigError(
      `Invalid configuration:\n  ${missing} is missing: set both CRISP_IDENTIFIER and CRISP_KEY for a real Crisp account, or neither for demo mode.`,
    );
  }
  const production = vars.NODE_ENV === "production";
  const demoAsked = vars.DEMO === "1" || vars.DEMO === "true";
  if (demoAsked && vars.CRISP_IDENTIFIER !== undefined) {
    throw new ConfigError(
      "Invalid configuration:\n  DEMO=1 with CRISP_IDENTIFIER and CRISP_KEY set: unset DEMO to serve the Crisp account, or the credentials to serve the embedded simulator.",
    );
  }
  // A production deployment that lost its credentials must not quietly serve made-up data.
  if (production && vars.CRISP_IDENTIFIER === undefined && !demoAsked) {
    throw new ConfigError(
      "Invalid configuration:\n  NODE_ENV=production with no CRISP_IDENTIFIER/CRISP_KEY: set them to serve your Crisp account, or DEMO=1 to serve the embedded simulator's made-up data on purpose.",
    );
  }
  const crisp: CrispTarget =
    vars.CRISP_IDENTIFIER !== undefined && vars.CRISP_KEY !== undefined
      ? {
          mode: "live",
          identifier: vars.CRISP_IDENTIFIER,
          key: vars.CRISP_KEY,
          tier: vars.CRISP_TIER,
          apiUrl: vars.CRISP_API_URL,
        }
      : { mode: "demo", seed: vars.SIMULATOR_SEED };
  const tier = crisp.mode === "live" ? crisp.tier : "plugin";
  const authConfigured =
    vars.GATEWAY_KEYS_FILE !== undefined ||
    vars.GATEWAY_JWT_SECRET !== undefined ||
    vars.GATEWAY_JWKS_URL !== undefined;
  // An open gateway holds a token that reaches every website: only on a loopback address,
  // unless someone says so explicitly.
  if (!authConfigured && !isLoopback(vars.HOST) && vars.GATEWAY_AUTH !== "none") {
    throw new ConfigError(
      `Invalid configuration:\n  HOST=${JSON.stringify(vars.HOST)} with no client authentication: set GATEWAY_KEYS_FILE, GATEWAY_JWT_SECRET or GATEWAY_JWKS_URL, or GATEWAY_AUTH=none to serve every client every website on purpose.`,
    );
  }
  const events =
    vars.CRISP_EVENTS ??
    (crisp.mode === "demo"
      ? "both"
      : vars.CRISP_HOOK_SECRET !== undefined || vars.CRISP_HOOK_KEY !== undefined
        ? "hooks"
        : "rtm");
  // A website token's RTM endpoint is per website (GET /website/{id}/connect/endpoints).
  if (events !== "hooks" && tier === "website" && vars.CRISP_WEBSITE_ID === undefined) {
    throw new ConfigError(
      `Invalid configuration:\n  CRISP_EVENTS=${events} with CRISP_TIER=website needs CRISP_WEBSITE_ID: a website token's RTM endpoint is per website.`,
    );
  }
  return Object.freeze({
    host: vars.HOST,
    port: vars.PORT,
    crisp,
    defaultWebsiteId: vars.CRISP_WEBSITE_ID,
    crispTimeoutMs: vars.CRISP_TIMEOUT_MS,
    dailyQuota: vars.CRISP_DAILY_QUOTA ?? DEFAULT_DAILY_QUOTA[tier],
    hookSecret: vars.CRISP_HOOK_SECRET,
    hookKey: vars.CRISP_HOOK_KEY,
    hookWindowMs: vars.CRISP_HOOK_WINDOW_MS,
    events,
    rtmLeaseMs: vars.CRISP_RTM_LEASE_MS,
    eventLog: { maxEvents: vars.EVENT_LOG_MAX_EVENTS, maxAgeMs: vars.EVENT_LOG_MAX_AGE_MS },
    redisUrl: vars.REDIS_URL,
    demoActivityMs: vars.DEMO_ACTIVITY_MS,
    simulatorLatencyMs: vars.SIMULATOR_LATENCY_MS,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_MS,
    readyMaxBackoffMs: vars.READY_MAX_BACKOFF_MS,
    maxOperationCost: vars.MAX_OPERATION_COST,
    operationDeadlineMs: vars.OPERATION_DEADLINE_MS,
    logLevel: vars.LOG_LEVEL,
    auth: {
      keysFile: vars.GATEWAY_KEYS_FILE,
      jwtSecret: vars.GATEWAY_JWT_SECRET,
      jwksUrl: vars.GATEWAY_JWKS_URL,
      jwtIssuer: vars.GATEWAY_JWT_ISSUER,
      jwtAudience: vars.GATEWAY_JWT_AUDIENCE,
    },
    production,
    operationsPerMinute: vars.GATEWAY_OPERATIONS_PER_MINUTE,
    maxSubscriptionsPerClient: vars.GATEWAY_MAX_SUBSCRIPTIONS_PER_CLIENT,
    maxOperationsPerSocket: vars.GATEWAY_MAX_OPERATIONS_PER_SOCKET,
    http: {
      headersTimeoutMs: vars.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: vars.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: vars.HTTP_MAX_CONNECTIONS,
    },
    trustedDocumentsFile: vars.GATEWAY_TRUSTED_DOCUMENTS,
    allowedOrigins: vars.GATEWAY_CORS_ORIGINS?.split(",").map((origin) => origin.trim()) ?? [],
    graphiql: vars.GATEWAY_GRAPHIQL === undefined ? !production : vars.GATEWAY_GRAPHIQL === "true",
    introspection:
      vars.GATEWAY_INTROSPECTION === undefined
        ? !production
        : vars.GATEWAY_INTROSPECTION === "true",
    cache: {
      maxEntries: vars.CACHE_MAX_ENTRIES,
      maxBytes: vars.CACHE_MAX_BYTES,
      maxStaleMs: vars.CACHE_MAX_STALE_MS,
      ttlMs: parseTtls(vars.CACHE_TTL_MS),
    },
    responseCacheTtlMs: vars.RESPONSE_CACHE_TTL_MS,
  });
}
