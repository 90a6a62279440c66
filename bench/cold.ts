/**
 * Cold reads against hand-written clients (issue 12.1, 12.2, 12.4), side by side in one run (a
 * section of `npm run bench`): the README dashboard against the official `crisp-api` SDK with
 * `Promise.all` and against the critical path, the `first: 50` dashboard against hand-written
 * undici, paging a history back 50 at a time against the direct walk of Crisp's batches, and
 * 3 instances on one Redis against one dashboard's Crisp requests.
 *
 * Every reference reads exactly what the gateway reads, with the same dependencies: the website,
 * the list and the operators at once, then every person and every message batch at once. The
 * simulator runs in a process of its own (bench/remote/simulator.ts), as Crisp does: its work
 * answering 38 requests is not charged to the client under measurement.
 */
import { randomUUID } from "node:crypto";
import { Crisp } from "crisp-api";
import { Agent, request } from "undici";
import { createRedisSecondLevel } from "../src/loaders/second-level.js";
import { createGateway, type Gateway } from "../src/server.js";
import { roundTrips } from "../src/simulator/index.js";
import { dashboardQuery } from "./queries.js";
import { type RemoteSimulator, startRemoteSimulator } from "./remote/simulator.js";

const LATENCY_MS = Number(process.env.BENCH_COLD_LATENCY_MS ?? 50);
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
/** History walks of each kind measured (each a few hundred ms at 50 ms latency). */
const HISTORY_RUNS = 3;

interface Sample {
  ms: number;
  requests: number;
  rounds: number;
}

