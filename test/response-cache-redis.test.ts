/**
 * The response cache's Redis store: entries one instance stores are served by every instance,
 * an invalidation by any instance drops them for all, and while Redis fails each instance keeps
 * serving from its own memory without an error. A redis-server of the test's own, killed.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { createRedisResponseStore } from "../src/plugins/response-cache-store.js";
import type { Gateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { type GraphQLResponse, gatewayOn } from "./helpers/gateway.js";
import { startRedis } from "./helpers/redis.js";

const CONVERSATION = { typename: "Conversation", id: "Q29udmVyc2F0aW9uOmE" };
const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());

/** Two stores on one scope; `gone` and `back` tell when the first one's connection drops, returns. */
async function pair(redisUrl: string) {
  const scope = `test-${randomUUID()}`;
  const told = { lost: () => {}, back: () => {} };
  const gone = new Promise<void>((resolve) => {
    told.lost = resolve;
  });
  const back = new Promise<void>((resolve) => {
    told.back = resolve;
  });
  const one = await createRedisResponseStore({
    redisUrl,
    scope,
    report: (event) => told[event](),
  });
  const two = await createRedisResponseStore({ redisUrl, scope, report: () => undefined });
  onTestFinished(async () => {
    await one.close();
    await two.close();
  });
  return [one, two, gone, back] as const;
}

describe("the response cache in Redis", () => {
  it("serves another instance's answer written from the JSON it was read as, then from the copy it holds: the stored data, then the hit's own cost", async () => {
    const redis = await startRedis();
    const scope = `test-${randomUUID()}`;
    const instance = async () =>
      gatewayOn(simulator, {
        operationsPerMinute: 0,
        responseCache: {
          store: await createRedisResponseStore({ redisUrl: redis.url, scope, report: () => {} }),
          ttlMs: 60_000,
        },
      });
    const one = await instance();
    const two = await instance();
    const query = `{ website { name conversations(first: 3) { nodes { sessionId meta { nickname } } } } }`;
    const text = async (gateway: Gateway) => {
      const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query }),
      });
      return response.text();
    };
    type Answer = GraphQLResponse & {
      extensions: { cost: { crispRequests: number; cacheHits: number } };
    };
    const stored = JSON.parse(await text(one)) as Answer;
    expect(stored.extensions.cost.crispRequests).toBeGreaterThan(0);
    // Read from Redis by the other instance, then held by it.
    for (let hit = 0; hit < 2; hit += 1) {
      const served = await text(two);
      expect(served.startsWith(`{"data":${JSON.stringify(stored.data)},"extensions":`)).toBe(true);
      expect((JSON.parse(served) as Answer).extensions.cost).toMatchObject({
        crispRequests: 0,
        cacheHits: 0,
      });
    }
  });

  it("an entry one instance stored is served by another, and an invalidation by either drops it for both", async () => {
    const redis = await startRedis();
    const [one, two] = await pair(redis.url);
    await one.set("answer", { data: { ok: true } }, [CONVERSATION], 60_000);
    expect(await two.get("answer")).toEqual({ data: { ok: true } });
    await two.invalidate([CONVERSATION]);
    expect(await one.get("answer")).toBeUndefined();
    expect(await two.get("answer")).toBeUndefined();
  });

  it("an index set lives as long as the newest entry in it, and a type's invalidation drops every entry of that type", async () => {
    const redis = await startRedis();
    const [one, two] = await pair(redis.url);
    const other = { typename: "Conversation", id: "Q29udmVyc2F0aW9uOmI" };
    await one.set("short", { data: { n: 1 } }, [CONVERSATION], 5_000);
    await one.set("long", { data: { n: 2 } }, [CONVERSATION, other], 60_000);
    await one.set("shorter", { data: { n: 3 } }, [CONVERSATION], 1_000);
    const client = new Redis(redis.url);
    onTestFinished(() => void client.disconnect());
    const indexSets = await client.keys("gateway:responses:*:index:*");
    expect(indexSets.sort()).toEqual(
      ["Conversation", `Conversation:${CONVERSATION.id}`, `Conversation:${other.id}`].map((key) =>
        expect.stringMatching(new RegExp(`:index:${key}$`)),
      ),
    );
    for (const key of indexSets) {
      const ttl = await client.pttl(key);
      // Never without an expiry, never shorter than the longest entry (60 s) added to it.
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    await two.invalidate([{ typename: "Conversation" }]);
    for (const id of ["short", "long", "shorter"]) {
      expect(await one.get(id)).toBeUndefined();
    }
  });

  it("serves the copy an instance holds only while no instance has invalidated anything since, asking Redis for the generation alone", async () => {
    const redis = await startRedis();
    const [one, two] = await pair(redis.url);
    await one.set("answer", { data: { n: 1 } }, [CONVERSATION], 60_000);
    expect(await two.get("answer")).toEqual({ data: { n: 1 } });
    const client = new Redis(redis.url);
    onTestFinished(() => void client.disconnect());
    await client.config("RESETSTAT");
    // Held since the read above: three hits are three GETs of the generation, no entry read.
    for (let hit = 0; hit < 3; hit += 1) {
      expect(await two.get("answer")).toEqual({ data: { n: 1 } });
    }
    const stats = await client.info("commandstats");
    expect(stats).toMatch(/cmdstat_get:calls=3,/);
    expect(stats).not.toMatch(/cmdstat_eval/);
    // Another instance's invalidation (of anything) ends the copies every instance holds.
    await one.invalidate([{ typename: "Person", id: "UGVyc29uOng" }]);
    await one.invalidate([CONVERSATION]);
    expect(await two.get("answer")).toBeUndefined();
    await one.set("answer", { data: { n: 2 } }, [CONVERSATION], 60_000);
    expect(await two.get("answer")).toEqual({ data: { n: 2 } });
    expect(await one.get("answer")).toEqual({ data: { n: 2 } });
  });

  it("forgets the copies it holds when its connection to Redis drops: a Redis back empty serves none of them", async () => {
    const redis = await startRedis();
    const [one, two, gone, back] = await pair(redis.url);
    await two.set("answer", { data: { ok: true } }, [CONVERSATION], 60_000);
    expect(await one.get("answer")).toEqual({ data: { ok: true } });
    await redis.kill();
    await gone;
    await redis.restart();
    await back;
    expect(await one.get("answer")).toBeUndefined();
  });

  it("keeps serving from memory, with no error, while Redis is gone; invalidations still apply", async () => {
    const redis = await startRedis();
    const [one, , gone] = await pair(redis.url);
    await redis.kill();
    await gone;
    await one.set("answer", { data: { ok: 1 } }, [CONVERSATION], 60_000);
    expect(await one.get("answer")).toEqual({ data: { ok: 1 } });
    await one.invalidate([CONVERSATION]);
    expect(await one.get("answer")).toBeUndefined();
  });
});
