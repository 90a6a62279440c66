/**
 * `npm run bench`: every benchmark side by side in one run, on loopback, bounded in time;
 * writes docs/benchmarks.md and prints it. Compare ratios within one run, not absolute times
 * across runs: the machine is shared and noisy.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { benchDashboards } from "./dashboards.js";
import { benchLive } from "./live.js";

const started = performance.now();
const live = await benchLive();
const dashboards = await benchDashboards();
const report = `# Benchmarks

Produced by \`npm run bench\` (bench/index.ts) on ${new Date().toISOString().slice(0, 10)},
Node ${process.version}, ${cpus().length} CPUs, in ${((performance.now() - started) / 1000).toFixed(0)} s.
Re-run it to refresh this file.

${live}
${dashboards}`;
writeFileSync(new URL("../docs/benchmarks.md", import.meta.url), report);
console.log(report);
