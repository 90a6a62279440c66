import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { printedUrl, startGateway } from "./helpers/process.js";

/** A free loopback port, for a Redis of this test's own. */
async function freePort(): Promise<number> {
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

/** A redis-server of this test's own, resolved once it accepts connections. */
async function startRedis(port: number) {
  const redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  onTestFinished(() => {
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

describe("GET /ready with Redis", () => {
  it("answers 503 naming Redis once it is gone, while /health stays 200; the gateway still stops cleanly", async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    const gateway = startGateway({
      PORT: "0",
      DEMO_ACTIVITY_MS: "0",
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    const url = await printedUrl(gateway);
    const origin = new URL(url).origin;
    expect((await fetch(`${origin}/ready`)).status).toBe(200);

    redis.kill("SIGKILL");
    await once(redis, "exit");
    // ioredis reports the lost connection (and stops calling itself ready) before it retries.
    await gateway.waitFor(/Redis (guard store|event log): /);
    const response = await fetch(`${origin}/ready`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as {
      ready: boolean;
      problems: { component: string; reason: string }[];
    };
    expect(body.ready).toBe(false);
    expect(body.problems).toEqual(
      expect.arrayContaining([
        {
          component: "redis",
          reason: expect.stringMatching(/^Redis is unreachable \(.*connection \w+\)\.$/),
        },
      ]),
    );
    expect((await fetch(`${origin}/health`)).status).toBe(200);

    gateway.child.kill("SIGTERM");
    expect(await gateway.exited()).toBe(0);
  });
});
