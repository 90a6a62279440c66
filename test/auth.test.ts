import { createHash } from "node:crypto";
import { createClient } from "graphql-ws";
import { SignJWT } from "jose";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { createAuthenticator } from "../src/auth.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { encodeGlobalId } from "../src/schema/global-id.js";
import { startSimulator } from "../src/simulator/index.js";
import type { GraphQLResponse } from "./helpers/gateway.js";
import { gatewayOn } from "./helpers/gateway.js";
import { keysFileOf } from "./helpers/keys.js";

const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const [A, B] = simulator.store.websites.map((website) => website.website_id);
const WEBSITE_A = A ?? "";
const WEBSITE_B = B ?? "";
const SESSION_B = simulator.store.conversations(WEBSITE_B)[0]?.session_id ?? "";
const SESSION_A = simulator.store.listConversations(WEBSITE_A, {})[0]?.session_id ?? "";

const KEYS = {
  readA: "read-a-0123456789abcdef",
  writeA: "write-a-0123456789abcdef",
  all: "all-0123456789abcdef-xyz",
  hashed: "hashed-0123456789abcdef",
};
const JWT_SECRET = "a-jwt-secret-of-at-least-32-characters!!";
const keys = keysFileOf([
  { name: "dashboard-a", key: KEYS.readA, websites: [WEBSITE_A], access: "read" },
  { name: "bot-a", key: KEYS.writeA, websites: [WEBSITE_A], access: "write" },
  { name: "admin", key: KEYS.all, websites: ["*"], access: "write" },
  {
    name: "hashed",
    sha256: createHash("sha256").update(KEYS.hashed).digest("hex"),
    websites: [WEBSITE_B],
    access: "read",
  },
]);

const gateway = gatewayOn(simulator, {
  cache: false,
  authenticate: createAuthenticator({ keys: keys, jwt: { secret: JWT_SECRET } }),
});
const { url, wsUrl } = await gateway.listen("127.0.0.1", 0);

async function as(token: string | null, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

function takeRequests(): string[] {
  const served = simulator.requests.map((request) => `${request.method} ${request.path}`);
  simulator.clearRequests();
  return served;
}

const jwt = (claims: Record<string, unknown>, expires = "5m", secret = JWT_SECRET) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("svc")
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));

describe("client authentication", () => {
  it.each([
    ["no Authorization header", null],
    ["an unknown key", "not-a-key-0123456789"],
    ["a JWT signed with another secret", "JWT:other"],
    ["an expired JWT", "JWT:expired"],
    ["a JWT without claims", "JWT:noclaims"],
  ])("refuses %s with HTTP 401 UNAUTHENTICATED and no Crisp request", async (_name, token) => {
    let bearer = token;
    if (token === "JWT:other") {
      bearer = await jwt(
        { websites: ["*"], access: "read" },
        "5m",
        "another-secret-of-at-least-32-characters!!",
      );
    } else if (token === "JWT:expired") {
      bearer = await jwt({ websites: ["*"], access: "read" }, "-1m");
    } else if (token === "JWT:noclaims") {
      bearer = await jwt({});
    }
    takeRequests();
    const { status, body } = await as(bearer, "{ website { name } }");
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(takeRequests()).toEqual([]);
  });

  it("accepts a key given by its SHA-256 only", async () => {
    const { body } = await as(KEYS.hashed, `{ website(id: "${WEBSITE_B}") { name } }`);
    expect(body.errors).toBeUndefined();
  });

  it("accepts a JWT whose claims give websites and access", async () => {
    const token = await jwt({ websites: [WEBSITE_B], access: "read" });
    const { body } = await as(
      token,
      `{ a: website(id: "${WEBSITE_A}") { name } b: website(id: "${WEBSITE_B}") { name } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({ a: null, b: { name: expect.any(String) } });
  });
});

describe("authorization matrix", () => {
  const conversationB = encodeGlobalId("Conversation", `${WEBSITE_B}/${SESSION_B}`);
  const websiteB = encodeGlobalId("Website", WEBSITE_B);

  it.each([
    ["readA", "a website it may see", `{ website(id: "${WEBSITE_A}") { name } }`, "visible"],
    ["readA", "another website", `{ website(id: "${WEBSITE_B}") { name } }`, "null"],
    [
      "readA",
      "another website's conversation by node id",
      `{ node(id: "${conversationB}") { id } }`,
      "null",
    ],
    ["readA", "another website by node id", `{ nodes(ids: ["${websiteB}"]) { id } }`, "null"],
    ["all", "any website", `{ website(id: "${WEBSITE_B}") { name } }`, "visible"],
    [
      "all",
      "another website's conversation by node id",
      `{ node(id: "${conversationB}") { id } }`,
      "visible",
    ],
  ])("%s reading %s: %s", async (key, _what, query, expected) => {
    takeRequests();
    const { body } = await as(KEYS[key as keyof typeof KEYS], query);
    expect(body.errors).toBeUndefined();
    const value = Object.values(body.data ?? {})[0];
    if (expected === "null") {
      expect(Array.isArray(value) ? value[0] : value).toBeNull();
      // A website it may not see costs no Crisp request either.
      expect(takeRequests().filter((r) => r.includes(WEBSITE_B))).toEqual([]);
    } else {
      expect(value).not.toBeNull();
    }
  });

  it("lists only the websites a key may see", async () => {
    const { body } = await as(KEYS.readA, "{ websites { nodes { websiteId } } }");
    expect(body.data).toEqual({ websites: { nodes: [{ websiteId: WEBSITE_A }] } });
  });

  it("refuses any mutation to a read key with FORBIDDEN, before any check or Crisp request", async () => {
    takeRequests();
    const { body } = await as(
      KEYS.readA,
      `mutation { setConversationState(websiteId: "${WEBSITE_A}", sessionId: "not-even-valid", state: RESOLVED) { state } }`,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(takeRequests()).toEqual([]);
  });

  it("lets a write key change its website, and treats another website as missing", async () => {
    const own = await as(
      KEYS.writeA,
      `mutation { setConversationState(websiteId: "${WEBSITE_A}", sessionId: "${SESSION_A}", state: UNRESOLVED) { state } }`,
    );
    expect(own.body.errors).toBeUndefined();
    takeRequests();
    const other = await as(
      KEYS.writeA,
      `mutation { setConversationState(websiteId: "${WEBSITE_B}", sessionId: "${SESSION_B}", state: RESOLVED) { state } }`,
    );
    expect(other.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(takeRequests()).toEqual([]);
  });

  it("refuses createWebsite to a key limited to some websites", async () => {
    const { body } = await as(
      KEYS.writeA,
      `mutation { createWebsite(name: "X", domain: "x.example") { websiteId } }`,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("subscriptions", () => {
  it("closes a graphql-ws connection without valid credentials with 4403", async () => {
    for (const connectionParams of [{}, { authorization: "Bearer nope-nope-nope-nope" }]) {
      const closed = await new Promise<number>((resolve) => {
        const client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          connectionParams,
          on: { closed: (event) => resolve((event as { code: number }).code) },
        });
        client.subscribe(
          { query: `subscription { crispEvents(websiteId: "${WEBSITE_A}") { name } }` },
          { next: () => undefined, error: () => undefined, complete: () => undefined },
        );
      });
      expect(closed).toBe(4403);
    }
  });

  it("refuses a subscription to a website the key may not see, and accepts its own", async () => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${KEYS.readA}` },
    });
    onTestFinished(() => client.dispose());
    const refused = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: `subscription { crispEvents(websiteId: "${WEBSITE_B}") { name } }` },
        { next: (value) => resolve(value.errors), error: resolve, complete: () => undefined },
      );
    });
    expect(JSON.stringify(refused)).toContain("NOT_FOUND");
  });

  it("authenticates SSE subscriptions like any HTTP request", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({
        query: `subscription { crispEvents(websiteId: "${WEBSITE_A}") { name } }`,
      }),
    });
    expect(response.status).toBe(401);
  });
});

