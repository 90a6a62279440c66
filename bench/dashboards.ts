/**
 * Many dashboards polling the README's dashboard query against the embedded simulator (with a
 * per-request latency standing in for the network to Crisp), once with the shared cache and
 * once without, side by side in one run (a section of `npm run bench`, bench/index.ts).
 *
 * What matters is the ratio between the two runs, measured on the same machine at the same
 * time, not the absolute numbers: the machine is shared and noisy.
 */
import { createGateway, type Gateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { dashboardQuery } from "./queries.js";

const DASHBOARDS = Number(process.env.BENCH_DASHBOARDS ?? 50);
const POLLS = Number(process.env.BENCH_POLLS ?? 6);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 25);

const QUERY = dashboardQuery();

interface Result {
  name: string;
  crispRequests: number;
  operations: number;
  errors: number;
  wallMs: number;
  p50Ms: number;
  p95Ms: number;
}

async function run(name: string, cache: boolean): Promise<Result> {
  const simulator = await startSimulator({ seed: 1, latencyMs: LATENCY_MS });
  const gateway: Gateway = createGateway({
    crisp: { baseUrl: simulator.url, ...simulator.credentials },
    defaultWebsiteId: simulator.defaultWebsiteId,
    ...(cache ? {} : { cache: false as const }),
    maxOperationCost: 10_000,
    // One process plays every dashboard: the per-client limit would count them as one client.
    operationsPerMinute: 0,
  });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  // Each dashboard polls POLLS times, one poll after the other; all dashboards at once.
  await Promise.all(
    Array.from({ length: DASHBOARDS }, async () => {
      for (let poll = 0; poll < POLLS; poll += 1) {
        const t0 = performance.now();
        const response = await gateway.yoga.fetch("http://bench/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: QUERY }),
        });
        const body = (await response.json()) as { errors?: unknown[] };
        if (body.errors) {
          errors += 1;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const crispRequests = simulator.requests.length;
  await gateway.stop();
  await simulator.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    name,
    crispRequests,
    operations: latencies.length,
    errors,
    wallMs,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
  };
}

/** Runs the dashboards benchmark; its section of docs/benchmarks.md. */
export async function benchDashboards(): Promise<string> {
  const uncached = await run(
    "cache: false (stores nothing; only in-flight requests are shared)",
    false,
  );
  const cached = await run("with the shared cache (defaults)", true);
  const row = (r: Result) =>
    `| ${r.name} | ${r.operations} | ${r.errors} | ${r.crispRequests} | ${(r.crispRequests / r.operations).toFixed(2)} | ${r.p50Ms.toFixed(0)} | ${r.p95Ms.toFixed(0)} | ${r.wallMs.toFixed(0)} |`;
  return `## Dashboards polling the README query

${DASHBOARDS} dashboards poll the README's dashboard query ${POLLS} times each, all at once,
against the embedded simulator answering every request after ${LATENCY_MS} ms. The two runs are
side by side in one process; compare their ratios, not absolute times (the machine is shared).

| Run | Operations | Errors | Crisp requests | Crisp requests per operation | p50 ms | p95 ms | Wall ms |
|---|---|---|---|---|---|---|---|
${row(uncached)}
${row(cached)}

- Each operation alone costs 38 Crisp requests (seed 1), so without any sharing the fleet would
  send ${uncached.operations * 38}.
- Crisp requests: ${uncached.crispRequests} when the cache stores nothing, ${cached.crispRequests} with it:
  **${(uncached.crispRequests / Math.max(1, cached.crispRequests)).toFixed(1)}× fewer**. With the cache, the
  whole fleet costs Crisp what one cold dashboard costs (38 requests for seed 1), because
  concurrent misses share one in-flight request and later polls hit the cache.
- Median latency: ${(uncached.p50Ms / Math.max(1, cached.p50Ms)).toFixed(1)}× lower with the cache.

Environment knobs: \`BENCH_DASHBOARDS\`, \`BENCH_POLLS\`, \`BENCH_LATENCY_MS\`.
`;
}
