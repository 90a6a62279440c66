import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration", () => {
  it("runs in demo mode on 127.0.0.1:4000 with nothing set", () => {
    expect(loadConfig({})).toEqual({
      host: "127.0.0.1",
      port: 4000,
      crisp: { mode: "demo", seed: 1 },
      defaultWebsiteId: undefined,
      crispTimeoutMs: 10_000,
      dailyQuota: 5_000,
      hookSecret: undefined,
      hookKey: undefined,
      hookWindowMs: 3_600_000,
      events: "both",
      rtmLeaseMs: 10_000,
      eventLog: { maxEvents: 20_000, maxAgeMs: 86_400_000 },
      redisUrl: undefined,
      responseCacheTtlMs: 10_000,
      demoActivityMs: 4_000,
      simulatorLatencyMs: 0,
      shutdownGraceMs: 25_000,
      readyMaxBackoffMs: 15_000,
      maxOperationCost: 500,
      operationDeadlineMs: 25_000,
      logLevel: "info",
      auth: {
        keysFile: undefined,
        jwtSecret: undefined,
        jwksUrl: undefined,
        jwtIssuer: undefined,
        jwtAudience: undefined,
      },
      production: false,
      allowedOrigins: [],
      operationsPerMinute: 600,
      maxSubscriptionsPerClient: 1_000,
      maxOperationsPerSocket: 100,
      http: {
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 5_000,
        maxConnections: undefined,
      },
      trustedDocumentsFile: undefined,
      graphiql: true,
      introspection: true,
      cache: { maxEntries: 20_000, maxBytes: 67_108_864, maxStaleMs: 600_000, ttlMs: {} },
    });
  });

  it("reads the HTTP server's limits and the subscription caps, and refuses bad ones by name", () => {
    const config = loadConfig({
      HTTP_HEADERS_TIMEOUT_MS: "2000",
      HTTP_REQUEST_TIMEOUT_MS: "8000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "65000",
      HTTP_MAX_CONNECTIONS: "5000",
      GATEWAY_MAX_SUBSCRIPTIONS_PER_CLIENT: "0",
      GATEWAY_MAX_OPERATIONS_PER_SOCKET: "20",
    });
    expect(config.http).toEqual({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 8_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 5_000,
    });
    expect(config.maxSubscriptionsPerClient).toBe(0);
    expect(config.maxOperationsPerSocket).toBe(20);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: "soon" })).toThrow(
      /HTTP_REQUEST_TIMEOUT_MS="soon": expected an integer/,
    );
    expect(() => loadConfig({ HTTP_MAX_CONNECTIONS: "0" })).toThrow(/HTTP_MAX_CONNECTIONS/);
  });

  it("talks to Crisp with credentials, with the documented defaults", () => {
    const config = loadConfig({ CRISP_IDENTIFIER: "id", CRISP_KEY: "key" });
    expect(config.crisp).toEqual({
      mode: "live",
      identifier: "id",
      key: "key",
      tier: "plugin",
      apiUrl: "https://api.crisp.chat/v1",
    });
  });

  it("takes every variable", () => {
    const config = loadConfig({
      HOST: "0.0.0.0",
      GATEWAY_AUTH: "none",
      PORT: "8080",
      CRISP_IDENTIFIER: "id",
      CRISP_KEY: "key",
      CRISP_TIER: "website",
      CRISP_API_URL: "http://127.0.0.1:9999/v1",
      CRISP_WEBSITE_ID: "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
      CRISP_TIMEOUT_MS: "5000",
    });
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 8080,
      defaultWebsiteId: "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
      crispTimeoutMs: 5000,
      dailyQuota: 10_000,
      crisp: { tier: "website", apiUrl: "http://127.0.0.1:9999/v1" },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads the response cache's TTL, 0 turning it off", () => {
    expect(loadConfig({ RESPONSE_CACHE_TTL_MS: "0" }).responseCacheTtlMs).toBe(0);
    expect(loadConfig({ RESPONSE_CACHE_TTL_MS: "2500" }).responseCacheTtlMs).toBe(2500);
  });

  it("chooses the event source: hooks with a hook secret or key, else RTM; demo mode both; CRISP_EVENTS wins", () => {
    const live = { CRISP_IDENTIFIER: "id", CRISP_KEY: "key" };
    expect(loadConfig(live).events).toBe("rtm");
    expect(loadConfig({ ...live, CRISP_HOOK_SECRET: "0123456789abcdef" }).events).toBe("hooks");
    expect(loadConfig({ ...live, CRISP_HOOK_KEY: "0123456789abcdef" }).events).toBe("hooks");
    expect(
      loadConfig({ ...live, CRISP_EVENTS: "both", CRISP_HOOK_KEY: "0123456789abcdef" }).events,
    ).toBe("both");
    expect(loadConfig({}).events).toBe("both");
    expect(loadConfig({ CRISP_EVENTS: "hooks" }).events).toBe("hooks");
    expect(loadConfig({ ...live, CRISP_RTM_LEASE_MS: "3000" }).rtmLeaseMs).toBe(3_000);
    // A website token's RTM endpoint is per website.
    expect(() => loadConfig({ ...live, CRISP_TIER: "website" })).toThrow(
      /CRISP_EVENTS=rtm with CRISP_TIER=website needs CRISP_WEBSITE_ID/,
    );
  });

  it("reads per-kind cache TTLs", () => {
    expect(loadConfig({ CACHE_TTL_MS: "conversation=5000, operators=0" }).cache.ttlMs).toEqual({
      conversation: 5000,
      operators: 0,
    });
  });

  it.each([
    [{ PORT: "99999" }, "PORT"],
    [{ PORT: "4000abc" }, "PORT"],
    [{ CRISP_TIER: "admin" }, "CRISP_TIER"],
    [{ CRISP_API_URL: "ftp://crisp" }, "CRISP_API_URL"],
    [{ CRISP_WEBSITE_ID: "my-site" }, "CRISP_WEBSITE_ID"],
    [{ CRISP_TIMEOUT_MS: "0" }, "CRISP_TIMEOUT_MS"],
    [{ CRISP_IDENTIFIER: "id" }, "CRISP_KEY"],
    [{ CRISP_KEY: "key" }, "CRISP_IDENTIFIER"],
    [{ CRISP_HOOK_SECRET: "short" }, "CRISP_HOOK_SECRET"],
    [{ REDIS_URL: "http://127.0.0.1:6379" }, "REDIS_URL"],
    [{ CACHE_TTL_MS: "conversation:5" }, "CACHE_TTL_MS"],
    [{ CACHE_TTL_MS: "conversations=5" }, "CACHE_TTL_MS"],
    [{ CACHE_MAX_ENTRIES: "0" }, "CACHE_MAX_ENTRIES"],
    [{ SHUTDOWN_GRACE_MS: "soon" }, "SHUTDOWN_GRACE_MS"],
    [{ RESPONSE_CACHE_TTL_MS: "-1" }, "RESPONSE_CACHE_TTL_MS"],
    [{ DEMO: "yes" }, "DEMO"],
    [{ CRISP_EVENTS: "socket" }, "CRISP_EVENTS"],
    [{ CRISP_RTM_LEASE_MS: "10" }, "CRISP_RTM_LEASE_MS"],
    [{ DEMO: "1", CRISP_IDENTIFIER: "id", CRISP_KEY: "key" }, "DEMO=1"],
  ])("refuses %j naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it("refuses to serve made-up data in production unless demo mode is asked for", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(
      "NODE_ENV=production with no CRISP_IDENTIFIER/CRISP_KEY: set them to serve your Crisp account, or DEMO=1",
    );
    expect(loadConfig({ NODE_ENV: "production", DEMO: "1" }).crisp).toEqual({
      mode: "demo",
      seed: 1,
    });
    expect(
      loadConfig({ NODE_ENV: "production", CRISP_IDENTIFIER: "id", CRISP_KEY: "key" }).crisp.mode,
    ).toBe("live");
  });
});
