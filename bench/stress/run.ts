/**
 * `npm run stress`: the hostile loads the CI-sized tests only sample (test/fuzz-volume.test.ts,
 * test/http-limits.test.ts…), each against a fresh in-process gateway on 127.0.0.1 and capped
 * in time, one after the other. Writes docs/stress.md with what it measured; exits 1 if
 * anything that must hold did not.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import type { Figure } from "./harness.js";
import { connections, flood, hostileDocuments, slowClients } from "./http.js";
import { crispFaults, redisOutage, subscriptions } from "./upstream.js";

if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.error("Run with node --expose-gc (npm run stress does).");
  process.exit(2);
}

const scenarios: [string, () => Promise<Figure>][] = [
  ["slow clients", slowClients],
  ["flood", flood],
  ["connections", connections],
  ["subscriptions", subscriptions],
  ["hostile documents", hostileDocuments],
  ["redis", redisOutage],
  ["crisp faults", crispFaults],
];
const only = process.env.STRESS_ONLY?.split(",");
const figures: Figure[] = [];
const started = performance.now();
for (const [name, scenario] of scenarios) {
  if (only !== undefined && !only.includes(name)) {
    continue;
  }
  console.log(`stress: ${name}…`);
  const figure = await scenario();
  figures.push(figure);
  console.log(
    `  ${figure.ok ? "held" : "FAILED"} in ${figure.seconds.toFixed(1)} s: ${figure.outcome}`,
  );
}
const total = (performance.now() - started) / 1000;
const cell = (text: string) => text.replaceAll("|", "\\|");
const report = `# Stress

Produced by \`npm run stress\` (bench/stress/) on ${new Date().toISOString().slice(0, 10)}, Node
${process.version}, ${cpus().length} CPUs (shared with other work: read the figures as orders
of magnitude). Every scenario runs a fresh gateway in the script's own process, in front of the
embedded simulator, on 127.0.0.1 only, and is capped in time; the whole run took
${total.toFixed(0)} s. Re-run it to refresh this file; \`STRESS_ONLY=flood,redis\` runs some.

The CI-sized forms of the same properties are tests: \`test/fuzz-volume.test.ts\` (50,000
fuzzed requests), \`test/http-limits.test.ts\`, \`test/hostile-documents.test.ts\`,
\`test/transport-rules.test.ts\`, \`test/redis-outage.test.ts\`, \`test/upstream-guard.test.ts\`.
The limits themselves are described in [configuration.md](configuration.md).

| Scenario | Load | What held | Seconds | Held |
|---|---|---|---|---|
${figures.map((f) => `| ${f.scenario} | ${cell(f.load)} | ${cell(f.outcome)} | ${f.seconds.toFixed(1)} | ${f.ok ? "yes" : "**no**"} |`).join("\n")}

What each must show:

- **Slow clients**: every slow connection is answered 408 and closed once
  \`HTTP_REQUEST_TIMEOUT_MS\` passes (Node's default held them 300 s), while other clients are
  served.
- **Flood**: one client past \`GATEWAY_OPERATIONS_PER_MINUTE\` gets 429 with \`retryAfter\`,
  never a 5xx, and costs Crisp nothing more than the cache's misses.
- **Connections**: past \`HTTP_MAX_CONNECTIONS\` new connections are closed as soon as they are
  accepted, and the gateway still reaches Crisp (its own sockets are not starved of file
  descriptors).
- **Subscriptions**: the caps per socket and per client hold; the heap and one hook's fan-out
  stay small (heap figures are the whole process's after full collections, the clients' own
  state included, so they move by tens of MB from run to run; without the caps one socket's
  10,000 subscriptions took +366 MB and a hook 778 ms).
- **Hostile documents**: nothing an anonymous client sends is parsed or cached; what an
  authenticated one sends is cached within the parser cache's bound.
- **Redis killed**: reads keep being answered (from the cache or Crisp), the guard and the rate
  limit falling back to per-instance memory.
- **Crisp faults**: only coded errors (never a 5xx or "Unexpected error."); a 423 on conversation
  creation holds back creations only; reads answer again soon after Crisp does.
`;
writeFileSync(new URL("../../docs/stress.md", import.meta.url), report);
console.log(`\nWrote docs/stress.md (${total.toFixed(0)} s).`);
process.exit(figures.every((figure) => figure.ok) ? 0 : 1);
