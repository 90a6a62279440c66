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
await new Promise((resolve) => setTimeout(resolve, 150));
await simulator.close();
// Handles leave the active list a moment after their close callbacks.
await new Promise((resolve) => setTimeout(resolve, 20));
const attempts = simulator.hookDeliveries.length;
const active = process
  .getActiveResourcesInfo()
  .filter((name) => name === "Timeout" || name.startsWith("TCP"));
process.stdout.write(`${JSON.stringify({ attempts, active })}\n`);
