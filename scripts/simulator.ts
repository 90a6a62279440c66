/**
 * `npm run simulator`: runs the embedded Crisp simulator on its own, for demos and for
 * pointing a gateway (or curl) at it. HOST, PORT and SIMULATOR_SEED set where and what.
 */

import { startSimulator } from "../src/simulator/index.js";

function readInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  if (!/^[0-9]+$/.test(raw)) {
    console.error(`${name} must be a non-negative integer, received "${raw}"`);
    process.exit(1);
  }
  return Number(raw);
}

const simulator = await startSimulator({
  host: process.env.HOST || "127.0.0.1",
  port: readInteger("PORT", 4100),
  seed: readInteger("SIMULATOR_SEED", 1),
});

const { identifier, key, tier } = simulator.credentials;
console.log(`Crisp simulator listening on ${simulator.url}`);
console.log(`  plugin identifier: ${identifier}`);
console.log(`  plugin key:        ${key}`);
console.log(`  tier:              ${tier}`);
console.log(`  default website:   ${simulator.defaultWebsiteId}`);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) {
    return;
  }
  closing = true;
  console.log(`${signal}: closing the simulator`);
  await simulator.close();
  process.exit(0);
}

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
