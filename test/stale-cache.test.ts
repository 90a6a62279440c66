import { afterAll, describe, expect, it } from "vitest";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn, queryGateway, requestsAt } from "./helpers/gateway.js";

const simulator = await startSimulator({ seed: 1 });
const W = simulator.defaultWebsiteId;
afterAll(() => simulator.close());

/** A gateway whose cache runs on a clock the test moves (no sleeping). */
function gatewayWithClock(guard = {}) {
  const clock = { now: 1_000_000 };
  const gateway = gatewayOn(simulator, {
    cache: {
      now: () => clock.now,
      ttlMs: { website: 60_000, operators: 60_000 },
      maxStaleMs: 600_000,
    },
    guard,
  });
  return { gateway, clock };
}

function takeRequests(): string[] {
  const served = simulator.requests.map((request) => `${request.method} ${request.path}`);
  simulator.clearRequests();
  return served;
}

const QUERY = `{ website { name operators { userId } } }`;

/** Resolves once the two background refreshes (the website, its operators) are answered. */
function refreshesAnswered(): Promise<void> {
  return requestsAt(simulator, "answered", 2);
}

describe("serving stale data", () => {
  it("past the TTL, answers at once from the cache, says so, and refreshes in the background", async () => {
    const { gateway, clock } = gatewayWithClock();
    const first = await queryGateway(gateway, QUERY);
    // The website read serves `name` too; the operators list is one more.
    expect(first.extensions).toEqual({ cost: { estimated: 3, crispRequests: 2, cacheHits: 1 } });
    takeRequests();
    clock.now += 61_000;
    const refreshed = refreshesAnswered();
    const stale = await queryGateway(gateway, QUERY);
    expect(stale.data).toEqual(first.data);
    // Served from the cache at once; the refreshes it started are its own Crisp requests.
    expect(stale.extensions).toEqual({
      stale: true,
      cost: { estimated: 3, crispRequests: 2, cacheHits: 1 },
    });
    await refreshed;
    expect(takeRequests().sort()).toEqual([
      `GET /website/${W}`,
      `GET /website/${W}/operators/list`,
    ]);
    const fresh = await queryGateway(gateway, QUERY);
    expect(fresh.extensions).toEqual({ cost: { estimated: 3, crispRequests: 0, cacheHits: 3 } });
    expect(takeRequests()).toEqual([]);
  });

  it("keeps serving what it had while Crisp throttles; only what it never had fails, with retryAfter", async () => {
    const { gateway, clock } = gatewayWithClock({ backoffBaseMs: 30_000 });
    await queryGateway(gateway, QUERY);
    takeRequests();
    simulator.configure({ errors: { status: 429, rate: 1 } });
    try {
      clock.now += 61_000;
      const refreshed = refreshesAnswered();
      const stale = await queryGateway(gateway, QUERY);
      expect(stale.errors).toBeUndefined();
      expect(stale.extensions).toEqual({ stale: true, cost: expect.any(Object) });
      await refreshed;
      const again = await queryGateway(gateway, QUERY);
      expect(again.errors).toBeUndefined();
      const never = await queryGateway(gateway, `{ website { visitorCount { count } } }`);
      expect(never.errors?.[0]?.extensions).toMatchObject({
        code: "RATE_LIMITED",
        retryAfter: expect.any(Number),
      });
      // The two refreshes went out together; after the first 429 the gateway held back.
      expect(takeRequests().length).toBeLessThanOrEqual(2);
    } finally {
      simulator.configure({ errors: null });
    }
  });

  it("keeps serving what it had while Crisp fails", async () => {
    const { gateway, clock } = gatewayWithClock({ breakerThreshold: 1_000 });
    await queryGateway(gateway, QUERY);
    simulator.configure({ errors: { status: 503, rate: 1 } });
    try {
      clock.now += 61_000;
      const stale = await queryGateway(gateway, QUERY);
      expect(stale.errors).toBeUndefined();
      expect(stale.extensions).toEqual({ stale: true, cost: expect.any(Object) });
    } finally {
      simulator.configure({ errors: null });
    }
  });

  it("stops serving an entry past its bounded staleness", async () => {
    const { gateway, clock } = gatewayWithClock();
    await queryGateway(gateway, QUERY);
    simulator.configure({ errors: { status: 503, rate: 1 } });
    try {
      clock.now += 61_000 + 600_000 + 1;
      const expired = await queryGateway(gateway, QUERY);
      expect(expired.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    } finally {
      simulator.configure({ errors: null });
    }
  });
});
