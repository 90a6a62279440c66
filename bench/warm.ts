/**
 * Warm dashboards (issue 12.3), side by side in one run (a section of `npm run bench`): the
 * README dashboard answered by the gateway (shared cache warm, response cache on: in memory,
 * and with REDIS_URL a second gateway's in Redis) against bare graphql-yoga serving the very
 * same result from memory (the gateway's schema, printed, with a root field returning the
 * stored answer: no loaders, no plugins of ours). An autocannon-like
 * loop over undici, in a process of its own (bench/remote/load.ts), keeps 10 connections busy
 * for a fixed time on each server, one after the other; the servers share this process.
 */

import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, type GraphQLSchema, printSchema } from "graphql";
import { createYoga } from "graphql-yoga";
import {
  createMemoryResponseStore,
  createRedisResponseStore,
  type ResponseCacheStore,
} from "../src/plugins/response-cache-store.js";
import { schema as gatewaySchema } from "../src/schema/index.js";
import { createGateway, type Gateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { dashboardQuery } from "./queries.js";
import { combine, type Load, type LoadSlice, loadFromChild } from "./remote/load.js";

const CONNECTIONS = 10;
const SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 4);
/** Each server's time is cut into this many slices, taken in turns, so drift hits both alike. */
const SLICES = 4;

const hammer = (origin: string, ms: number) =>
  loadFromChild({
    origin,
    ms,
    connections: CONNECTIONS,
    path: "/graphql",
    body: JSON.stringify({ query: DASHBOARD }),
  });

const DASHBOARD = dashboardQuery();

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

/** A server measured, and the slices of load it was given. */
interface Measured {
  name: string;
  origin: string;
  slices: LoadSlice[];
}

/** Runs the warm benchmark; its section of docs/benchmarks.md. */
export async function benchWarm(): Promise<string> {
  const simulator = await startSimulator({ seed: 1 });
  const gatewayWith = (store: ResponseCacheStore) =>
    createGateway({
      crisp: { baseUrl: simulator.url, ...simulator.credentials },
      defaultWebsiteId: simulator.defaultWebsiteId,
      maxOperationCost: 10_000,
      operationsPerMinute: 0,
      responseCache: { store, ttlMs: 600_000 },
    });
  const gateways: { gateway: Gateway; name: string; store: string }[] = [];
  let bare: Server | undefined;
  try {
    gateways.push({
      gateway: gatewayWith(createMemoryResponseStore()),
      name: "gateway (response cache in memory, shared cache warm)",
      store: "Response cache in memory",
    });
    // With REDIS_URL, also the store a fleet runs on: entries in Redis, shared by instances.
    const redisUrl = process.env.REDIS_URL;
    if (redisUrl !== undefined) {
      gateways.push({
        gateway: gatewayWith(
          await createRedisResponseStore({ redisUrl, scope: `bench-warm-${randomUUID()}` }),
        ),
        name: "gateway, response cache in Redis (`REDIS_URL`: each hit asks Redis for the generation)",
        store: "Response cache in Redis",
      });
    }
    const measured: Measured[] = [];
    for (const { gateway, name } of gateways) {
      measured.push({ name, origin: (await gateway.listen("127.0.0.1", 0)).origin, slices: [] });
    }
    const first = await fetch(`${measured[0]?.origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: DASHBOARD }),
    });
    const answer = (await first.json()) as { data: Record<string, unknown> };
    bare = bareYoga(answer.data);
    measured.push({
      name: "bare graphql-yoga serving the same result from memory",
      origin: await listen(bare),
      slices: [],
    });
    // Warm-ups: code compiled, connections open, the answer cached.
    for (const server of measured) {
      await hammer(server.origin, 1_000);
    }
    simulator.clearRequests();
    for (let slice = 0; slice < SLICES; slice += 1) {
      for (const server of measured) {
        server.slices.push(await hammer(server.origin, (SECONDS * 1_000) / SLICES));
      }
    }
    const crispRequests = simulator.requests.length;
    const loads = measured.map((server) => combine(server.slices));
    const theirs = loads[loads.length - 1] as Load;
    const row = (name: string, load: Load) =>
      `| ${name} | ${load.requests} | ${load.errors} | ${load.perSecond.toFixed(0)} | ${load.p50Ms.toFixed(1)} | ${load.p99Ms.toFixed(1)} |`;
    const ratios = gateways.map(({ store }, index) => {
      const load = loads[index] as Load;
      return `- ${store}: throughput ratio (goal ≥ 1.5×) **${(load.perSecond / theirs.perSecond).toFixed(2)}×**; p99 ratio (goal ≤ 1.0) **${(load.p99Ms / theirs.p99Ms).toFixed(2)}×**.`;
    });
    return `## Warm dashboards: throughput against bare graphql-yoga

The README dashboard, warm, over HTTP on loopback: ${CONNECTIONS} connections each sending the next
request as soon as the last is answered, for ${SECONDS} s per server in ${SLICES} slices taken in
turns (gateway, bare, gateway, …; after a 1 s warm-up each), so the machine's drift falls on all
alike. With \`REDIS_URL\`, a second gateway, taking its turn after the first, keeps its response
cache in Redis, as a fleet does. The load generator runs in a process of its own; the servers
share the benchmark's process, which has one core to itself.

| Server | Requests | Errors | req/s | p50 ms | p99 ms |
|---|---|---|---|---|---|
${measured.map((server, index) => row(server.name, loads[index] as Load)).join("\n")}

${ratios.join("\n")}
- Crisp requests during the gateways' runs: ${crispRequests}.

Environment knob: \`BENCH_WARM_SECONDS\`.
`;
  } finally {
    if (bare !== undefined) {
      const server = bare;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
    for (const { gateway } of gateways) {
      await gateway.stop();
    }
    await simulator.close();
  }
}
