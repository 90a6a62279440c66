import { afterAll, describe, expect, it } from "vitest";
import { SharedCache } from "../src/loaders/cache.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn, nextRequest } from "./helpers/gateway.js";

/** A load the test answers when it chooses (no timer decides the order). */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe("the shared cache's in-flight loads", () => {
  it("aborts a load once every caller waiting for it has left, and not before", async () => {
    const cache = new SharedCache("test");
    let loadSignal: AbortSignal | undefined;
    const answer = deferred<string>();
    const load = (signal: AbortSignal) => {
      loadSignal = signal;
      return answer.promise;
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
    answer.resolve("answer");
  });

  it("lets a caller that stays get the answer another abandoned", async () => {
    const cache = new SharedCache("test");
    const answer = deferred<string>();
    const load = () => answer.promise;
    const leaving = new AbortController();
    const abandoned = cache.get(["website", "w"], load, undefined, leaving.signal);
    const staying = cache.get(["website", "w"], load);
    leaving.abort(new Error("gone"));
    await expect(abandoned).rejects.toThrow("gone");
    answer.resolve("answer");
    await expect(staying).resolves.toBe("answer");
  });
});

// The simulator holds each request 1.5 s, so a client can leave while it waits; a query that
// reads twice in a row takes 3 s.
describe("a client that disconnects", { timeout: 15_000 }, async () => {
  // Long enough that a request is still at the simulator when its client leaves.
  const simulator = await startSimulator({ seed: 1, latencyMs: 1_500 });
  afterAll(() => simulator.close());
  const gateway = gatewayOn(simulator);
  const { url, origin } = await gateway.listen("127.0.0.1", 0);
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
    const arrived = nextRequest(simulator, "arrived");
    const leaving = post(`{ website { visitorCount { count } } }`, controller.signal).catch(
      () => "left",
    );
    const request = await arrived;
    // The simulator sees the gateway close the connection after the gateway counted it.
    const abandoned = nextRequest(simulator, "abandoned", (seen) => seen === request);
    controller.abort();
    await leaving;
    await abandoned;
    expect(await abandonedRequests()).toBe(1);
  });

  it("does not abort a Crisp request another client still waits for", async () => {
    const before = await abandonedRequests();
    const controller = new AbortController();
    const query = `{ website { operators { userId } } }`;
    const arrived = nextRequest(simulator, "arrived");
    const leaving = post(query, controller.signal).catch(() => "left");
    const staying = post(query);
    await arrived;
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
