import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { Writable } from "node:stream";
import { createClient } from "graphql-ws";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { GUARD_REDIS_OPTIONS, redisGuardStore } from "../src/crisp/guard-store.js";
import { createMemoryEventLog, type EventLog } from "../src/events/log.js";
import { createRedisEventLog } from "../src/events/redis-log.js";
import { createLogger } from "../src/logger.js";
import { redisOperationLimiter } from "../src/plugins/use-client-rate-limit.js";
import { startTestGateway } from "./helpers/gateway.js";
import { startRedis } from "./helpers/redis.js";

/**
 * Redis unavailable never turns a cached or a Crisp-reachable read into an error: the guard
 * store falls back to this instance's memory (with one log line), the per-client rate limiter
 * to its in-memory insurance, and whatever does fail on a transport reaches the client masked
 * and coded. A redis-server of this file's own, killed halfway.
 */
const server = await startRedis();
const redisUrl = server.url;
const redis = new Redis(redisUrl, { ...GUARD_REDIS_OPTIONS });
redis.on("error", () => undefined);
await redis.connect();
afterAll(() => redis.disconnect());
const logTrouble: unknown[] = [];
const events = await createRedisEventLog({
  redisUrl,
  scope: `outage-${randomUUID()}`,
  onError: (error) => logTrouble.push(error),
});

const lines: { msg: string; err?: { message?: string } }[] = [];
const logger = createLogger(
  "info",
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  }),
);
const t = await startTestGateway(
  {},
  {
    cache: {},
    guard: { store: redisGuardStore(redis, `outage-${randomUUID()}`) },
    operationsPerMinute: redisOperationLimiter(redis, 600),
    events,
    logger,
  },
);
const NAME = "{ website { name } }";

describe("while Redis is down", () => {
  it("cached and Crisp-reachable reads still answer, counted and guarded per instance, with one log line", async () => {
    const warm = await t.query<{ website: { name: string } }>(NAME);
    expect(warm.errors).toBeUndefined();
    const lost = once(redis, "close");
    await server.kill();
    await lost;

    const cached = await t.query<{ website: { name: string } }>(NAME);
    expect(cached).toMatchObject({ data: warm.data });
    expect(cached.errors).toBeUndefined();
    t.takeRequests();
    const uncached = await t.query<{ website: { operators: { userId: string }[] } }>(
      "{ website { operators { userId } } }",
    );
    expect(uncached.errors).toBeUndefined();
    expect(uncached.data?.website.operators.length).toBeGreaterThan(0);
    expect(t.takeRequests()).toEqual([
      `GET /website/${t.simulator.defaultWebsiteId}/operators/list`,
    ]);
    const again = await t.query("{ website { visitorCount { count } } }");
    expect(again.errors).toBeUndefined();
    const fallbacks = lines.filter((line) => /guard store \(Redis\) failed/.test(line.msg));
    expect(fallbacks).toHaveLength(1);
    // The gateway's status reads the guard too.
    const status = await t.query<{ gateway: { quotaUsed: number } }>("{ gateway { quotaUsed } }");
    expect(status.errors).toBeUndefined();
  });
});

/**
 * An event log whose every read fails with a raw driver error (as ioredis' does when Redis is
 * gone): a subscription resuming from an event id reads it first, and what the client sees on
 * each transport is masked and coded, and the socket stays open.
 */
describe("an event log that fails on read", async () => {
  const RAW = "connect ECONNREFUSED 127.0.0.1:6390 (redis secret detail)";
  const failing: EventLog = {
    ...createMemoryEventLog(),
    range: async () => {
      throw new Error(RAW);
    },
  };
  const f = await startTestGateway({}, { events: failing });
  const { wsUrl, url } = await f.gateway.listen("127.0.0.1", 0);
  const SUBSCRIPTION = {
    query:
      "subscription($w: ID!, $after: ID) { crispEvents(websiteId: $w, after: $after) { name } }",
    variables: { w: f.simulator.defaultWebsiteId, after: `${Date.now()}-0` },
  };

  it("graphql-ws: an error result with a code, not a 4500 close carrying the error's text; the socket keeps serving", async () => {
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const closes: unknown[] = [];
    client.on("closed", (event) => closes.push(event));
    onTestFinished(() => client.dispose());
    const outcome = await new Promise<{ errors?: { message: string; extensions?: object }[] }>(
      (resolve, reject) => {
        client.subscribe(SUBSCRIPTION, {
          next: (value) => resolve(value as { errors?: { message: string }[] }),
          error: (error) =>
            Array.isArray(error)
              ? resolve({ errors: error as { message: string }[] })
              : reject(new Error("the socket was closed")),
          complete: () => resolve({}),
        });
      },
    );
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        message: "Unexpected error.",
        extensions: expect.objectContaining({ code: "INTERNAL_SERVER_ERROR" }),
      }),
    ]);
    expect(JSON.stringify(outcome)).not.toContain("ECONNREFUSED");
    const query = await new Promise<{ data?: unknown }>((resolve, reject) => {
      client.subscribe(
        { query: NAME },
        { next: resolve, error: reject, complete: () => undefined },
      );
    });
    expect(query.data).toEqual({ website: { name: expect.any(String) } });
    expect(closes).toEqual([]);
  });

  it("SSE: the same masked, coded error, and the stream ends", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify(SUBSCRIPTION),
    });
    const text = await response.text();
    expect(text).toMatch(/"message":"Unexpected error\."/);
    expect(text).toMatch(/"code":"INTERNAL_SERVER_ERROR"/);
    expect(text).not.toContain("ECONNREFUSED");
  });
});
