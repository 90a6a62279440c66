import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterThis } from "./cleanup.js";

/** A free loopback port, for a Redis of the test's own. */
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
 * A redis-server of the test's own on a free port (tests that kill Redis must not kill the
 * machine's), killed after the test that started it (after the file, when started outside a
 * test: `afterThis`). With `persist`, it
 * keeps an append-only file synced on every write in a directory of its own, so `restart()`
 * (after `kill()`) brings back what it had acknowledged, as a production Redis with AOF does.
 */
export async function startRedis({ persist = false }: { persist?: boolean } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "gateway-redis-"));
  let server: ChildProcess | undefined;
  const start = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
    args.push(
      ...(persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    );
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "inherit"] });
    server = child;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          resolve();
        }
      });
      child.once("exit", () => reject(new Error(`redis-server exited:\n${output}`)));
    });
  };
  await start();
  const kill = async () => {
    const child = server;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }
  };
  afterThis(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `redis://127.0.0.1:${port}`, port, kill, restart: start };
}
