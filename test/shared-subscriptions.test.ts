/**
 * Many dashboards subscribing alike: identical subscriptions share one execution per event,
 * and opening them is limited per connection, not per client, so a thousand dashboards behind
 * one address or one API key are not refused.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startTestGateway } from "./helpers/gateway.js";
import { subscribe, wsClient } from "./helpers/live.js";

const t = await startTestGateway();
const { wsUrl, origin } = await t.gateway.listen("127.0.0.1", 0);
const W = t.simulator.defaultWebsiteId;
const [first, second] = t.simulator.store.listConversations(W, {});
const S1 = first?.session_id ?? "";
const S2 = second?.session_id ?? "";

async function executions(): Promise<number> {
  const metrics = await (await fetch(`${origin}/metrics`)).text();
  return Number(/^gateway_subscription_executions (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

const record = (sessionId: string, state: string) =>
  t.gateway.ingest(
    { name: "session:set_state", websiteId: W, sessionId, data: { state }, timestamp: Date.now() },
    { source: "hook", dedupeKey: randomUUID() },
  );

describe("identical subscriptions", () => {
  it("share one execution per event; a different one runs its own", async () => {
    const query = `subscription($s: ID) { conversationUpdated(websiteId: "${W}", sessionId: $s) { name conversation { sessionId state } } }`;
    const alike = Array.from({ length: 30 }, () =>
      subscribe<{ conversationUpdated: { conversation: { state: string } } }>(
        wsClient(wsUrl),
        query,
        { s: S1 },
      ),
    );
    const other = subscribe<{ conversationUpdated: { conversation: { sessionId: string } } }>(
      wsClient(wsUrl),
      query,
      { s: S2 },
    );
    await t.gateway.openSubscriptions(31);
    expect(await executions()).toBe(2);
    t.takeRequests();
    const recorded = await record(S1, "pending");
    const results = await Promise.all(alike.map(async (sub) => (await sub.take(1))[0]));
    const expected = {
      data: {
        conversationUpdated: {
          name: "session:set_state",
          conversation: { sessionId: S1, state: "PENDING" },
        },
      },
      extensions: {
        // The one execution's cost: the conversation, read once (the cache is off here).
        cost: { estimated: 1, crispRequests: 1, cacheHits: expect.any(Number) },
        eventId: recorded.recorded ? recorded.id : "",
      },
    };
    for (const result of results) {
      expect(result).toEqual(expected);
    }
    expect(t.takeRequests()).toEqual([`GET /website/${W}/conversation/${S1}`]);
    await record(S2, "resolved");
    expect((await other.take(1))[0]?.data?.conversationUpdated.conversation.sessionId).toBe(S2);
    // Leaving one by one: the execution stops with the last of them.
    for (const sub of alike.slice(1)) {
      sub.dispose();
    }
    await t.gateway.openSubscriptions(2);
    expect(await executions()).toBe(2);
    alike[0]?.dispose();
    other.dispose();
    await t.gateway.openSubscriptions(0);
    expect(await executions()).toBe(0);
  });
});

describe("opening subscriptions", () => {
  it("is limited per connection: many connections from one address are all let in, one connection in a loop is not", async () => {
    const limited = await startTestGateway({}, { operationsPerMinute: 3 });
    const { wsUrl: limitedWs } = await limited.gateway.listen("127.0.0.1", 0);
    const query = `subscription { crispEvents(websiteId: "${W}") { id } }`;
    const dashboards = Array.from({ length: 12 }, () => subscribe(wsClient(limitedWs), query));
    await limited.gateway.openSubscriptions(12);
    for (const dashboard of dashboards) {
      dashboard.dispose();
    }
    await limited.gateway.openSubscriptions(0);
    const one = wsClient(limitedWs);
    const opened = Array.from({ length: 3 }, () => subscribe(one, query));
    await limited.gateway.openSubscriptions(3);
    const refused = subscribe(one, query);
    const [answer] = await refused.take(1);
    expect(answer?.errors?.[0]?.extensions).toMatchObject({
      code: "RATE_LIMITED",
      retryAfter: expect.any(Number),
    });
    expect(answer?.errors?.[0]?.message).toMatch(/over this connection/);
    for (const sub of opened) {
      sub.dispose();
    }
  });
});
