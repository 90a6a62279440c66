import { randomUUID } from "node:crypto";
import { createClient } from "graphql-ws";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { createRedisEventLog } from "../src/events/redis-log.js";
import { type Simulator, startSimulator } from "../src/simulator/index.js";
import { gatewayOn, queryGateway } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

/**
 * Runs against the real Redis of the machine (REDIS_URL, default redis://127.0.0.1:6379).
 * It fails, never skips, when Redis is missing: .ci/run starts one first. Each test records
 * into a stream of its own scope, so runs never see each other's events.
 */
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Two (or more) gateways on one simulator and one Redis stream, stopped after the test. */
async function fleet(simulator: Simulator, count: number) {
  const scope = `test-${randomUUID()}`;
  const instances = [];
  for (let index = 0; index < count; index += 1) {
    const gateway = gatewayOn(simulator, {
      hooks: { secret: HOOK_SECRET },
      events: await createRedisEventLog({ redisUrl: REDIS_URL, scope }),
    });
    instances.push({ gateway, scope, ...(await gateway.listen("127.0.0.1", 0)) });
  }
  return instances;
}

describe("gateway instances on one Redis", () => {
  it("relays a hook posted to one instance to a subscriber of the other", async () => {
    const simulator = await startSimulator({ seed: 1 });
    onTestFinished(() => simulator.close());
    const W = simulator.defaultWebsiteId;
    const [a, b] = await fleet(simulator, 2);
    if (a === undefined || b === undefined) {
      throw new Error("no fleet");
    }
    const client = createClient({ url: b.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    onTestFinished(() => client.dispose());

    const session = simulator.store.listConversations(W, {})[0]?.session_id ?? "";
    const received = new Promise<unknown>((resolve, reject) => {
      client.subscribe(
        {
          query: `subscription($w: ID!) { crispEvents(websiteId: $w, names: ["session:set_state"]) { id name sessionId data } }`,
          variables: { w: W },
        },
        { next: (value) => resolve(value.data), error: reject, complete: () => undefined },
      );
    });
    await b.gateway.openSubscriptions(1);
    const answer = await postPluginHook(
      a.hookUrl,
      hookBody(W, "session:set_state", { session_id: session, state: "resolved" }),
    );
    expect(answer.status).toBe(200);
    expect(await received).toEqual({
      crispEvents: {
        id: answer.body.id,
        name: "session:set_state",
        sessionId: session,
        data: expect.objectContaining({ state: "resolved" }),
      },
    });
  });

  it("relays a redelivery reaching the other instance once, acknowledging it on both", async () => {
    const simulator = await startSimulator({ seed: 1 });
    onTestFinished(() => simulator.close());
    const W = simulator.defaultWebsiteId;
    const [a, b] = await fleet(simulator, 2);
    if (a === undefined || b === undefined) {
      throw new Error("no fleet");
    }
    const session = simulator.store.listConversations(W, {})[0]?.session_id ?? "";
    const body = JSON.stringify(
      hookBody(W, "session:set_state", { session_id: session, state: "pending" }),
    );
    const first = await postPluginHook(a.hookUrl, undefined, { rawBody: body });
    // Crisp retries with a new timestamp (and so a new signature), possibly to another instance.
    const retry = await postPluginHook(b.hookUrl, undefined, {
      rawBody: body,
      timestamp: String(Date.now() + 1_000),
    });
    expect(first).toEqual({ status: 200, body: { ok: true, id: expect.any(String) } });
    expect(retry).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    // Recorded once in the stream both instances follow.
    const log = await createRedisEventLog({ redisUrl: REDIS_URL, scope: a.scope });
    onTestFinished(() => log.close());
    expect((await log.range(null, 10)).map((event) => [event.id, event.name])).toEqual([
      [first.body.id, "session:set_state"],
    ]);
  });

  it("applies a hook posted to one instance to the cache of the other, with no Crisp request", async () => {
    const simulator = await startSimulator({ seed: 1 });
    onTestFinished(() => simulator.close());
    const W = simulator.defaultWebsiteId;
    const [a, b] = await fleet(simulator, 2);
    if (a === undefined || b === undefined) {
      throw new Error("no fleet");
    }
    const session = simulator.store.listConversations(W, {})[1]?.session_id ?? "";
    const query = `query($s: ID!) { website { conversation(sessionId: $s) { state } } }`;
    await queryGateway(b.gateway, query, { s: session });
    simulator.clearRequests();
    const answer = await postPluginHook(
      a.hookUrl,
      hookBody(W, "session:set_state", { session_id: session, state: "pending" }),
    );
    expect(answer.status).toBe(200);
    await b.gateway.eventApplied(String(answer.body.id));
    const after = await queryGateway<{ website: { conversation: { state: string } } }>(
      b.gateway,
      query,
      { s: session },
    );
    expect(after.data?.website.conversation.state).toBe("PENDING");
    expect(simulator.requests).toEqual([]);
  });

  it("refuses to start when Redis cannot be reached, rather than losing events later", async () => {
    await expect(
      createRedisEventLog({
        redisUrl: "redis://127.0.0.1:1",
        scope: "unreachable",
        report: () => undefined,
      }),
    ).rejects.toThrow(/REDIS_URL: cannot connect to Redis/);
  });
});
