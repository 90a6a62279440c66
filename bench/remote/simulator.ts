/**
 * The cold benchmarks' Crisp: the simulator in a child process (simulator-process.ts), so that
 * every client measured (the gateway, the `crisp-api` SDK, hand-written undici) pays only its
 * own CPU time and the simulator's latency, as against Crisp's own machines; in one process, the
 * simulator's work on 38 parallel answers lands on the measured client's event loop.
 */
import { fork } from "node:child_process";
import type { SimulatorKnobs, SimulatorRequest } from "../../src/simulator/index.js";

export type SimulatorCall = { id: number } & (
  | { op: "requests" }
  | { op: "clearRequests" }
  | { op: "configure"; knobs: Partial<SimulatorKnobs> }
  | { op: "seedHistory"; index: number; count: number }
);

/** Distributes `Omit` over the union, keeping each call's own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

export type SimulatorReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

export interface SimulatorStarted {
  ready: {
    url: string;
    credentials: { identifier: string; key: string; tier: "plugin" };
    defaultWebsiteId: string;
  };
}

export interface RemoteSimulator {
  url: string;
  credentials: { identifier: string; key: string; tier: "plugin" };
  defaultWebsiteId: string;
  /** Every request served since the last `clearRequests`, in arrival order. */
  requests(): Promise<SimulatorRequest[]>;
  clearRequests(): Promise<void>;
  configure(knobs: Partial<SimulatorKnobs>): Promise<void>;
  /** Replaces the `index`th conversation's history with `count` messages; its session id. */
  seedHistory(index: number, count: number): Promise<string>;
  close(): Promise<void>;
}

export async function startRemoteSimulator(options: {
  seed: number;
  latencyMs: number;
}): Promise<RemoteSimulator> {
  const child = fork(
    new URL("./simulator-process.ts", import.meta.url),
    [JSON.stringify(options)],
    {
      execArgv: ["--import", import.meta.resolve("tsx")],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const started = await new Promise<SimulatorStarted["ready"]>((resolve, reject) => {
    child.once("message", (message: SimulatorStarted) => resolve(message.ready));
    void exited.then((code) =>
      reject(new Error(`the simulator process exited (${code}) before it started`)),
    );
  });
  child.on("message", (reply: SimulatorReply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) {
      waiter?.resolve(reply.value);
    } else {
      waiter?.reject(new Error(`simulator process: ${reply.error}`));
    }
  });
  void exited.then((code) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`the simulator process exited (${code})`));
    }
    pending.clear();
  });
  const call = (message: WithoutId<SimulatorCall>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...message, id });
    });
  return {
    ...started,
    requests: async () => (await call({ op: "requests" })) as SimulatorRequest[],
    clearRequests: async () => {
      await call({ op: "clearRequests" });
    },
    configure: async (knobs) => {
      await call({ op: "configure", knobs });
    },
    seedHistory: async (index, count) =>
      (await call({ op: "seedHistory", index, count })) as string,
    close: async () => {
      child.disconnect();
      await exited;
    },
  };
}
