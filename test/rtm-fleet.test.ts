/**
 * One RTM connection per fleet (issue 14.3): three gateway processes on the real Redis, started
 * as a user would (`node --import tsx src/main.ts`, CRISP_EVENTS=rtm), against the simulator.
 * Exactly one holds the socket (the Redis lease); the others get its events through the shared
 * event log. SIGKILL the holder: another takes the connection over within the lease's TTL, and
 * every event sent while a holder was connected reaches the survivors' subscribers exactly once
 * and is recorded exactly once, across the switch.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, expect, it, onTestFinished } from "vitest";
import { createRedisLease, type GapNotice } from "../src/events/rtm-lease.js";
import { startSimulator } from "../src/simulator/index.js";
import { subscribe, wsClient } from "./helpers/live.js";
import { type GatewayProcess, printedUrl, startGateway } from "./helpers/process.js";
import { crispWrite } from "./helpers/simulator-write.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const W = simulator.defaultWebsiteId;
const plugin = simulator.tokens.find((token) => token.tier === "plugin");
// A token of its own: its Redis keys (`crisp-gateway:{identifier:plugin}:…`) are this test's.
const token = {
  identifier: randomUUID(),
  key: `fleet-${randomUUID()}`,
  tier: "plugin" as const,
  websiteIds: [...(plugin?.websiteIds ?? [])],
};
simulator.tokens.push(token);
const redis = new Redis(REDIS_URL);
afterAll(() => redis.quit());
const scope = `crisp-gateway:{${token.identifier}:plugin}`;

const CONNECTED = /Crisp RTM connected and authenticated/;

function start(): GatewayProcess {
  return startGateway({
    HOST: "127.0.0.1",
    PORT: "0",
    CRISP_IDENTIFIER: token.identifier,
    CRISP_KEY: token.key,
    CRISP_TIER: "plugin",
    CRISP_API_URL: simulator.url,
    CRISP_WEBSITE_ID: W,
    CRISP_EVENTS: "rtm",
    CRISP_RTM_LEASE_MS: "1500",
    REDIS_URL,
    LOG_LEVEL: "info",
  });
}

async function metric(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

const session = simulator.store.listConversations(W, {})[2]?.session_id ?? "";
const send = async (content: string) => {
  const answer = await crispWrite(
    simulator,
    "POST",
    `/website/${W}/conversation/${session}/message`,
    {
      body: { type: "text", from: "user", origin: "chat", content },
    },
  );
  expect(answer.status).toBe(202);
};

it("three instances, one RTM connection; the holder killed, another takes over, no event lost or duplicated", async () => {
  const processes = [start(), start(), start()];
  const urls = await Promise.all(processes.map(printedUrl));
  const origins = urls.map((url) => new URL(url).origin);
  const holderIndex = await Promise.any(
    processes.map((child, index) => child.waitFor(CONNECTED).then(() => index)),
  );
  const holders = await Promise.all(origins.map((origin) => metric(origin, "gateway_rtm_holder")));
  expect(holders.reduce((a, b) => a + b, 0)).toBe(1);
  expect(holders[holderIndex]).toBe(1);
  expect(simulator.rtm.authenticated).toBe(1);

  // Subscribers on the two others, from the start of the shared log: nothing can slip by.
  const origin = await redis.get(`${scope}:events:origin`);
  const survivors = [0, 1, 2].filter((index) => index !== holderIndex);
  const subscriptions = survivors.map((index) =>
    subscribe<{ messageAdded: { text: string } }>(
      wsClient(urls[index]?.replace(/^http/, "ws") ?? ""),
      `subscription($w: ID!, $after: ID) { messageAdded(websiteId: $w, after: $after) { text } }`,
      { w: W, after: origin },
    ),
  );
  const before = ["before 1", "before 2", "before 3"];
  for (const text of before) {
    await send(text);
  }
  for (const subscription of subscriptions) {
    const results = await subscription.take(before.length);
    expect(results.map((result) => result.data?.messageAdded.text)).toEqual(before);
  }

  processes[holderIndex]?.child.kill("SIGKILL");
  await processes[holderIndex]?.exited();
  const next = await Promise.any(
    survivors.map(async (index) => {
      await processes[index]?.waitFor(CONNECTED);
      return index;
    }),
  );
  expect(survivors).toContain(next);
  expect(simulator.rtm.authenticated).toBe(1);

  const after = ["after 1", "after 2", "after 3"];
  for (const text of after) {
    await send(text);
  }
  for (const subscription of subscriptions) {
    const results = await subscription.take(after.length);
    expect(results.map((result) => result.data?.messageAdded.text)).toEqual(after);
  }
  // Recorded once each in the shared log, whichever instance's socket brought it.
  const entries = (await redis.xrange(`${scope}:events`, "-", "+")) as [string, string[]][];
  const texts = entries
    .map(
      ([, fields]) => JSON.parse(fields[1] ?? "{}") as { name: string; data: { content?: string } },
    )
    .filter((event) => event.name === "message:send")
    .map((event) => event.data.content);
  expect(texts).toEqual([...before, ...after]);
  const remaining = survivors.map((index) => origins[index] ?? "");
  const holdersAfter = await Promise.all(remaining.map((o) => metric(o, "gateway_rtm_holder")));
  expect(holdersAfter.reduce((a, b) => a + b, 0)).toBe(1);
  // The new holder caught up the switch's gap: recorded, on /metrics.
  expect(await metric(origins[next] ?? "", "gateway_rtm_gaps_total")).toBe(1);
  for (const subscription of subscriptions) {
    expect(subscription.pending()).toBe(0);
  }
}, 60_000);

it("the lease: one holder; released on stop, the next takes it with the last holder's heartbeat; gap notices reach the others", async () => {
  const leaseScope = `test-${randomUUID()}`;
  const open = async () => {
    const lease = await createRedisLease({ redisUrl: REDIS_URL, scope: leaseScope, ttlMs: 1_000 });
    const changes: { held: boolean; previousSeenAt: number | null }[] = [];
    const gaps: GapNotice[] = [];
    let wake: () => void = () => undefined;
    lease.start({
      change: (held, previousSeenAt) => {
        changes.push({ held, previousSeenAt });
        wake();
      },
      gap: (notice) => {
        gaps.push(notice);
        wake();
      },
    });
    const until = async (done: () => boolean) => {
      while (!done()) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    };
    return { lease, changes, gaps, until };
  };
  const first = await open();
  await first.until(() => first.changes.length === 1);
  expect(first.changes).toEqual([{ held: true, previousSeenAt: null }]);
  const second = await open();
  onTestFinished(() => second.lease.stop());
  const notice = {
    id: randomUUID(),
    fromMs: Date.now() - 5_000,
    toMs: Date.now(),
    websiteIds: [W],
  };
  await first.lease.announceGap(notice);
  await second.until(() => second.gaps.length === 1);
  expect(second.gaps).toEqual([notice]);
  const stoppedAt = Date.now();
  await first.lease.stop();
  await second.until(() => second.changes.length === 1);
  expect(second.changes[0]?.held).toBe(true);
  expect(second.changes[0]?.previousSeenAt).toBeLessThanOrEqual(stoppedAt);
  expect(second.changes[0]?.previousSeenAt).toBeGreaterThan(stoppedAt - 60_000);
});
