/**
 * The warm benchmark's clients: load-process.ts in a child process per slice of load.
 */
import { fork } from "node:child_process";

export interface LoadPlan {
  origin: string;
  /** How long to keep the connections busy, ms. */
  ms: number;
  connections: number;
  path: string;
  /** The JSON body of every request. */
  body: string;
}

/** What one child measured: every answer's latency, ms. */
export interface LoadSlice {
  latencies: number[];
  /** Answers that were not 200, or carried GraphQL errors. */
  errors: number;
  elapsedMs: number;
}

export interface Load {
  requests: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs load-process.ts in a child process and returns what it measured. */
export function loadFromChild(plan: LoadPlan): Promise<LoadSlice> {
  const child = fork(new URL("./load-process.ts", import.meta.url), [JSON.stringify(plan)], {
    execArgv: ["--import", import.meta.resolve("tsx")],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise<LoadSlice>((resolve, reject) => {
    let slice: LoadSlice | undefined;
    child.once("message", (message: LoadSlice) => {
      slice = message;
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      slice === undefined
        ? reject(new Error(`the load generator exited (${code}) without a result`))
        : resolve(slice),
    );
  });
}

/** Several slices of one server's load as one: throughput over their time, latency over all. */
export function combine(slices: LoadSlice[]): Load {
  const latencies = slices.flatMap((slice) => slice.latencies).sort((a, b) => a - b);
  const elapsedMs = slices.reduce((sum, slice) => sum + slice.elapsedMs, 0);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors: slices.reduce((sum, slice) => sum + slice.errors, 0),
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}
