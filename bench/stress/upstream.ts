/** Stress scenarios behind the door: subscriptions, Redis going away, Crisp failing. */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { type Client, createClient } from "graphql-ws";
import { Redis } from "ioredis";
import { Pool } from "undici";
import WebSocket from "ws";
import { GUARD_REDIS_OPTIONS, redisGuardStore } from "../../src/crisp/guard-store.js";
import { redisOperationLimiter } from "../../src/plugins/use-client-rate-limit.js";
import { signHook } from "../../src/simulator/index.js";
import {
  capped,
  type Figure,
  n,
  percentile,
  seconds,
  settledHeapMb,
  startStressed,
  tally,
} from "./harness.js";

const HOOK_SECRET = "stress-hook-secret-0123456789abcdef";

/**
 * One socket asks for 10,000 subscriptions, and 12 more sockets of the same client for 100
 * each: the caps refuse what is past them, the heap stays small, and a hook reaches every
 * open subscription quickly.
 */
export async function subscriptions(): Promise<Figure> {
  const s = await startStressed({ hooks: { secret: HOOK_SECRET }, operationsPerMinute: 0 });
  const W = s.simulator.defaultWebsiteId;
  const query = `subscription { crispEvents(websiteId: "${W}") { name } }`;
  const clients: Client[] = [];
  const open = () => {
    const client = createClient({
      url: s.address.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  };
  let refused = 0;
  let delivered = 0;
  let expected = 0;
  let onDelivered: (() => void) | undefined;
  const subscribe = (client: Client) =>
    client.subscribe(
      { query },
      {
        next: (value) => {
          if (value.errors) {
            refused += 1;
          } else {
            delivered += 1;
            if (delivered >= expected) {
              onDelivered?.();
            }
          }
        },
        error: () => {
          refused += 1;
        },
        complete: () => undefined,
      },
    );
  const before = settledHeapMb();
  const started = performance.now();
  let fanOutMs = 0;
  let accepted = 0;
  const ok = await capped(60_000, async () => {
    const greedy = open();
    for (let i = 0; i < 10_000; i += 1) {
      subscribe(greedy);
    }
    for (let socket = 0; socket < 12; socket += 1) {
      const client = open();
      for (let i = 0; i < 100; i += 1) {
        subscribe(client);
      }
    }
    // Every refusal arrives as an error message; what is left is open.
    const asked = 10_000 + 12 * 100;
    while (refused + accepted < asked) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      accepted = Number(
        /gateway_open_subscriptions (\d+)/.exec(await metrics(s.address.origin))?.[1] ?? 0,
      );
    }
    expected = accepted;
    const body = JSON.stringify({
      website_id: W,
      event: "message:send",
      data: { session_id: `session_${randomUUID()}` },
      timestamp: Date.now(),
    });
    const timestamp = String(Date.now());
    const t0 = performance.now();
    const all = new Promise<void>((resolve) => {
      onDelivered = resolve;
    });
    await fetch(s.address.hookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-crisp-request-timestamp": timestamp,
        "x-crisp-signature": signHook(HOOK_SECRET, timestamp, body),
      },
      body,
    });
    await all;
    fanOutMs = performance.now() - t0;
  });
  const after = settledHeapMb();
  const elapsed = seconds(started);
  await Promise.all(clients.map((client) => client.dispose()));
  await s.close();
  return {
    scenario: "Subscriptions",
    load: "one socket asks for 10,000 subscriptions; 12 more sockets of the same client for 100 each (caps: 100 per socket, 1,000 per client)",
    outcome: `${n(accepted)} open, ${n(refused)} refused with REQUEST_LIMIT_EXCEEDED; heap after GC +${(after - before).toFixed(0)} MB; one hook reached all ${n(accepted)} in ${fanOutMs.toFixed(0)} ms`,
    seconds: elapsed,
    ok: ok && accepted <= 1_000,
  };
}

