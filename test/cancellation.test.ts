import { afterAll, describe, expect, it } from "vitest";
import { SharedCache } from "../src/loaders/cache.js";
import { createGateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";

describe("the shared cache's in-flight loads", () => {
  it("aborts a load once every caller waiting for it has left, and not before", async () => {
    const cache = new SharedCache("test");
    let loadSignal: AbortSignal | undefined;
    const load = (signal: AbortSignal) => {
      loadSignal = signal;
      return new Promise<string>((resolve) => setTimeout(() => resolve("answer"), 200));
    };
    const a = new AbortController();
    const b = new AbortController();
    const first = cache.get(["website", "w"], load, undefined, a.signal);
    const second = cache.get(["website", "w"], load, undefined, b.signal);
    a.abort(new Error("a left"));
    await expect(first).rejects.toThrow("a left");
    expect(loadSignal?.aborted).toBe(false);
    b.abort(new Error("b left"));
    await expect(second).rejects.toThrow("b left");
    expect(loadSignal?.aborted).toBe(true);
  });

  it("lets a caller that stays get the answer another abandoned", async () => {
    const cache = new SharedCache("test");
    const load = () => new Promise<string>((resolve) => setTimeout(() => resolve("answer"), 50));
    const leaving = new AbortController();
    const abandoned = cache.get(["website", "w"], load, undefined, leaving.signal);
    const staying = cache.get(["website", "w"], load);
    leaving.abort(new Error("gone"));
    await expect(abandoned).rejects.toThrow("gone");
    await expect(staying).resolves.toBe("answer");
  });
});

describe("a client that disconnects", async () => {
  const simulator = await startSimulator({ seed: 1, latencyMs: 1_500 });
  const gateway = createGateway({
    crisp: { baseUrl: simulator.url, ...simulator.credentials },
    defaultWebsiteId: simulator.defaultWebsiteId,
  });
  const { url, origin } = await gateway.listen("127.0.0.1", 0);
  afterAll(async () => {
    await gateway.stop();
    await simulator.close();
  });
  const post = (query: string, signal?: AbortSignal) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
      ...(signal ? { signal } : {}),
    });
  /** Crisp requests the gateway gave up on (answered with nothing: status 0). */
  const abandonedRequests = async () => {
    const text = await (await fetch(`${origin}/metrics`)).text();
    return [...text.matchAll(/crisp_requests_total\{[^}]*status="0"\} (\d+)/g)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
  };

  it("aborts the Crisp request only it was waiting for", async () => {
    const controller = new AbortController();
    const leaving = post(`{ website { visitorCount { count } } }`, controller.signal).catch(
      () => "left",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await leaving;
    let abandoned = 0;
    for (let i = 0; i < 50 && abandoned === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      abandoned = await abandonedRequests();
    }
    expect(abandoned).toBe(1);
  });

  it("does not abort a Crisp request another client still waits for", async () => {
    const before = await abandonedRequests();
    const controller = new AbortController();
    const query = `{ website { operators { userId } } }`;
    const leaving = post(query, controller.signal).catch(() => "left");
    const staying = post(query);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await leaving;
    const answer = (await (await staying).json()) as {
      data?: { website: { operators: unknown[] } };
      errors?: unknown;
    };
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.website.operators.length).toBeGreaterThan(0);
    expect(await abandonedRequests()).toBe(before);
  });
});
