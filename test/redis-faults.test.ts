/**
 * The event path when Redis fails, with gateway processes started as `npm start` starts them
 * and a redis-server of the test's own (killed and restarted here): nothing acknowledged is
 * lost, nothing is relayed twice, nothing a sender does takes the process down.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";
import { subscribe, wsClient } from "./helpers/live.js";
import { type GatewayProcess, printedUrl, startGateway } from "./helpers/process.js";
import { startRedis } from "./helpers/redis.js";

/** A demo gateway process on `redisUrl` (none: the memory log), with what a test needs of it. */
async function gatewayProcess(redisUrl: string | undefined, env: Record<string, string> = {}) {
  const process: GatewayProcess = startGateway({
    PORT: "0",
    DEMO_ACTIVITY_MS: "0",
    LOG_LEVEL: "warn",
    ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
    CRISP_HOOK_SECRET: HOOK_SECRET,
    ...env,
  });
  const url = await printedUrl(process);
  const origin = new URL(url).origin;
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ website { websiteId } }" }),
  });
  const { data } = (await answer.json()) as { data: { website: { websiteId: string } } };
  const websiteId = data.website.websiteId;
  const wsUrl = url.replace(/^http/, "ws");
  const hookUrl = `${origin}/webhooks/crisp`;
  /** Resolves once `count` subscriptions are open (gateway_open_subscriptions on /metrics). */
  const subscriptions = async (count: number): Promise<void> => {
    for (;;) {
      const metrics = await (await fetch(`${origin}/metrics`)).text();
      if (new RegExp(`^gateway_open_subscriptions ${count}$`, "m").test(metrics)) {
        return;
      }
    }
  };
  let watching = 0;
  return {
    process,
    subscriptions,
    url,
    wsUrl,
    hookUrl,
    websiteId,
    alive: () => process.child.exitCode === null && process.child.signalCode === null,
    /** Posts a signed hook carrying `marker` (a `session:set_segments` event), as Crisp would. */
    mark: (marker: string) =>
      postPluginHook(
        hookUrl,
        hookBody(websiteId, "session:set_segments", { marker, segments: [] }),
      ),
    /** A subscriber of the marked events, once this gateway has it open. */
    async watch() {
      const subscriber = subscribe<{ crispEvents: { id: string; data: { marker: string } } }>(
        wsClient(wsUrl),
        EVENTS,
      );
      watching += 1;
      await subscriptions(watching);
      return subscriber;
    },
  };
}

const EVENTS = `subscription { crispEvents(names: ["session:set_segments"]) { id data } }`;

describe("Redis killed and restarted mid-traffic", () => {
  it("delivers every acknowledged hook once to the subscribers of both instances, and the processes live on", async () => {
    const redis = await startRedis({ persist: true });
    const a = await gatewayProcess(redis.url);
    const b = await gatewayProcess(redis.url);
    const subscribers = [await a.watch(), await b.watch()];
    const warm = await a.mark("warm");
    expect(warm.status, a.process.output()).toBe(200);
    for (const subscriber of subscribers) {
      await subscriber.take(1);
    }

    const acknowledged: string[] = [];
    const refused: string[] = [];
    /** Hooks each instance acknowledged since Redis came back. */
    const sinceRestart = new Map([
      [a, 0],
      [b, 0],
    ]);
    const post = async (index: number) => {
      const marker = `m${index}-${randomUUID()}`;
      const target = index % 2 === 0 ? a : b;
      const answer = await target.mark(marker).catch(() => ({ status: 0, body: {} }));
      (answer.status === 200 ? acknowledged : refused).push(marker);
      if (answer.status === 200 && index >= 20) {
        sinceRestart.set(target, (sinceRestart.get(target) ?? 0) + 1);
      }
      return answer.status;
    };
    for (let index = 0; index < 10; index += 1) {
      expect(await post(index), a.process.output() + b.process.output()).toBe(200);
    }
    await redis.kill();
    // Redis is gone: a hook is answered 503 (Crisp retries it), never 200 unrecorded.
    for (let index = 10; index < 20; index += 1) {
      expect(await post(index)).toBe(503);
    }
    await redis.restart();
    // Each instance reconnects on its own: hooks are acknowledged again once it has. Both must
    // have, before the last hook goes to one of them.
    let index = 20;
    while ((sinceRestart.get(a) ?? 0) < 5 || (sinceRestart.get(b) ?? 0) < 5) {
      await post(index);
      index += 1;
    }
    const last = await b.mark("last");
    expect(last.status).toBe(200);

    for (const subscriber of subscribers) {
      const received: string[] = [];
      for (;;) {
        const [result] = await subscriber.take(1);
        const marker = result?.data?.crispEvents.data.marker ?? "";
        if (marker === "last") {
          break;
        }
        received.push(marker);
      }
      // In log order, each acknowledged one once, none of the refused ones.
      expect([...received].sort()).toEqual([...acknowledged].sort());
    }
    expect(a.alive() && b.alive()).toBe(true);
    expect(refused.length).toBeGreaterThanOrEqual(10);
  }, 60_000);
});