async function metrics(origin: string): Promise<string> {
  return (await fetch(`${origin}/metrics`)).text();
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** Queries while the Redis shared by the guard and the rate limiter is killed: no error. */
export async function redisOutage(): Promise<Figure> {
  const port = await freePort();
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = "";
    server.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        resolve();
      }
    });
    server.once("exit", () => reject(new Error("redis-server did not start (is it installed?)")));
  });
  const redis = new Redis(`redis://127.0.0.1:${port}`, { ...GUARD_REDIS_OPTIONS });
  redis.on("error", () => undefined);
  await redis.connect();
  const s = await startStressed({
    cache: {},
    guard: { store: redisGuardStore(redis, `stress-${randomUUID()}`) },
    operationsPerMinute: redisOperationLimiter(redis, 1_000_000),
  });
  const pool = new Pool(s.address.origin, { connections: 32 });
  const QUERIES = [
    "{ website { name } }",
    "{ website { operators { userId } } }",
    "{ website { visitorCount { count } } }",
  ];
  const phase = async (count: number) => {
    const outcomes: string[] = [];
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) {
          const query = QUERIES[next % QUERIES.length] ?? "";
          next += 1;
          const t0 = performance.now();
          const response = await pool.request({
            path: "/graphql",
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query }),
          });
          const body = (await response.body.json()) as {
            errors?: { extensions?: { code?: string } }[];
          };
          latencies.push(performance.now() - t0);
          outcomes.push(
            response.statusCode >= 500 ? "5xx" : (body.errors?.[0]?.extensions?.code ?? "ok"),
          );
        }
      }),
    );
    return { outcomes, latencies };
  };
  const started = performance.now();
  let up = { outcomes: [] as string[], latencies: [] as number[] };
  let down = { outcomes: [] as string[], latencies: [] as number[] };
  const ok = await capped(60_000, async () => {
    up = await phase(3_000);
    const lost = once(redis, "close");
    server.kill("SIGKILL");
    await lost;
    down = await phase(3_000);
  });
  const elapsed = seconds(started);
  await pool.close();
  await s.close();
  redis.disconnect();
  server.kill("SIGKILL");
  return {
    scenario: "Redis killed",
    load: "3,000 reads (cached and not) with Redis up, then 3,000 after killing it (guard store and per-client limiter on Redis)",
    outcome: `up: ${tally(up.outcomes)}, p99 ${percentile(up.latencies, 0.99).toFixed(1)} ms; down: ${tally(down.outcomes)}, p99 ${percentile(down.latencies, 0.99).toFixed(1)} ms`,
    seconds: elapsed,
    ok: ok && down.outcomes.every((outcome) => outcome === "ok"),
  };
}

/** Crisp failing, throttling and pacing: coded answers only, and recovery by one probe. */
export async function crispFaults(): Promise<Figure> {
  const s = await startStressed({
    operationsPerMinute: 0,
    cache: false,
    guard: { backoffBaseMs: 200, backoffMaxMs: 1_000, breakerOpenMs: 500, lockBaseMs: 1_000 },
  });
  const W = s.simulator.defaultWebsiteId;
  const pool = new Pool(s.address.origin, { connections: 32 });
  const run = async (count: number, query: string, variables: Record<string, unknown> = {}) => {
    const outcomes: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) {
          next += 1;
          const response = await pool.request({
            path: "/graphql",
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query, variables }),
          });
          const body = (await response.body.json()) as {
            errors?: { message: string; extensions?: { code?: string } }[];
          };
          const error = body.errors?.[0];
          outcomes.push(
            response.statusCode >= 500
              ? "5xx"
              : error === undefined
                ? "ok"
                : error.message === "Unexpected error."
                  ? "masked"
                  : (error.extensions?.code ?? "?"),
          );
        }
      }),
    );
    return outcomes;
  };
  const READ = "{ website { name operators { userId } } }";
  const CREATE = "mutation($w: ID!) { createConversation(websiteId: $w) { sessionId } }";
  const started = performance.now();
  const results: Record<string, string[]> = {};
  let recoveredMs = 0;
  /** Clears the fault and waits until a read is answered again; how long it took, ms. */
  const recover = async () => {
    s.simulator.configure({ errors: null });
    const t0 = performance.now();
    for (;;) {
      const [outcome] = await run(1, READ);
      if (outcome === "ok") {
        return performance.now() - t0;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const recoveries: number[] = [];
  const ok = await capped(60_000, async () => {
    s.simulator.configure({ errors: { status: 503, rate: 0.3 } });
    results["503 on 30 %"] = await run(2_000, READ);
    recoveries.push(await recover());
    s.simulator.configure({ errors: { status: 429, rate: 1 } });
    results["429 always"] = await run(2_000, READ);
    recoveries.push(await recover());
    s.simulator.configure({
      errors: { status: 423, reason: "quota_limit_exceeded", rate: 1, match: /\/conversation$/ },
    });
    results["423 on creation: creations"] = await run(200, CREATE, { w: W });
    results["423 on creation: reads"] = await run(2_000, READ);
    recoveries.push(await recover());
    recoveredMs = Math.max(...recoveries);
  });
  const elapsed = seconds(started);
  const crisp = s.simulator.requests.length;
  await pool.close();
  await s.close();
  const all = Object.values(results).flat();
  return {
    scenario: "Crisp faults",
    load: "2,000 reads with 30 % of Crisp answers 503; 2,000 with every answer 429; 200 conversation creations and 2,000 reads while creation answers 423 quota_limit_exceeded",
    outcome: `${Object.entries(results)
      .map(([name, outcomes]) => `${name}: ${tally(outcomes)}`)
      .join(
        "; ",
      )}; ${n(crisp)} Crisp requests in all; reads answered again at most ${recoveredMs.toFixed(0)} ms after Crisp recovered`,
    seconds: elapsed,
    ok:
      ok &&
      !all.includes("5xx") &&
      !all.includes("masked") &&
      (results["423 on creation: reads"] ?? []).every((outcome) => outcome === "ok"),
  };
}
