/**
 * Cold reads against hand-written clients (issue 12.1, 12.2, 12.4), side by side in one run (a
 * section of `npm run bench`): the README dashboard against the official `crisp-api` SDK with
 * `Promise.all` and against the critical path, the `first: 50` dashboard against hand-written
 * undici, paging a history back 50 at a time against the direct walk of Crisp's batches, and
 * 3 instances on one Redis against one dashboard's Crisp requests.
 *
 * Every reference reads exactly what the gateway reads, with the same dependencies: the website,
 * the list and the operators at once, then every person and every message batch at once.
 */
import { randomUUID } from "node:crypto";
import { Crisp } from "crisp-api";
import { Agent, request } from "undici";
import { createRedisSecondLevel } from "../src/loaders/second-level.js";
import { createGateway, type Gateway } from "../src/server.js";
import {
  roundTrips,
  type Simulator,
  startSimulator,
  type WireMessage,
} from "../src/simulator/index.js";

const LATENCY_MS = Number(process.env.BENCH_COLD_LATENCY_MS ?? 50);
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);

const dashboard = (first: number) =>
  `{ website { name conversations(first: ${first}) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

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

/** Runs `once` RUNS times after one warm-up (connections open, code compiled): the median. */
async function measure(simulator: Simulator, once: () => Promise<void>): Promise<Figure> {
  await once();
  const samples: Sample[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    simulator.clearRequests();
    const t0 = performance.now();
    await once();
    const ms = performance.now() - t0;
    samples.push({
      ms,
      requests: simulator.requests.length,
      rounds: Math.max(0, ...roundTrips(simulator.requests)),
    });
  }
  return {
    medianMs: median(samples.map((sample) => sample.ms)),
    requests: median(samples.map((sample) => sample.requests)),
    rounds: median(samples.map((sample) => sample.rounds)),
  };
}

function gatewayOn(simulator: Simulator, cache: boolean): Gateway {
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
function sdkDashboard(simulator: Simulator) {
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
function undiciDashboard(simulator: Simulator, dispatcher: Agent, perPage: number) {
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

/** Replaces a conversation's history with `count` messages (one a second). */
function seedHistory(simulator: Simulator, index: number, count: number): string {
  const websiteId = simulator.defaultWebsiteId;
  const conversation = simulator.store.listConversations(websiteId, { includeEmpty: false })[index];
  const messages = simulator.store.messages(websiteId, conversation?.session_id ?? "");
  const model = messages?.[0];
  if (conversation === undefined || messages === undefined || model === undefined) {
    throw new Error("the seed has no conversation with messages");
  }
  const history: WireMessage[] = Array.from({ length: count }, (_, i) => ({
    ...model,
    timestamp: model.timestamp + i * 1_000,
    fingerprint: 800_000_000 + index * 10_000 + i,
  }));
  messages.splice(0, messages.length, ...history);
  return conversation.session_id;
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
async function pageThroughGateway(simulator: Simulator, sessionId: string): Promise<Figure> {
  const gateway = gatewayOn(simulator, true);
  try {
    simulator.clearRequests();
    const t0 = performance.now();
    let before: string | null = null;
    for (let more = true; more; ) {
      const data = (await ask(gateway, HISTORY, { s: sessionId, before })) as HistoryPage;
      const { pageInfo } = data.website.conversation.messages;
      more = pageInfo.hasPreviousPage;
      before = pageInfo.startCursor;
    }
    const ms = performance.now() - t0;
    const batches = simulator.requests.filter((entry) => entry.path.endsWith("/messages"));
    return { medianMs: ms, requests: batches.length, rounds: 0 };
  } finally {
    await gateway.stop();
  }
}

/** The same history walked directly: each batch before the oldest of the one before. */
async function walkDirectly(
  simulator: Simulator,
  dispatcher: Agent,
  sessionId: string,
): Promise<Figure> {
  const { identifier, key } = simulator.credentials;
  const headers = {
    authorization: `Basic ${Buffer.from(`${identifier}:${key}`).toString("base64")}`,
    "x-crisp-tier": "plugin",
  };
  const path = `${simulator.url}/website/${simulator.defaultWebsiteId}/conversation/${sessionId}/messages`;
  simulator.clearRequests();
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
  return { medianMs: performance.now() - t0, requests: simulator.requests.length, rounds: 0 };
}

/** 200 cold dashboards over 3 instances on one Redis, then a warm one on each. */
async function fleetOnRedis(simulator: Simulator, redisUrl: string) {
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
    simulator.clearRequests();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        ask(instances[index % 3] as Gateway, dashboard(20)),
      ),
    );
    const coldMs = performance.now() - t0;
    const cold = simulator.requests.length;
    simulator.clearRequests();
    for (const instance of instances) {
      await ask(instance, dashboard(20));
    }
    return { cold, coldMs, warm: simulator.requests.length };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

/** Runs the cold benchmarks; their section of docs/benchmarks.md. */
export async function benchCold(): Promise<string> {
  const simulator = await startSimulator({ seed: 1, latencyMs: LATENCY_MS });
  const dispatcher = new Agent({ connections: 64 });
  const gateway = gatewayOn(simulator, false);
  try {
    const readme = await measure(simulator, async () => {
      await ask(gateway, dashboard(20));
    });
    const sdk = await measure(simulator, sdkDashboard(simulator));
    const wide = await measure(simulator, async () => {
      await ask(gateway, dashboard(50));
    });
    // The page size the gateway picks for `first: 50` (it asks for one more, to know the end).
    const handWritten = await measure(simulator, undiciDashboard(simulator, dispatcher, 50));
    const criticalMs = 2 * LATENCY_MS;

    const history: string[] = [];
    for (const [index, count] of [
      [0, 100],
      [1, 200],
    ] as const) {
      const sessionId = seedHistory(simulator, index, count);
      const viaGateway = await pageThroughGateway(simulator, sessionId);
      const direct = await walkDirectly(simulator, dispatcher, sessionId);
      history.push(
        `| ${count} messages | ${viaGateway.requests} Crisp requests, ${viaGateway.medianMs.toFixed(0)} ms | ${direct.requests} requests, ${direct.medianMs.toFixed(0)} ms | **${(viaGateway.requests / direct.requests).toFixed(2)}** (requests), ${(viaGateway.medianMs / direct.medianMs).toFixed(2)} (time) |`,
      );
    }

    const redisUrl = process.env.REDIS_URL;
    let fleetSection = "";
    if (redisUrl !== undefined) {
      simulator.configure({ latencyMs: 20 });
      const one = await measure(simulator, async () => {
        await ask(gateway, dashboard(20));
      });
      const fleet = await fleetOnRedis(simulator, redisUrl);
      simulator.configure({ latencyMs: LATENCY_MS });
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

The simulator answers every request after ${LATENCY_MS} ms. Medians of ${RUNS} runs after a
warm-up, each cold (the gateway stores nothing across operations). Round trips are counted from
the simulator's order of arrivals and answers (\`roundTrips\`), not from the clock.

| What | Gateway | Reference | Ratio (goal ≤ 1.0, critical path ≤ 1.1) |
|---|---|---|---|
${row("README dashboard, cold", readme, `official \`crisp-api\` SDK with \`Promise.all\` (${sdk.requests} requests, ${sdk.rounds} round trips)`, sdk.medianMs)}
${row("same, against the critical path", readme, `2 round trips × ${LATENCY_MS} ms`, criticalMs)}
${row("dashboard with `first: 50`, cold", wide, `hand-written undici (${handWritten.requests} requests, ${handWritten.rounds} round trips)`, handWritten.medianMs)}

Paging a conversation's history back 50 at a time (\`messages(last: 50, before:)\`) from the
newest message to the first, through a gateway whose cache starts empty, against a direct walk
of Crisp's batches (each \`timestamp_before\` the oldest of the batch before):

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
