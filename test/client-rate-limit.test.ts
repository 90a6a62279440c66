import { createHash, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { RateLimiterRedis } from "rate-limiter-flexible";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { createAuthenticator } from "../src/auth.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";

const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const KEYS = { a: "client-a-0123456789abcdef", b: "client-b-0123456789abcdef" };
const authenticate = createAuthenticator({
  keys: new Map(
    Object.entries(KEYS).map(([name, key]) => [
      createHash("sha256").update(key).digest("hex"),
      { name, websites: "*" as const, access: "read" as const },
    ]),
  ),
});

const JWT_SECRET = "client-rate-limit-test-secret-0123456789";
const signJwt = (subject?: string) => {
  const token = new SignJWT({ websites: ["*"], access: "read" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime("5m");
  return (subject === undefined ? token : token.setSubject(subject)).sign(
    new TextEncoder().encode(JWT_SECRET),
  );
};
const keysAndJwts = createAuthenticator({
  keys: new Map(
    Object.entries({ ...KEYS, open: "client-open-0123456789abcdef" }).map(([name, key]) => [
      createHash("sha256").update(key).digest("hex"),
      { name, websites: "*" as const, access: "read" as const },
    ]),
  ),
  jwt: { secret: JWT_SECRET },
});

function gatewayWith(
  operationsPerMinute: number | RateLimiterRedis,
  authenticator: typeof authenticate = authenticate,
) {
  const gateway = gatewayOn(simulator, {
    authenticate: authenticator,
    operationsPerMinute,
  });
  return async (key: string) => {
    const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: "{ gateway { version } }" }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      body: (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] },
    };
  };
}

describe("per-client operation limits", () => {
  it("refuses a client past its operations per minute with 429 RATE_LIMITED and retryAfter, and no one else", async () => {
    const run = gatewayWith(3);
    for (let i = 0; i < 3; i += 1) {
      expect((await run(KEYS.a)).status).toBe(200);
    }
    const refused = await run(KEYS.a);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({
      code: "RATE_LIMITED",
      retryAfter: expect.any(Number),
    });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await run(KEYS.b)).status).toBe(200);
  });

  it("counts each JWT without a subject on its own, a subject apart from a key of its name, and credentials named open apart from each other", async () => {
    const run = gatewayWith(1, keysAndJwts);
    expect((await run(KEYS.a)).status).toBe(200);
    expect((await run(KEYS.a)).status).toBe(429);
    // A JWT whose subject is a key's name is another client.
    expect((await run(await signJwt("a"))).status).toBe(200);
    // Tokens without a subject are all named "jwt": they were one client.
    const first = await signJwt();
    expect((await run(first)).status).toBe(200);
    expect((await run(first)).status).toBe(429);
    expect((await run(await signJwt())).status).toBe(200);
    // Credentials named "open" are not the open viewer (counted by address: every request
    // here comes from one): a key and a subject of that name are two clients.
    expect((await run("client-open-0123456789abcdef")).status).toBe(200);
    expect((await run("client-open-0123456789abcdef")).status).toBe(429);
    expect((await run(await signJwt("open"))).status).toBe(200);
  });

  it("shares the count between instances through Redis", async () => {
    const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
    onTestFinished(async () => {
      await redis.quit();
    });
    const keyPrefix = `test-ops-${randomUUID()}`;
    const limiter = () =>
      new RateLimiterRedis({ storeClient: redis, points: 2, duration: 60, keyPrefix });
    const first = gatewayWith(limiter());
    const second = gatewayWith(limiter());
    expect((await first(KEYS.a)).status).toBe(200);
    expect((await second(KEYS.a)).status).toBe(200);
    expect((await first(KEYS.a)).status).toBe(429);
  });
});
