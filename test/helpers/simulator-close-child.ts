/**
 * Run in a child process by `simulator-hooks.test.ts`: a simulator with live activity and a
 * hook target that never answers, closed after a moment. The process must then exit on its
 * own; it prints what was still active after `close()`.
 */

import { startSimulator } from "../../src/simulator/index.js";
import { deadUrl } from "./simulator-hook-receiver.js";

const simulator = await startSimulator({
  hooks: { url: await deadUrl(), kind: "plugin", secret: "child-secret" },
  // A retry waiting a minute: close() must cut it short.
  assumptions: { hookRetryDelaysMs: [60_000] },
  liveActivity: { intervalMs: 5 },
});
// The first attempt failed: its 60 s retry is pending when close() comes.
await new Promise<void>((resolve) => {
  const stop = simulator.onHookDelivery(() => {
    stop();
    resolve();
  });
});
await simulator.close();
// Closed handles leave the active list in the loop's close phase, after close() resolves.
await new Promise((resolve) => setImmediate(resolve));
await new Promise((resolve) => setImmediate(resolve));
const attempts = simulator.hookDeliveries.length;
const active = process
  .getActiveResourcesInfo()
  .filter((name) => name === "Timeout" || name.startsWith("TCP"));
process.stdout.write(`${JSON.stringify({ attempts, active })}\n`);
