import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { redisGuardStore } from "../src/crisp/guard-store.js";
import { UpstreamGuard } from "../src/crisp/upstream-guard.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn, queryGateway } from "./helpers/gateway.js";

/** The real Redis of the machine; fails, never skips, without it (.ci/run starts one). */
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
afterAll(() => redis.quit());

/** Two instances' guards over one Redis, under a scope of their own. */
function twoInstances(options: ConstructorParameters<typeof UpstreamGuard>[0] = {}) {
  const scope = `test-${randomUUID()}`;
  return [
    new UpstreamGuard({ ...options, store: redisGuardStore(redis, scope) }),
    new UpstreamGuard({ ...options, store: redisGuardStore(redis, scope) }),
  ] as const;
}

describe("quota and backoff shared through Redis", () => {
  it("counts one daily quota for all instances", async () => {
    const [a, b] = twoInstances({ dailyQuota: 3 });
    await (await a.admit()).settle(200);
    await (await b.admit()).settle(200);
    await (await a.admit()).settle(200);
    expect(await a.quotaUsed()).toBe(3);
    expect(await b.quotaUsed()).toBe(3);
    await expect(b.admit()).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
  });

  it("backs every instance off after one is throttled, and lets a single probe through", async () => {
    let now = Date.now();
    const [a, b] = twoInstances({ backoffBaseMs: 1_000, now: () => now, random: () => 0 });
    await (await a.admit()).settle(429);
    await expect(b.admit()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    now += 1_000;
    const probe = await b.admit();
    await expect(a.admit()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await probe.settle(200);
    await (await a.admit()).settle(200);
  });

  it("shares a 423 hold of reads with every instance", async () => {
    const [a, b] = twoInstances();
    await (await a.admit()).settle(423, "quota_limit_exceeded");
    await expect(b.admit()).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
  });

  it("shares a 423 hold of one write route, and its single probe, while reads go on", async () => {
    let now = Date.now();
    const [a, b] = twoInstances({ now: () => now, random: () => 0 });
    const create = { method: "POST", path: `/website/${randomUUID()}/conversation` };
    await (await a.admit(create)).settle(423, "quota_limit_exceeded");
    await expect(b.admit(create)).rejects.toMatchObject({
      code: "QUOTA_EXCEEDED",
      extensions: { retryAfter: 60 },
    });
    await (await b.admit()).settle(200);
    now += 60_000;
    const probe = await b.admit(create);
    await expect(a.admit(create)).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
    await probe.settle(201);
    await (await a.admit(create)).settle(201);
  });

  it("two gateways on one Redis report and enforce the same quota", async () => {
    const simulator = await startSimulator({ seed: 1 });
    const scope = `test-${randomUUID()}`;
    onTestFinished(() => simulator.close());
    const start = () =>
      gatewayOn(simulator, {
        dailyQuota: 2,
        cache: false,
        guard: { store: redisGuardStore(redis, scope) },
      });
    const a = start();
    const b = start();
    await queryGateway(a, "{ website { name } }");
    await queryGateway(b, "{ website { name } }");
    simulator.clearRequests();
    const refused = await queryGateway(a, "{ website { name } }");
    expect(refused.errors?.[0]?.extensions?.code).toBe("QUOTA_EXCEEDED");
    expect(simulator.requests).toEqual([]);
    const status = await queryGateway<{ gateway: { quotaUsed: number } }>(
      b,
      "{ gateway { quotaUsed } }",
    );
    expect(status.data?.gateway.quotaUsed).toBe(2);
  });
});
