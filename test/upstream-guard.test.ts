import { describe, expect, it } from "vitest";
import { ABANDONED, UpstreamGuard } from "../src/crisp/upstream-guard.js";
import { queryGateway, startTestGateway } from "./helpers/gateway.js";

/** A gateway on its own simulator with the real guard (the helper's default is lenient). */
async function guarded(guard: Parameters<typeof startTestGateway>[1] = {}) {
  const t = await startTestGateway({}, { guard: {}, ...guard });
  return t;
}

const NAME = "{ website { name } }";

describe("Crisp throttling", () => {
  it("backs off for everyone after a 429: one Crisp request, then none until the backoff ends", async () => {
    const t = await guarded({ guard: { backoffBaseMs: 60_000 } });
    t.simulator.configure({ errors: { status: 429, rate: 1 } });
    t.takeRequests();
    const first = await t.query(NAME);
    expect(first.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED" });
    const again = await Promise.all([
      t.query(NAME),
      t.query(NAME),
      t.query(`{ website { conversations { nodes { sessionId } } } }`),
    ]);
    for (const answer of again) {
      expect(answer.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      expect(answer.errors?.[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(30);
    }
    // The 429 was not retried, and nothing was sent while backing off.
    expect(t.takeRequests()).toHaveLength(1);
    const status = await t.query<{ gateway: { rateLimitedUntil: string } }>(
      "{ gateway { rateLimitedUntil } }",
    );
    expect(Date.parse(status.data?.gateway.rateLimitedUntil ?? "")).toBeGreaterThan(
      Date.now() + 25_000,
    );
  });

  it("tells the first throttled caller the backoff the gateway keeps, not a shorter guess", async () => {
    const t = await guarded({ guard: { backoffBaseMs: 30_000 } });
    t.simulator.configure({ errors: { status: 429, rate: 1 } });
    try {
      const first = await t.query(NAME);
      const second = await t.query(NAME);
      const firstWait = Number(first.errors?.[0]?.extensions?.retryAfter);
      const secondWait = Number(second.errors?.[0]?.extensions?.retryAfter);
      expect(firstWait).toBeGreaterThanOrEqual(15);
      expect(firstWait).toBeGreaterThanOrEqual(secondWait);
    } finally {
      t.simulator.configure({ errors: null });
    }
  });

  it("sends a single probe when the backoff ends, and reopens when it succeeds", async () => {
    let now = Date.UTC(2026, 10, 21, 12);
    const guard = new UpstreamGuard({ backoffBaseMs: 1_000, now: () => now, random: () => 0.5 });
    await (await guard.admit()).settle(429);
    await expect(guard.admit()).rejects.toThrow(/rate-limiting/);
    now += 1_000;
    const probe = await guard.admit();
    await expect(guard.admit()).rejects.toThrow(/rate-limiting/);
    await probe.settle(200);
    await (await guard.admit()).settle(200);
    expect(await guard.rateLimitedUntil()).toBeNull();
  });

  it("follows Retry-After when Crisp sends one", async () => {
    const now = 1_000_000;
    const guard = new UpstreamGuard({ now: () => now });
    await (await guard.admit()).settle(429, undefined, 7_000);
    expect((await guard.rateLimitedUntil())?.getTime()).toBe(now + 7_000);
  });

  it("doubles the backoff while Crisp keeps throttling, up to its maximum", async () => {
    let now = 0;
    const guard = new UpstreamGuard({
      backoffBaseMs: 1_000,
      backoffMaxMs: 4_000,
      now: () => now,
      random: () => 0.999,
    });
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await (await guard.admit()).settle(429);
      const until = (await guard.rateLimitedUntil())?.getTime() ?? 0;
      waits.push(Math.round((until - now) / 100) * 100);
      now = until + 1;
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 4_000]);
  });
});

describe("the daily quota", () => {
  it("refuses uncached reads with QUOTA_EXCEEDED without calling Crisp once the quota is used", async () => {
    const t = await guarded({ dailyQuota: 3 });
    t.takeRequests();
    await t.query(`{ a: website { name } }`);
    await t.query(`{ website { operators { userId } } }`);
    expect(t.takeRequests()).toHaveLength(3);
    const refused = await t.query(`{ website { conversations { nodes { sessionId } } } }`);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "QUOTA_EXCEEDED" });
    expect(t.takeRequests()).toEqual([]);
    const status = await t.query<{ gateway: { quotaUsed: number; quotaLimit: number } }>(
      "{ gateway { quotaUsed quotaLimit } }",
    );
    expect(status.data?.gateway).toEqual({ quotaUsed: 3, quotaLimit: 3 });
  });

  it("treats Crisp's 423 quota_limit_exceeded as a spent quota until 00:00 UTC", async () => {
    const t = await guarded();
    t.simulator.configure({ dailyQuota: 1 });
    await t.query(NAME);
    t.takeRequests();
    const spent = await t.query(`{ website { operators { userId } } }`);
    expect(spent.errors?.[0]?.extensions).toMatchObject({
      code: "QUOTA_EXCEEDED",
      crispReason: "quota_limit_exceeded",
    });
    t.simulator.resetQuota();
    const after = await t.query(`{ website { visitorCount { count } } }`);
    expect(after.errors?.[0]?.extensions?.code).toBe("QUOTA_EXCEEDED");
    expect(t.takeRequests()).toHaveLength(1);
  });

  it("starts afresh at 00:00 UTC", async () => {
    let now = Date.UTC(2026, 10, 21, 23, 59);
    const guard = new UpstreamGuard({ dailyQuota: 1, now: () => now });
    await (await guard.admit()).settle(200);
    await expect(guard.admit()).rejects.toThrow(/quota/);
    now = Date.UTC(2026, 10, 22, 0, 0, 1);
    await guard.admit();
    expect(await guard.quotaUsed()).toBe(1);
  });
});