describe("safe defaults", () => {
  it("refuses to start open on a non-loopback address", () => {
    expect(() => loadConfig({ HOST: "0.0.0.0" })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: "0.0.0.0" })).toThrow(/GATEWAY_AUTH=none/);
    expect(loadConfig({ HOST: "0.0.0.0", GATEWAY_AUTH: "none" }).host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "0.0.0.0", GATEWAY_JWT_SECRET: JWT_SECRET }).host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "127.0.0.1" }).host).toBe("127.0.0.1");
  });

  it("turns GraphiQL and introspection off in production unless asked", () => {
    expect(loadConfig({ NODE_ENV: "production", DEMO: "1" })).toMatchObject({
      graphiql: false,
      introspection: false,
    });
    expect(
      loadConfig({
        NODE_ENV: "production",
        DEMO: "1",
        GATEWAY_GRAPHIQL: "true",
        GATEWAY_INTROSPECTION: "true",
      }),
    ).toMatchObject({ graphiql: true, introspection: true });
  });

  it("in production mode, refuses introspection and hides field suggestions", async () => {
    const production = gatewayOn(simulator, {
      defaultWebsiteId: undefined,
      graphiql: false,
      introspection: false,
    });
    const run = async (query: string) =>
      (await (
        await production.yoga.fetch("http://gateway.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query }),
        })
      ).json()) as GraphQLResponse;
    const introspection = await run("{ __schema { types { name } } }");
    expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await run("{ websit { name } }");
    expect(typo.errors?.[0]?.message).toBe('Cannot query field "websit" on type "Query".');
    const page = await production.yoga.fetch("http://gateway.test/graphql", {
      headers: { accept: "text/html" },
    });
    expect(await page.text()).not.toContain("GraphiQL");
  });
});

describe("JWTs from a JWKS", () => {
  it("accepts an RS256 token verified against a JWKS URL, and refuses one signed by another key", async () => {
    const { generateKeyPair, exportJWK } = await import("jose");
    const { createServer } = await import("node:http");
    const trusted = await generateKeyPair("RS256");
    const stranger = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(trusted.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    const authenticate = createAuthenticator({ jwt: { jwksUrl, audience: "crisp-gateway" } });
    const sign = (key: CryptoKey) =>
      new SignJWT({ websites: [WEBSITE_A], access: "read" })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setAudience("crisp-gateway")
        .setExpirationTime("5m")
        .sign(key);
    const viewer = await authenticate?.(`Bearer ${await sign(trusted.privateKey)}`);
    expect(viewer).toMatchObject({ access: "read" });
    await expect(authenticate?.(`Bearer ${await sign(stranger.privateKey)}`)).rejects.toMatchObject(
      { code: "UNAUTHENTICATED" },
    );
  });
});

describe("WebSocket message size", () => {
  it("closes a socket that sends a message over the limit (1009)", async () => {
    const ws = new WebSocket(wsUrl, "graphql-transport-ws");
    await new Promise((resolve) => ws.once("open", resolve));
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.send("x".repeat(1_100_000));
    expect(await closed).toBe(1009);
  });
});
