/**
 * What every stress scenario shares: an in-process gateway on a fresh simulator (loopback
 * only), a time cap, percentiles, and the heap after full collections (`node --expose-gc`).
 */
import {
  createGateway,
  type Gateway,
  type GatewayAddress,
  type GatewayOptions,
} from "../../src/server.js";
import {
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../src/simulator/index.js";

export interface Figure {
  scenario: string;
  /** What was done, in words and numbers. */
  load: string;
  /** What held, measured. */
  outcome: string;
  seconds: number;
  /** Whether what must hold held. */
  ok: boolean;
}

export interface Stressed {
  simulator: Simulator;
  gateway: Gateway;
  address: GatewayAddress;
  close(): Promise<void>;
}

/** A gateway listening on 127.0.0.1 in front of its own simulator. */
export async function startStressed(
  gatewayOptions: Partial<GatewayOptions> = {},
  simulatorOptions: SimulatorOptions = {},
): Promise<Stressed> {
  const simulator = await startSimulator({ seed: 1, ...simulatorOptions });
  const gateway = createGateway({
    crisp: { baseUrl: simulator.url, ...simulator.credentials },
    defaultWebsiteId: simulator.defaultWebsiteId,
    demo: true,
    ...gatewayOptions,
  });
  const address = await gateway.listen("127.0.0.1", 0);
  return {
    simulator,
    gateway,
    address,
    close: async () => {
      await gateway.stop();
      await simulator.close();
    },
  };
}

/** Runs `work` for at most `capMs`; resolves with whether it finished in time. */
export async function capped(
  capMs: number,
  work: (signal: AbortSignal) => Promise<void>,
): Promise<boolean> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(false);
    }, capMs);
  });
  try {
    return await Promise.race([work(controller.signal).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) {
    return 0;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Heap used after full collections, MB. */
export function settledHeapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i += 1) {
    gc?.();
  }
  return process.memoryUsage().heapUsed / 1_048_576;
}

export const seconds = (startedMs: number) => (performance.now() - startedMs) / 1000;

/** Counts values into a `{ value: count }` text, e.g. "200×1,204, 429×18,796". */
export function tally(values: Iterable<string | number>): string {
  const counts = new Map<string, number>();
  for (const value of values) {
    counts.set(String(value), (counts.get(String(value)) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([value, count]) => `${value}×${count.toLocaleString("en")}`)
    .join(", ");
}

export const n = (value: number) => Math.round(value).toLocaleString("en");