describe("retries", () => {
  it("retries a failing GET at most twice, and never a POST", async () => {
    const t = await guarded();
    t.simulator.configure({ errors: { status: 503, rate: 1 } });
    t.takeRequests();
    const read = await t.query(NAME);
    expect(read.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(t.takeRequests()).toEqual(Array(3).fill(`GET /website/${t.simulator.defaultWebsiteId}`));
    const write = await queryGateway(
      t.gateway,
      `mutation($w: ID!) { createConversation(websiteId: $w) { sessionId } }`,
      { w: t.simulator.defaultWebsiteId },
    );
    expect(write.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(t.takeRequests()).toEqual([
      `POST /website/${t.simulator.defaultWebsiteId}/conversation`,
    ]);
    t.simulator.configure({ errors: null });
  });

  it("recovers from one failure by retrying", async () => {
    const t = await guarded();
    t.simulator.configure({ errors: { status: 502, rate: 0.5 } });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.query(`{ website(id: "${t.simulator.defaultWebsiteId}") { name w${i}: websiteId } }`),
      ),
    );
    t.simulator.configure({ errors: null });
    // With 3 attempts at a 50% failure rate, nearly every read succeeds.
    expect(answers.filter((answer) => answer.errors === undefined).length).toBeGreaterThanOrEqual(
      7,
    );
  });
});

describe("the circuit breaker", () => {
  it("opens after sustained failures, fails fast without calling Crisp, and closes after a good probe", async () => {
    let now = 0;
    const guard = new UpstreamGuard({ breakerThreshold: 3, breakerOpenMs: 10_000, now: () => now });
    for (let i = 0; i < 3; i += 1) {
      await (await guard.admit()).settle(503);
    }
    await expect(guard.admit()).rejects.toThrow(/Crisp is failing/);
    now += 10_000;
    const probe = await guard.admit();
    await expect(guard.admit()).rejects.toThrow(/probe/);
    await probe.settle(200);
    await (await guard.admit()).settle(200);
  });

  it("does not count requests their callers abandoned as failures", async () => {
    const guard = new UpstreamGuard({ breakerThreshold: 2 });
    for (let i = 0; i < 5; i += 1) {
      await (await guard.admit()).settle(ABANDONED);
    }
    await (await guard.admit()).settle(200);
  });

  it("stays open when the probe fails too", async () => {
    let now = 0;
    const guard = new UpstreamGuard({ breakerThreshold: 2, breakerOpenMs: 1_000, now: () => now });
    await (await guard.admit()).settle(0);
    await (await guard.admit()).settle(500);
    now += 1_000;
    await (await guard.admit()).settle(502);
    await expect(guard.admit()).rejects.toThrow(/Crisp is failing/);
  });

  it("on a real gateway, stops calling a failing Crisp", async () => {
    const t = await guarded({ guard: { breakerThreshold: 3, breakerOpenMs: 60_000 } });
    t.simulator.configure({ errors: { status: 500, rate: 1 } });
    t.takeRequests();
    await t.query(NAME);
    await t.query(NAME);
    const fast = await t.query(NAME);
    t.simulator.configure({ errors: null });
    expect(fast.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(t.takeRequests()).toHaveLength(3);
  });
});

describe("the operation deadline", () => {
  it("answers GATEWAY_TIMEOUT within the deadline when Crisp is slow", async () => {
    const t = await guarded({ operationDeadlineMs: 300 });
    t.simulator.configure({ latencyMs: 5_000 });
    try {
      const started = Date.now();
      const answer = await t.query(NAME);
      expect(answer.errors?.[0]?.extensions?.code).toBe("GATEWAY_TIMEOUT");
      expect(answer.errors?.[0]?.message).toMatch(/deadline/);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      t.simulator.configure({ latencyMs: 0 });
    }
  });
});
