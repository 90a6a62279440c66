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

describe("Crisp's 423 quota_limit_exceeded", () => {
  const QUOTA = "quota_limit_exceeded";
  const READ = { method: "GET", path: "/website/8c842203-7ed8-4e29-a608-7cf78a7d2fcc" };
  const CREATE = {
    method: "POST",
    path: "/website/8c842203-7ed8-4e29-a608-7cf78a7d2fcc/conversation",
  };
  const REPLY = {
    method: "POST",
    path: "/website/8c842203-7ed8-4e29-a608-7cf78a7d2fcc/conversation/session_0b5b4ff1-cfbc-4c57-9b6f-9a3e7b2fd8a1/message",
  };

  it("holds back only the scope that got it, then lets one probe through, and reopens on success", async () => {
    let now = Date.UTC(2026, 10, 21, 12);
    const guard = new UpstreamGuard({ now: () => now, random: () => 0 });
    await (await guard.admit(CREATE)).settle(423, QUOTA);
    await expect(guard.admit(CREATE)).rejects.toMatchObject({
      code: "QUOTA_EXCEEDED",
      extensions: { retryAfter: 60, crispReason: QUOTA },
    });
    // Reads and other writes go on.
    await (await guard.admit(READ)).settle(200);
    await (await guard.admit(REPLY)).settle(200);
    expect(await guard.rateLimitedUntil()).toBeNull();
    now += 60_000;
    const probe = await guard.admit(CREATE);
    await expect(guard.admit(CREATE)).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
    await probe.settle(200);
    await (await guard.admit(CREATE)).settle(200);
  });

  it("doubles the hold with each 423 in a row on a write route, up to its maximum, and never marks the day spent", async () => {
    let now = Date.UTC(2026, 10, 21, 1);
    const guard = new UpstreamGuard({ now: () => now, random: () => 0, lockMaxMs: 240_000 });
    const holds: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await (await guard.admit(CREATE)).settle(423, QUOTA);
      const refusal = await guard.admit(CREATE).catch((error: unknown) => error);
      const hold = Number(
        (refusal as { extensions: { retryAfter: number } }).extensions.retryAfter,
      );
      holds.push(hold);
      now += hold * 1_000;
    }
    expect(holds).toEqual([60, 120, 240, 240, 240]);
    await (await guard.admit(READ)).settle(200);
  });

  it("marks the day spent after three 423s in a row on reads, then probes every 15 minutes until one succeeds", async () => {
    let now = Date.UTC(2026, 10, 21, 8);
    const guard = new UpstreamGuard({ now: () => now, random: () => 0 });
    await (await guard.admit(READ)).settle(423, QUOTA);
    expect((await guard.rateLimitedUntil())?.getTime()).toBe(now + 60_000);
    now += 60_000;
    await (await guard.admit(READ)).settle(423, QUOTA);
    now += 120_000;
    await (await guard.admit(READ)).settle(423, QUOTA);
    // Spent: every scope is refused until the next probe, 15 minutes away.
    for (const route of [READ, CREATE, REPLY]) {
      await expect(guard.admit(route)).rejects.toMatchObject({
        code: "QUOTA_EXCEEDED",
        extensions: { retryAfter: 900 },
      });
    }
    now += 900_000;
    const probe = await guard.admit(REPLY);
    await expect(guard.admit(READ)).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
    await probe.settle(423, QUOTA);
    await expect(guard.admit(READ)).rejects.toMatchObject({ extensions: { retryAfter: 900 } });
    now += 900_000;
    await (await guard.admit(READ)).settle(200);
    expect(await guard.rateLimitedUntil()).toBeNull();
    await (await guard.admit(CREATE)).settle(200);
    await (await guard.admit(READ)).settle(200);
  });

  it("a success between 423s on reads starts the count again", async () => {
    let now = Date.UTC(2026, 10, 21, 8);
    const guard = new UpstreamGuard({ now: () => now, random: () => 0 });
    for (let i = 0; i < 4; i += 1) {
      await (await guard.admit(READ)).settle(423, QUOTA);
      now += 60_000;
      await (await guard.admit(READ)).settle(200);
    }
    await (await guard.admit(CREATE)).settle(200);
  });

  it("on a real gateway, a 423 on conversation creation stops neither reads nor replies, and the route is tried again after its hold", async () => {
    const t = await guarded({ guard: { lockBaseMs: 60_000 } });
    const w = t.simulator.defaultWebsiteId;
    t.simulator.configure({
      errors: { status: 423, reason: QUOTA, rate: 1, match: /\/conversation$/ },
    });
    const create = `mutation($w: ID!) { createConversation(websiteId: $w) { sessionId } }`;
    t.takeRequests();
    const refused = await queryGateway(t.gateway, create, { w });
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: "QUOTA_EXCEEDED",
      crispReason: QUOTA,
    });
    expect(Number(refused.errors?.[0]?.extensions?.retryAfter)).toBeGreaterThanOrEqual(60);
    const held = await queryGateway(t.gateway, create, { w });
    expect(held.errors?.[0]?.extensions?.code).toBe("QUOTA_EXCEEDED");
    expect(t.takeRequests()).toEqual([`POST /website/${w}/conversation`]);
    t.simulator.configure({ errors: null });
    const read = await t.query<{ website: { name: string } }>(NAME);
    expect(read.errors).toBeUndefined();
    const conversations = await t.query<{
      website: { conversations: { nodes: { sessionId: string }[] } };
    }>("{ website { conversations(first: 1) { nodes { sessionId } } } }");
    const sessionId = conversations.data?.website.conversations.nodes[0]?.sessionId;
    const reply = await queryGateway(
      t.gateway,
      `mutation($i: SendMessageInput!) { sendMessage(input: $i) { fingerprint } }`,
      { i: { websiteId: w, sessionId, type: "TEXT", from: "OPERATOR", content: "Hello" } },
    );
    expect(reply.errors).toBeUndefined();
    const status = await t.query<{ gateway: { rateLimitedUntil: string | null } }>(
      "{ gateway { rateLimitedUntil } }",
    );
    expect(status.data?.gateway.rateLimitedUntil).toBeNull();
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
