import { afterAll, describe, expect, it } from "vitest";
import type { GatewayOptions } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn, queryGateway, sorted } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

const simulator = await startSimulator({ seed: 1 });
const W = simulator.defaultWebsiteId;
afterAll(() => simulator.close());

async function cachedGateway(options: GatewayOptions["cache"] = {}) {
  const gateway = gatewayOn(simulator, {
    hooks: { secret: HOOK_SECRET },
    cache: options,
  });
  const { hookUrl } = await gateway.listen("127.0.0.1", 0);
  return { gateway, hookUrl };
}

function takeRequests(): string[] {
  const served = simulator.requests.map((request) => `${request.method} ${request.url}`);
  simulator.clearRequests();
  return served;
}

const DASHBOARD = `{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

// 200 concurrent operations through one gateway: CPU-bound, seconds on a busy 2-core machine.
describe("the shared cache", { timeout: 20_000 }, () => {
  it("sends the Crisp requests of one dashboard query for 200 concurrent identical ones on a cold cache", async () => {
    const reference = gatewayOn(simulator, {
      cache: false,
    });
    takeRequests();
    await queryGateway(reference, DASHBOARD);
    const one = sorted(takeRequests());

    const { gateway } = await cachedGateway();
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => queryGateway(gateway, DASHBOARD)),
    );
    expect(answers.every((answer) => answer.errors === undefined)).toBe(true);
    expect(new Set(answers.map((answer) => JSON.stringify(answer.data))).size).toBe(1);
    expect(sorted(takeRequests())).toEqual(one);
  });

  it("answers a warm dashboard with no Crisp request at all", async () => {
    const { gateway } = await cachedGateway();
    await queryGateway(gateway, DASHBOARD);
    takeRequests();
    const warm = await queryGateway<{ gateway: { cacheHits: number } }>(gateway, DASHBOARD);
    expect(warm.errors).toBeUndefined();
    expect(takeRequests()).toEqual([]);
  });

  it("never stores a failure: the next query asks Crisp again", async () => {
    const { gateway } = await cachedGateway();
    simulator.configure({ errors: { status: 503, rate: 1 } });
    const failed = await queryGateway(gateway, "{ website { name } }");
    simulator.configure({ errors: null });
    expect(failed.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    takeRequests();
    const retried = await queryGateway(gateway, "{ website { name } }");
    expect(retried.errors).toBeUndefined();
    expect(takeRequests()).toEqual([`GET /website/${W}`]);
  });

  it("stays within its entry bound", async () => {
    const { gateway } = await cachedGateway({ maxEntries: 5 });
    await queryGateway(gateway, DASHBOARD);
    takeRequests();
    await queryGateway(gateway, DASHBOARD);
    // With room for 5 entries most of the 38 loads must be fetched again.
    expect(takeRequests().length).toBeGreaterThan(30);
  });
});

describe("web hooks keep the cache true", () => {
  const page = simulator.store.listConversations(W, {}).slice(0, 20);
  const S = page[2]?.session_id ?? "";

  it("a message event is applied to the conversation's messages and the page holding it: no Crisp request", async () => {
    const { gateway, hookUrl } = await cachedGateway();
    await queryGateway(gateway, DASHBOARD);
    const message = simulator.store.messages(W, S)?.at(-1);
    const answer = await postPluginHook(
      hookUrl,
      hookBody(W, "message:send", {
        ...message,
        session_id: S,
        fingerprint: 111222333444555,
        content: "Carried by the event",
        timestamp: Date.now(),
      }),
    );
    expect(answer.status).toBe(200);
    await gateway.eventApplied(String(answer.body.id));
    takeRequests();
    const after = await queryGateway<{
      website: {
        conversations: { nodes: { sessionId: string; messages: { nodes: { text: string }[] } }[] };
      };
    }>(gateway, DASHBOARD);
    expect(takeRequests()).toEqual([]);
    const [first] = after.data?.website.conversations.nodes ?? [];
    expect(first?.sessionId).toBe(S);
    expect(first?.messages.nodes.at(-1)?.text).toBe("Carried by the event");
  });

  it("a session event shows the new state at once, with no Crisp request", async () => {
    const { gateway, hookUrl } = await cachedGateway();
    const query = `query($s: ID!) { website { conversation(sessionId: $s) { state messages(last: 1) { nodes { fingerprint } } } } }`;
    await queryGateway(gateway, query, { s: S });
    const next =
      simulator.store.conversation(W, S)?.state === "resolved" ? "unresolved" : "resolved";
    await fetch(`${simulator.url}/website/${W}/conversation/${S}/state`, {
      method: "PATCH",
      headers: {
        authorization: `Basic ${Buffer.from(`${simulator.credentials.identifier}:${simulator.credentials.key}`).toString("base64")}`,
        "x-crisp-tier": "plugin",
        "content-type": "application/json",
      },
      body: JSON.stringify({ state: next }),
    });
    takeRequests();
    const stale = await queryGateway<{ website: { conversation: { state: string } } }>(
      gateway,
      query,
      { s: S },
    );
    expect(stale.data?.website.conversation.state).not.toBe(next.toUpperCase());
    const answer = await postPluginHook(
      hookUrl,
      hookBody(W, "session:set_state", { session_id: S, state: next }),
    );
    expect(answer.status).toBe(200);
    await gateway.eventApplied(String(answer.body.id));
    takeRequests();
    const fresh = await queryGateway<{ website: { conversation: { state: string } } }>(
      gateway,
      query,
      { s: S },
    );
    expect(fresh.data?.website.conversation.state).toBe(next.toUpperCase());
    expect(takeRequests()).toEqual([]);
  });

  it("a people event patches that person only, with no Crisp request; a removal drops it", async () => {
    const { gateway, hookUrl } = await cachedGateway();
    const [a, b] = simulator.store.people(W);
    const query = `query($a: ID!, $b: ID!) { website { a: person(peopleId: $a) { email nickname } b: person(peopleId: $b) { email } } }`;
    await queryGateway(gateway, query, { a: a?.people_id, b: b?.people_id });
    const updated = await postPluginHook(
      hookUrl,
      hookBody(W, "people:profile:updated", {
        people_id: a?.people_id,
        email: a?.email,
        update: { person: { nickname: "From the event" } },
      }),
    );
    expect(updated.status).toBe(200);
    await gateway.eventApplied(String(updated.body.id));
    takeRequests();
    const after = await queryGateway<{ website: { a: { nickname: string } } }>(gateway, query, {
      a: a?.people_id,
      b: b?.people_id,
    });
    expect(takeRequests()).toEqual([]);
    expect(after.data?.website.a.nickname).toBe("From the event");
    const removed = await postPluginHook(
      hookUrl,
      hookBody(W, "people:profile:removed", { people_id: a?.people_id, email: a?.email }),
    );
    await gateway.eventApplied(String(removed.body.id));
    await queryGateway(gateway, query, { a: a?.people_id, b: b?.people_id });
    expect(takeRequests()).toEqual([`GET /website/${W}/people/profile/${a?.people_id}`]);
  });

  it("a mutation shows its write at once in cached lists (read-your-writes)", async () => {
    const { gateway } = await cachedGateway();
    const list = `{ website { conversations(first: 50, filter: { resolved: true }) { nodes { sessionId } } } }`;
    await queryGateway(gateway, list);
    const open = simulator.store
      .listConversations(W, {})
      .find((c) => c.state !== "resolved")?.session_id;
    const write = await queryGateway(
      gateway,
      `mutation($w: ID!, $s: ID!) { setConversationState(websiteId: $w, sessionId: $s, state: RESOLVED) { state } }`,
      { w: W, s: open },
    );
    expect(write.errors).toBeUndefined();
    const after = await queryGateway<{
      website: { conversations: { nodes: { sessionId: string }[] } };
    }>(gateway, list);
    expect(after.data?.website.conversations.nodes.map((n) => n.sessionId)).toContain(open);
  });
});
