/**
 * A fleet costs Crisp what one instance costs: with Redis, the shared cache has a second level
 * every instance reads, and concurrent misses for one key across instances send one Crisp
 * request. Real Redis (REDIS_URL), each test under a scope of its own; a redis-server of the
 * test's own where it is killed.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it, onTestFinished } from "vitest";
import { createRedisSecondLevel } from "../src/loaders/second-level.js";
import type { Gateway } from "../src/server.js";
import { type Simulator, startSimulator } from "../src/simulator/index.js";
import { gatewayOn, queryGateway, sorted } from "./helpers/gateway.js";
import { startRedis } from "./helpers/redis.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const DASHBOARD = `{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

function takeRequests(simulator: Simulator): string[] {
  const served = simulator.requests.map((request) => `${request.method} ${request.url}`);
  simulator.clearRequests();
  return served;
}

/** `count` gateways on one simulator sharing one second level scope, stopped after the test. */
async function fleet(
  simulator: Simulator,
  count: number,
  redisUrl = REDIS_URL,
  scope = `test-${randomUUID()}`,
  report?: Parameters<typeof createRedisSecondLevel>[0]["report"],
): Promise<Gateway[]> {
  const gateways: Gateway[] = [];
  for (let index = 0; index < count; index += 1) {
    const gateway = gatewayOn(simulator, {
      operationsPerMinute: 0,
      secondLevel: await createRedisSecondLevel({
        redisUrl,
        scope,
        ...(report === undefined ? {} : { report }),
      }),
    });
    gateways.push(gateway);
  }
  return gateways;
}

// 200 concurrent operations across three gateways: CPU-bound, seconds on a busy 2-core machine.
describe("three instances on one Redis", { timeout: 20_000 }, () => {
  it("200 cold dashboards spread across them cost exactly the Crisp requests of one; a warm one costs none on any instance", async () => {
    const simulator = await startSimulator({ seed: 1, latencyMs: 20 });
    onTestFinished(() => simulator.close());
    const reference = gatewayOn(simulator, {
      cache: false,
    });
    const expected = await queryGateway(reference, DASHBOARD);
    const one = sorted(takeRequests(simulator));

    const scope = `test-${randomUUID()}`;
    const instances = await fleet(simulator, 3, REDIS_URL, scope);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        queryGateway(instances[index % 3] as Gateway, DASHBOARD),
      ),
    );
    expect(answers.every((answer) => answer.errors === undefined)).toBe(true);
    expect(new Set(answers.map((answer) => JSON.stringify(answer.data)))).toEqual(
      new Set([JSON.stringify(expected.data)]),
    );
    expect(sorted(takeRequests(simulator))).toEqual(one);

    for (const instance of instances) {
      await queryGateway(instance, DASHBOARD);
      expect(takeRequests(simulator)).toEqual([]);
    }
    // An instance that just started has nothing of its own: the second level has it all.
    const [late] = await fleet(simulator, 1, REDIS_URL, scope);
    const warm = await queryGateway(late as Gateway, DASHBOARD);
    expect(warm.data).toEqual(expected.data);
    expect(takeRequests(simulator)).toEqual([]);
  });

  it("falls back to caching per instance with no error once Redis is gone, saying so once", async () => {
    const redis = await startRedis();
    const simulator = await startSimulator({ seed: 1 });
    onTestFinished(() => simulator.close());
    const reports: string[] = [];
    // Two connections per instance (commands, and the listener for others' writes).
    let allLost = () => {};
    const lost = new Promise<void>((resolve) => {
      allLost = resolve;
    });
    const [a, b] = await fleet(simulator, 2, redis.url, `test-${randomUUID()}`, (event, name) => {
      reports.push(`${event} ${name}`);
      if (reports.filter((report) => report.startsWith("lost")).length === 4) {
        allLost();
      }
    });
    if (a === undefined || b === undefined) {
      throw new Error("no fleet");
    }
    await redis.kill();
    for (const gateway of [a, b]) {
      const cold = await queryGateway(gateway, DASHBOARD);
      expect(cold.errors).toBeUndefined();
      takeRequests(simulator);
      const warm = await queryGateway(gateway, DASHBOARD);
      expect(warm.errors).toBeUndefined();
      expect(takeRequests(simulator)).toEqual([]);
    }
    // Each connection said once that Redis was lost, however many reads missed it (ioredis
    // tells of a lost connection when it notices, which may be after the reads above).
    await lost;
    expect(reports.filter((report) => report.startsWith("lost")).sort()).toEqual([
      "lost shared cache",
      "lost shared cache",
      "lost shared cache listener",
      "lost shared cache listener",
    ]);
  });
});