interface Figure {
  medianMs: number;
  requests: number;
  rounds: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** One run of `once`: its time, and what the simulator saw of it. */
async function sample(simulator: RemoteSimulator, once: () => Promise<void>): Promise<Sample> {
  await simulator.clearRequests();
  const t0 = performance.now();
  await once();
  const ms = performance.now() - t0;
  const requests = await simulator.requests();
  return { ms, requests: requests.length, rounds: Math.max(0, ...roundTrips(requests)) };
}

const figureOf = (samples: Sample[]): Figure => ({
  medianMs: median(samples.map((one) => one.ms)),
  requests: median(samples.map((one) => one.requests)),
  rounds: median(samples.map((one) => one.rounds)),
});

/** Runs `once` RUNS times after one warm-up (connections open, code compiled): the median. */
async function measure(simulator: RemoteSimulator, once: () => Promise<void>): Promise<Figure> {
  await once();
  const samples: Sample[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    samples.push(await sample(simulator, once));
  }
  return figureOf(samples);
}

/**
 * The clients compared, each warmed up, then run in turns RUNS times (one run of each per
 * turn), so the machine's drift over the measurement falls on all of them alike: the medians.
 */
async function measureInTurns<K extends string>(
  simulator: RemoteSimulator,
  clients: Record<K, () => Promise<void>>,
): Promise<Record<K, Figure>> {
  const names = Object.keys(clients) as K[];
  const samples = new Map<K, Sample[]>(names.map((name) => [name, []]));
  for (const name of names) {
    await clients[name]();
  }
  for (let run = 0; run < RUNS; run += 1) {
    for (const name of names) {
      samples.get(name)?.push(await sample(simulator, clients[name]));
    }
  }
  return Object.fromEntries(
    names.map((name) => [name, figureOf(samples.get(name) ?? [])]),
  ) as Record<K, Figure>;
}

function gatewayOn(simulator: RemoteSimulator, cache: boolean): Gateway {
  return createGateway({
    crisp: { baseUrl: simulator.url, ...simulator.credentials },
    defaultWebsiteId: simulator.defaultWebsiteId,
    // Each run cold: nothing stored across operations (in-flight reads are still shared).
    ...(cache ? {} : { cache: false as const }),
    maxOperationCost: 10_000,
    operationsPerMinute: 0,
  });
}

async function ask(gateway: Gateway, query: string, variables?: Record<string, unknown>) {
  const response = await gateway.yoga.fetch("http://bench/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
  if (body.errors !== undefined) {
    throw new Error(`bench query failed: ${JSON.stringify(body.errors)}`);
  }
  return body.data;
}

interface ListedConversation {
  session_id: string;
  people_id?: string;
}

/** The dashboard with the official SDK, written as its README shows, with Promise.all. */
function sdkDashboard(simulator: RemoteSimulator) {
  const crisp = new Crisp();
  crisp.setRestHost(new URL(simulator.url).origin);
  crisp.authenticateTier("plugin", simulator.credentials.identifier, simulator.credentials.key);
  const websiteId = simulator.defaultWebsiteId;
  return async () => {
    const [, conversations] = (await Promise.all([
      crisp.website.getWebsite(websiteId),
      crisp.website.listConversations(websiteId, 1),
      crisp.website.listWebsiteOperators(websiteId),
    ])) as [unknown, ListedConversation[], unknown];
    const people = [...new Set(conversations.flatMap((c) => (c.people_id ? [c.people_id] : [])))];
    await Promise.all([
      ...people.map((id) => crisp.website.getPeopleProfile(websiteId, id)),
      ...conversations.map((c) => crisp.website.getMessagesInConversation(websiteId, c.session_id)),
    ]);
  };
}

/** The `first: 50` dashboard with undici alone: the requests the gateway sends, by hand. */
function undiciDashboard(simulator: RemoteSimulator, dispatcher: Agent, perPage: number) {
  const { identifier, key } = simulator.credentials;
  const headers = {
    authorization: `Basic ${Buffer.from(`${identifier}:${key}`).toString("base64")}`,
    "x-crisp-tier": "plugin",
  };
  const base = `${simulator.url}/website/${simulator.defaultWebsiteId}`;
  const get = async <T>(path: string): Promise<T> => {
    const response = await request(`${base}${path}`, { headers, dispatcher });
    return ((await response.body.json()) as { data: T }).data;
  };
  return async () => {
    const [, conversations] = await Promise.all([
      get(""),
      get<ListedConversation[]>(`/conversations/1?per_page=${perPage}`),
      get("/operators/list"),
    ]);
    const people = [...new Set(conversations.flatMap((c) => (c.people_id ? [c.people_id] : [])))];
    await Promise.all([
      ...people.map((id) => get(`/people/profile/${id}`)),
      ...conversations.map((c) => get(`/conversation/${c.session_id}/messages`)),
    ]);
  };
}

const HISTORY = `query($s: ID!, $before: String) { website { conversation(sessionId: $s) { messages(last: 50, before: $before) { nodes { fingerprint } pageInfo { hasPreviousPage startCursor } } } } }`;

interface HistoryPage {
  website: {
    conversation: {
      messages: { pageInfo: { hasPreviousPage: boolean; startCursor: string | null } };
    };
  };
}

/** Pages a history back 50 at a time through a gateway of its own (its cache starts empty). */
async function pageThroughGateway(simulator: RemoteSimulator, sessionId: string): Promise<Sample> {
  const gateway = gatewayOn(simulator, true);
  try {
    await simulator.clearRequests();
    const t0 = performance.now();
    let before: string | null = null;
    for (let more = true; more; ) {
      const data = (await ask(gateway, HISTORY, { s: sessionId, before })) as HistoryPage;
      const { pageInfo } = data.website.conversation.messages;
      more = pageInfo.hasPreviousPage;
      before = pageInfo.startCursor;
    }
    const ms = performance.now() - t0;
    const batches = (await simulator.requests()).filter((entry) =>
      entry.path.endsWith("/messages"),
    );
    return { ms, requests: batches.length, rounds: 0 };
  } finally {
    await gateway.stop();
  }
}

/** The same history walked directly: each batch before the oldest of the one before. */
async function walkDirectly(
  simulator: RemoteSimulator,
  dispatcher: Agent,
  sessionId: string,
): Promise<Sample> {
  const { identifier, key } = simulator.credentials;
  const headers = {
    authorization: `Basic ${Buffer.from(`${identifier}:${key}`).toString("base64")}`,
    "x-crisp-tier": "plugin",
  };
  const path = `${simulator.url}/website/${simulator.defaultWebsiteId}/conversation/${sessionId}/messages`;
  await simulator.clearRequests();
  const t0 = performance.now();
  let before: number | undefined;
  for (;;) {
    const response = await request(
      before === undefined ? path : `${path}?timestamp_before=${before}`,
      { headers, dispatcher },
    );
    const body = (await response.body.json()) as { data: { timestamp: number }[] };
    before = body.data[0]?.timestamp;
    if (response.statusCode !== 206 || before === undefined) {
      break;
    }
  }
  const ms = performance.now() - t0;
  return { ms, requests: (await simulator.requests()).length, rounds: 0 };
}

/** 200 cold dashboards over 3 instances on one Redis, then a warm one on each. */
async function fleetOnRedis(simulator: RemoteSimulator, redisUrl: string) {
  const scope = `bench-${randomUUID()}`;
  const instances: Gateway[] = [];
  try {
    for (let index = 0; index < 3; index += 1) {
      instances.push(
        createGateway({
          crisp: { baseUrl: simulator.url, ...simulator.credentials },
          defaultWebsiteId: simulator.defaultWebsiteId,
          maxOperationCost: 10_000,
          operationsPerMinute: 0,
          secondLevel: await createRedisSecondLevel({ redisUrl, scope }),
        }),
      );
    }
    await simulator.clearRequests();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        ask(instances[index % 3] as Gateway, dashboardQuery(20)),
      ),
    );
    const coldMs = performance.now() - t0;
    const cold = (await simulator.requests()).length;
    await simulator.clearRequests();
    for (const instance of instances) {
      await ask(instance, dashboardQuery(20));
    }
    return { cold, coldMs, warm: (await simulator.requests()).length };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

/** Runs the cold benchmarks; their section of docs/benchmarks.md. */
export async function benchCold(): Promise<string> {
  const simulator = await startRemoteSimulator({ seed: 1, latencyMs: LATENCY_MS });
  const dispatcher = new Agent({ connections: 64 });
  const gateway = gatewayOn(simulator, false);
  try {
    const { readme, sdk, floor } = await measureInTurns(simulator, {
      readme: async () => {
        await ask(gateway, dashboardQuery(20));
      },
      sdk: sdkDashboard(simulator),
      // The least any client spends on this machine: the same requests by hand, nothing between.
      floor: undiciDashboard(simulator, dispatcher, 20),
    });
    const { wide, handWritten } = await measureInTurns(simulator, {
      wide: async () => {
        await ask(gateway, dashboardQuery(50));
      },
      // The page size the gateway picks for `first: 50` (it asks for one more, to know the end).
      handWritten: undiciDashboard(simulator, dispatcher, 50),
    });
    const criticalMs = 2 * LATENCY_MS;

    const history: string[] = [];
    for (const [index, count] of [
      [0, 100],
      [1, 200],
    ] as const) {
      const sessionId = await simulator.seedHistory(index, count);
      // A walk of each to warm up (code compiled, connections open), then walks in turns: the
      // medians. Every gateway walk starts on a gateway of its own, its cache empty.
      await pageThroughGateway(simulator, sessionId);
      await walkDirectly(simulator, dispatcher, sessionId);
      const viaGatewayWalks: Sample[] = [];
      const directWalks: Sample[] = [];
      for (let run = 0; run < HISTORY_RUNS; run += 1) {
        viaGatewayWalks.push(await pageThroughGateway(simulator, sessionId));
        directWalks.push(await walkDirectly(simulator, dispatcher, sessionId));
      }
      const viaGateway = figureOf(viaGatewayWalks);
      const direct = figureOf(directWalks);
      history.push(
        `| ${count} messages | ${viaGateway.requests} Crisp requests, ${viaGateway.medianMs.toFixed(0)} ms | ${direct.requests} requests, ${direct.medianMs.toFixed(0)} ms | **${(viaGateway.requests / direct.requests).toFixed(2)}** (requests), ${(viaGateway.medianMs / direct.medianMs).toFixed(2)} (time) |`,
      );
    }

    const redisUrl = process.env.REDIS_URL;
    let fleetSection = "";
    if (redisUrl !== undefined) {
      await simulator.configure({ latencyMs: 20 });
      const one = await measure(simulator, async () => {
        await ask(gateway, dashboardQuery(20));
      });
      const fleet = await fleetOnRedis(simulator, redisUrl);
      await simulator.configure({ latencyMs: LATENCY_MS });
      fleetSection = `
### Three instances on one Redis (\`REDIS_URL\`)

200 cold README dashboards spread over 3 gateway instances sharing the second level on
\`${new URL(redisUrl).host}\` (simulator latency 20 ms), all at once, then one warm dashboard on each:

| What | Crisp requests |
|---|---|
| one cold dashboard, one instance | ${one.requests} |
| 200 cold dashboards over 3 instances (${fleet.coldMs.toFixed(0)} ms) | **${fleet.cold}** (${fleet.cold === one.requests ? "exactly one dashboard's" : `${(fleet.cold / one.requests).toFixed(2)}× one dashboard's`}) |
| a warm dashboard on each instance | **${fleet.warm}** |
`;
    }

    const row = (what: string, mine: Figure, reference: string, referenceMs: number) =>
      `| ${what} | ${mine.medianMs.toFixed(0)} ms, ${mine.requests} Crisp requests, ${mine.rounds} round trips | ${reference}: ${referenceMs.toFixed(0)} ms | **${(mine.medianMs / referenceMs).toFixed(2)}** |`;
    return `## Cold reads against hand-written clients

The simulator, in a process of its own (as Crisp is on machines of its own), answers every
request ${LATENCY_MS} ms after it arrives. Medians of ${RUNS} runs after a warm-up, each cold (the
gateway stores nothing across operations), the clients of a table's rows run in turns (one run
of each, ${RUNS} times) so that the machine's drift falls on all of them alike. Round trips are counted from the simulator's order of
arrivals and answers (\`roundTrips\`), not from the clock.

| What | Gateway | Reference | Ratio (goal ≤ 1.0, critical path ≤ 1.1) |
|---|---|---|---|
${row("README dashboard, cold", readme, `official \`crisp-api\` SDK with \`Promise.all\` (${sdk.requests} requests, ${sdk.rounds} round trips)`, sdk.medianMs)}
${row("same, against the critical path", readme, `2 round trips × ${LATENCY_MS} ms`, criticalMs)}
${row("same, against the floor", readme, `hand-written undici, the same ${floor.requests} requests in ${floor.rounds} round trips (the least any client spends here: ${(floor.medianMs / criticalMs).toFixed(2)}× the critical path)`, floor.medianMs)}
${row("dashboard with `first: 50`, cold", wide, `hand-written undici (${handWritten.requests} requests, ${handWritten.rounds} round trips)`, handWritten.medianMs)}

Paging a conversation's history back 50 at a time (\`messages(last: 50, before:)\`) from the
newest message to the first, through a gateway whose cache starts empty, against a direct walk
of Crisp's batches (each \`timestamp_before\` the oldest of the batch before): medians of
${HISTORY_RUNS} walks of each in turns, after one of each to warm up, every gateway walk on a
gateway of its own.

| History | Gateway | Direct walk | Ratio |
|---|---|---|---|
${history.join("\n")}
${fleetSection}
Environment knobs: \`BENCH_COLD_LATENCY_MS\`, \`BENCH_COLD_RUNS\`; the Redis section runs when
\`REDIS_URL\` is set.
`;
  } finally {
    await gateway.stop();
    await dispatcher.close();
    await simulator.close();
  }
}