describe("a hostile hook", () => {
  it.each([
    ["on Redis", true],
    ["in memory", false],
  ])(
    "nested 6,000 deep is refused 400 %s; the process lives and subscriptions still deliver",
    async (_name, withRedis) => {
      const redis = withRedis ? await startRedis() : undefined;
      const gateway = await gatewayProcess(redis?.url);
      const W = gateway.websiteId;
      const subscriber = await gateway.watch();
      const first = await gateway.mark("before");
      expect(first.status).toBe(200);
      await subscriber.take(1);
      const deep = `{"website_id":"${W}","event":"session:set_segments","data":{"segments":${"[".repeat(6_000)}${"]".repeat(6_000)}},"timestamp":1}`;
      const refused = await postPluginHook(gateway.hookUrl, undefined, { rawBody: deep });
      expect(refused.status).toBe(400);
      await gateway.process.waitFor(/crisp web hook refused/);
      const after = await gateway.mark("after");
      expect(after.status).toBe(200);
      const [delivered] = await subscriber.take(1);
      expect(delivered?.data?.crispEvents.data.marker).toBe("after");
      expect(gateway.alive()).toBe(true);
    },
    30_000,
  );
});

describe("an instance the event log left behind", () => {
  it("refreshes what it holds when events were trimmed before it read them", async () => {
    const redis = await startRedis();
    // The smallest log there is, so that a few hundred events outrun it.
    const a = await gatewayProcess(redis.url, { EVENT_LOG_MAX_EVENTS: "100" });
    const b = await gatewayProcess(redis.url, { EVENT_LOG_MAX_EVENTS: "100", LOG_LEVEL: "info" });
    const ask = async () => {
      const answer = await fetch(b.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ website { name } }" }),
      });
      const { extensions } = (await answer.json()) as {
        extensions: { cost: { crispRequests: number } };
      };
      return extensions.cost.crispRequests;
    };
    await ask();
    expect(await ask()).toBe(0);
    const subscriber = await b.watch();
    const warm = await a.mark("warm");
    expect(warm.status).toBe(200);
    await subscriber.take(1);

    // b cannot read while a records four times what the log keeps.
    b.process.child.kill("SIGSTOP");
    for (let batch = 0; batch < 20; batch += 1) {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, async (_, index) => {
          const answer = await a.mark(`${batch}-${index}`);
          return answer.status;
        }),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
    }
    b.process.child.kill("SIGCONT");
    await b.process.waitFor(/events were trimmed from the event log before this instance/);
    await b.process.waitFor(/a gap was caught up/);
    // What b held may have been changed by the events it never saw: Crisp is asked again.
    expect(await ask()).toBeGreaterThan(0);
    expect(a.alive() && b.alive()).toBe(true);
  }, 60_000);
});
