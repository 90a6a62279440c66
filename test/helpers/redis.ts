import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { afterAll, onTestFinished } from "vitest";

/** A free loopback port, for a server of the test's own. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === "string") {
    throw new Error("no port");
  }
  return address.port;
}

/**
 * A redis-server of the test's own on `port` (tests that kill Redis must not kill the
 * machine's), resolved once it accepts connections; killed after the test (or, started outside
 * a test, after the file: `scope: "file"`).
 */
export async function startRedis(
  port: number,
  { scope = "test" }: { scope?: "test" | "file" } = {},
): Promise<ChildProcess> {
  const redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  (scope === "file" ? afterAll : onTestFinished)(() => {
    redis.kill("SIGKILL");
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    redis.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        resolve();
      }
    });
    redis.once("exit", () => reject(new Error(`redis-server exited:\n${output}`)));
  });
  return redis;
}

/** Kills a redis-server and resolves once it is gone. */
export async function killRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null || redis.signalCode !== null) {
    return;
  }
  const exited = once(redis, "exit");
  redis.kill("SIGKILL");
  await exited;
}
