/**
 * Warm dashboards (issue 12.3), side by side in one run (a section of `npm run bench`): the
 * README dashboard answered by the gateway (shared cache warm, response cache on) against bare
 * graphql-yoga serving the very same result from memory (the gateway's schema, printed, with a
 * root field returning the stored answer: no loaders, no plugins of ours). An autocannon-like
 * loop over undici keeps 10 connections busy for a fixed time on each, one after the other.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, type GraphQLSchema, printSchema } from "graphql";
import { createYoga } from "graphql-yoga";
import { Pool } from "undici";
import { createMemoryResponseStore } from "../src/plugins/response-cache-store.js";
import { schema as gatewaySchema } from "../src/schema/index.js";
import { createGateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";

const CONNECTIONS = 10;
const SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 4);

const DASHBOARD = `{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

interface Load {
  requests: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** CONNECTIONS loops, each sending the next request when the last is answered, for `ms`. */
async function hammer(origin: string, ms: number): Promise<Load> {
  const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1 });
  const body = JSON.stringify({ query: DASHBOARD });
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          const response = await pool.request({
            path: "/graphql",
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          const answer = (await response.body.json()) as { errors?: unknown[] };
          if (response.statusCode !== 200 || answer.errors !== undefined) {
            errors += 1;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    await pool.close();
  }
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    perSecond: (latencies.length / elapsed) * 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

/** Bare Yoga: the gateway's schema without its resolvers, its root field the stored answer. */
function bareYoga(answer: Record<string, unknown>): Server {
  const schema: GraphQLSchema = buildSchema(printSchema(gatewaySchema));
  const website = schema.getQueryType()?.getFields().website;
  if (website === undefined) {
    throw new Error("the schema has no Query.website");
  }
  website.resolve = () => answer.website;
  return createServer(createYoga({ schema, logging: false, landingPage: false }));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs the warm benchmark; its section of docs/benchmarks.md. */
export async function benchWarm(): Promise<string> {
  const simulator = await startSimulator({ seed: 1 });
  const gateway = createGateway({
    crisp: { baseUrl: simulator.url, ...simulator.credentials },
    defaultWebsiteId: simulator.defaultWebsiteId,
    maxOperationCost: 10_000,
    operationsPerMinute: 0,
    responseCache: { store: createMemoryResponseStore(), ttlMs: 600_000 },
  });
  const { origin } = await gateway.listen("127.0.0.1", 0);
  const first = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: DASHBOARD }),
  });
  const answer = (await first.json()) as { data: Record<string, unknown> };
  const bare = bareYoga(answer.data);
  const bareOrigin = await listen(bare);
  try {
    // Warm-ups: code compiled, connections open, the answer cached.
    await hammer(origin, 1_000);
    await hammer(bareOrigin, 1_000);
    simulator.clearRequests();
    const mine = await hammer(origin, SECONDS * 1_000);
    const crispRequests = simulator.requests.length;
    const theirs = await hammer(bareOrigin, SECONDS * 1_000);
    const row = (name: string, load: Load) =>
      `| ${name} | ${load.requests} | ${load.errors} | ${load.perSecond.toFixed(0)} | ${load.p50Ms.toFixed(1)} | ${load.p99Ms.toFixed(1)} |`;
    return `## Warm dashboards: throughput against bare graphql-yoga

The README dashboard, warm, over HTTP on loopback: ${CONNECTIONS} connections each sending the next
request as soon as the last is answered, for ${SECONDS} s per server, one server after the other
(after a 1 s warm-up each), the load generator in the same process as both servers.

| Server | Requests | Errors | req/s | p50 ms | p99 ms |
|---|---|---|---|---|---|
${row("gateway (response cache, shared cache warm)", mine)}
${row("bare graphql-yoga serving the same result from memory", theirs)}

- Throughput ratio (goal ≥ 1.5×): **${(mine.perSecond / theirs.perSecond).toFixed(2)}×**; p99 ratio (goal ≤ 1.0): **${(mine.p99Ms / theirs.p99Ms).toFixed(2)}×**.
- Crisp requests during the gateway's run: ${crispRequests}.

Environment knob: \`BENCH_WARM_SECONDS\`.
`;
  } finally {
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    bare.closeAllConnections();
    await gateway.stop();
    await simulator.close();
  }
}
