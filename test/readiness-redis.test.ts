import { describe, expect, it } from "vitest";
import { printedUrl, startGateway } from "./helpers/process.js";
import { startRedis } from "./helpers/redis.js";

// Starts its own redis-server and a gateway child process, then kills the Redis.
describe("GET /ready with Redis", { timeout: 30_000 }, () => {
  it("answers 503 naming Redis once it is gone, while /health stays 200; the gateway still stops cleanly", async () => {
    const redis = await startRedis();
    const gateway = startGateway({
      PORT: "0",
      DEMO_ACTIVITY_MS: "0",
      REDIS_URL: redis.url,
    });
    const url = await printedUrl(gateway);
    const origin = new URL(url).origin;
    expect((await fetch(`${origin}/ready`)).status).toBe(200);

    await redis.kill();
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
