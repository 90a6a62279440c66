import { createClient } from "graphql-ws";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { createGateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { createEventBus } from "../src/subscriptions/event-bus.js";
import { queryGateway } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

/**
 * Runs against the real Redis of the machine (REDIS_URL, default redis://127.0.0.1:6379).
 * It fails, never skips, when Redis is missing: .ci/run starts one first.
 */
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe("two gateway instances on one Redis", () => {
  it("relays a hook posted to one instance to a subscriber of the other", async () => {
    const simulator = await startSimulator({ seed: 1 });
    const W = simulator.defaultWebsiteId;
    const start = async () => {
      const gateway = createGateway({
        crisp: { baseUrl: simulator.url, ...simulator.credentials },
        hooks: { secret: HOOK_SECRET },
        events: await createEventBus({ redisUrl: REDIS_URL }),
      });
      return { gateway, ...(await gateway.listen("127.0.0.1", 0)) };
    };
    const a = await start();
    const b = await start();
    const client = createClient({
      url: b.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    onTestFinished(async () => {
      await client.dispose();
      await a.gateway.stop();
      await b.gateway.stop();
      await simulator.close();
    });

    const session = simulator.store.listConversations(W, {})[0]?.session_id ?? "";
    const received = new Promise<unknown>((resolve, reject) => {
      client.subscribe(
        {
          query: `subscription($w: ID!) { crispEvents(websiteId: $w, names: ["session:set_state"]) { name sessionId data } }`,
          variables: { w: W },
        },
        { next: (value) => resolve(value.data), error: reject, complete: () => undefined },
      );
    });
    // The subscription must reach Redis on instance b before the hook reaches instance a.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answer = await postPluginHook(
      a.hookUrl,
      hookBody(W, "session:set_state", {
        session_id: session,
        state: "resolved",
        marker: Math.random(),
      }),
    );
    expect(answer.status).toBe(200);
    expect(await received).toEqual({
      crispEvents: {
        name: "session:set_state",
        sessionId: session,
        data: expect.objectContaining({ state: "resolved" }),
      },
    });
  });

  it("refreshes the cache of the other instance too", async () => {
    const simulator = await startSimulator({ seed: 1 });
    const W = simulator.defaultWebsiteId;
    const start = async () => {
      const gateway = createGateway({
        crisp: { baseUrl: simulator.url, ...simulator.credentials },
        defaultWebsiteId: W,
        hooks: { secret: HOOK_SECRET },
        events: await createEventBus({ redisUrl: REDIS_URL }),
      });
      return { gateway, ...(await gateway.listen("127.0.0.1", 0)) };
    };
    const a = await start();
    const b = await start();
    onTestFinished(async () => {
      await a.gateway.stop();
      await b.gateway.stop();
      await simulator.close();
    });
    const session = simulator.store.listConversations(W, {})[1]?.session_id ?? "";
    const query = `query($s: ID!) { website { conversation(sessionId: $s) { state } } }`;
    await queryGateway(b.gateway, query, { s: session });
    simulator.clearRequests();
    await queryGateway(b.gateway, query, { s: session });
    expect(simulator.requests).toEqual([]);
    const answer = await postPluginHook(
      a.hookUrl,
      hookBody(W, "session:set_state", {
        session_id: session,
        state: "pending",
        marker: Math.random(),
      }),
    );
    expect(answer.status).toBe(200);
    // Instance b learns of the hook through Redis: poll its effect rather than sleep blindly.
    for (let i = 0; i < 50 && simulator.requests.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await queryGateway(b.gateway, query, { s: session });
    }
    expect(simulator.requests.map((r) => `${r.method} ${r.path}`)).toContain(
      `GET /website/${W}/conversation/${session}`,
    );
  });

  it("refuses to start when Redis cannot be reached, rather than losing events later", async () => {
    await expect(
      createEventBus({ redisUrl: "redis://127.0.0.1:1", onError: () => undefined }),
    ).rejects.toThrow(/REDIS_URL: cannot connect to Redis/);
  });
});
