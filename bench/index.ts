/**
 * `npm run bench`: every benchmark side by side in one run, on loopback, bounded in time;
 * writes docs/benchmarks.md and prints it. Compare ratios within one run, not absolute times
 * across runs: the machine is shared and noisy.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { benchCold } from "./cold.js";
import { benchDashboards } from "./dashboards.js";
import { benchLive } from "./live.js";
import { benchWarm } from "./warm.js";

// No warning on the hot path (issue 12.6): a MaxListenersExceededWarning fails the run.
const listenerWarnings: string[] = [];
process.on("warning", (warning) => {
  if (warning.name === "MaxListenersExceededWarning") {
    listenerWarnings.push(warning.message);
  }
});

const started = performance.now();
const cold = await benchCold();
const warm = await benchWarm();
const live = await benchLive();
const dashboards = await benchDashboards();
// Warnings are emitted on the next tick: let the last ones arrive.
await new Promise<void>((resolve) => setImmediate(resolve));
const report = `# Benchmarks

Produced by \`npm run bench\` (bench/index.ts) on ${new Date().toISOString().slice(0, 10)},
Node ${process.version}, ${cpus().length} CPUs, in ${((performance.now() - started) / 1000).toFixed(0)} s
(with \`REDIS_URL=${process.env.REDIS_URL ?? "(unset)"}\`).
Re-run it to refresh this file. MaxListenersExceededWarning during the run: ${listenerWarnings.length === 0 ? "none" : listenerWarnings.length}.

${cold}
${warm}
${live}
${dashboards}`;
writeFileSync(new URL("../docs/benchmarks.md", import.meta.url), report);
console.log(report);
if (listenerWarnings.length > 0) {
  console.error(
    `MaxListenersExceededWarning emitted during the run:\n${listenerWarnings.join("\n")}`,
  );
  process.exitCode = 1;
}
