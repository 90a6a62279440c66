/**
 * Event-carried state: each event family, sent by the simulator's own hook sender after a real
 * write (or posted as Crisp would send an event the simulator does not make), is applied to
 * what the gateway holds. The next read costs exactly the Crisp requests asserted (none where
 * the event carries the change) and answers what a gateway with no cache reads from Crisp.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisEventLog } from "../src/events/redis-log.js";
import { createRedisSecondLevel } from "../src/loaders/second-level.js";
import type { Gateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn, queryGateway, sorted } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";
import { subscribe, wsClient } from "./helpers/live.js";
import { crispWrite } from "./helpers/simulator-write.js";

const simulator = await startSimulator({ seed: 1 });
const W = simulator.defaultWebsiteId;
afterAll(() => simulator.close());

/** What Crisp holds now: a gateway that stores nothing. */
const fresh = gatewayOn(simulator, {
  cache: false,
  operationsPerMinute: 0,
});

async function cachedGateway(): Promise<{ gateway: Gateway; hookUrl: string }> {
  const gateway = gatewayOn(simulator, {
    hooks: { secret: HOOK_SECRET },
    operationsPerMinute: 0,
  });
  const { hookUrl } = await gateway.listen("127.0.0.1", 0);
  // Describe blocks are collected first: each points the simulator's hooks at its gateway
  // when its own tests begin.
  beforeAll(() =>
    simulator.configure({ hooks: { url: hookUrl, kind: "plugin", secret: HOOK_SECRET } }),
  );
  return { gateway, hookUrl };
}

function takeRequests(): string[] {
  const served = simulator.requests.map((request) => `${request.method} ${request.url}`);
  simulator.clearRequests();
  return served;
}

/** Waits until the simulator delivered its hooks and the gateway applied every one. */
async function delivered(gateway: Gateway): Promise<void> {
  await simulator.hooksIdle();
  await gateway.eventsCaughtUp();
}

/** The cached gateway's answer, the Crisp requests it cost, and what Crisp holds now. */
async function compare(gateway: Gateway, query: string, variables?: Record<string, unknown>) {
  takeRequests();
  const answer = await queryGateway(gateway, query, variables);
  const requests = takeRequests();
  const reference = await queryGateway(fresh, query, variables);
  takeRequests();
  expect(answer.errors).toBeUndefined();
  return { data: answer.data, requests, reference: reference.data };
}

const DASHBOARD = `{ website { conversations(first: 20) { nodes { sessionId state lastMessage updatedAt unread { operator visitor } waitingSince meta { nickname email segments } assignee { firstName } messages(last: 5) { nodes { fingerprint type text from edited } } } } } }`;

const CONVERSATION = `query($s: ID!) { website { conversation(sessionId: $s) { sessionId state lastMessage updatedAt unread { operator visitor } waitingSince isBlocked meta { nickname email segments } assignee { firstName } } } }`;

const page = () => simulator.store.listConversations(W, {}).slice(0, 20);

describe("conversation events (session:*)", async () => {
  const { gateway, hookUrl } = await cachedGateway();
  const S = page()[3]?.session_id ?? "";
  const operator = simulator.store.operators(W)[1]?.details.user_id ?? "";

  it("session:set_state: the conversation and the page holding it show the new state, no Crisp request", async () => {
    await queryGateway(gateway, DASHBOARD);
    await queryGateway(gateway, CONVERSATION, { s: S });
    const state =
      simulator.store.conversation(W, S)?.state === "resolved" ? "unresolved" : "resolved";
    expect(
      (
        await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S}/state`, {
          body: { state },
        })
      ).status,
    ).toBe(200);
    await delivered(gateway);
    const one = await compare(gateway, CONVERSATION, { s: S });
    expect(one.requests).toEqual([]);
    expect(one.data).toEqual(one.reference);
    const list = await compare(gateway, DASHBOARD);
    expect(list.requests).toEqual([]);
    expect(list.data).toEqual(list.reference);
  });

  it("session:set_routing and metas (set_nickname, set_segments): patched, no Crisp request", async () => {
    await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S}/routing`, {
      body: { assigned: { user_id: operator } },
    });
    await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S}/meta`, {
      body: { nickname: "Renamed Visitor", segments: ["vip", "patched"] },
    });
    await delivered(gateway);
    const one = await compare(gateway, CONVERSATION, { s: S });
    expect(one.requests).toEqual([]);
    expect(one.data).toEqual(one.reference);
    const list = await compare(gateway, DASHBOARD);
    expect(list.requests).toEqual([]);
    expect(list.data).toEqual(list.reference);
  });

  it("a message:send without content is not laid over what is read next, which stays readable", async () => {
    // A conversation nothing has read yet: its first read lays the journal's events over it.
    const unread = simulator.store.listConversations(W, {})[30]?.session_id ?? "";
    const answer = await postPluginHook(
      hookUrl,
      hookBody(W, "message:send", {
        session_id: unread,
        fingerprint: 987_654_321,
        type: "text",
        from: "user",
        origin: "chat",
        timestamp: Date.now(),
      }),
    );
    expect(answer.status).toBe(200);
    await gateway.eventsCaughtUp();
    const one = await queryGateway(gateway, CONVERSATION, { s: unread });
    expect(one.errors).toBeUndefined();
    expect(one.data).toEqual(
      (await queryGateway(gateway, CONVERSATION.replace("query(", "query Fresh("), { s: unread }))
        .data,
    );
  });

  it("session:set_block, update_availability and sync:* patch what they carry; set_opened changes nothing", async () => {
    for (const [name, data] of [
      ["session:set_block", { is_blocked: true }],
      ["session:update_availability", { availability: "online" }],
      ["session:sync:topic", { topic: "Billing" }],
      ["session:set_opened", { operator: { user_id: operator } }],
    ] as const) {
      const answer = await postPluginHook(hookUrl, hookBody(W, name, { session_id: S, ...data }));
      expect(answer.status).toBe(200);
    }
    await gateway.eventsCaughtUp();
    takeRequests();
    const answer = await queryGateway<{
      website: { conversation: { isBlocked: boolean; availability: string; topic: string } };
    }>(
      gateway,
      `query($s: ID!) { website { conversation(sessionId: $s) { isBlocked availability topic } } }`,
      {
        s: S,
      },
    );
    expect(takeRequests()).toEqual([]);
    expect(answer.data?.website.conversation).toEqual({
      isBlocked: true,
      availability: "ONLINE",
      topic: "Billing",
    });
  });
});

describe("message events (message:*)", async () => {
  const { gateway, hookUrl } = await cachedGateway();
  const conversations = page();
  const top = conversations[0]?.session_id ?? "";
  const low = conversations[12]?.session_id ?? "";

  it("message:send moves the conversation to the top with its new last message, unread and messages: no Crisp request", async () => {
    await queryGateway(gateway, DASHBOARD);
    const sent = await crispWrite(simulator, "POST", `/website/${W}/conversation/${low}/message`, {
      body: { type: "text", from: "user", origin: "chat", content: "Is my order on its way?" },
    });
    expect(sent.status).toBe(202);
    await delivered(gateway);
    const list = await compare(gateway, DASHBOARD);
    expect(list.requests).toEqual([]);
    expect(list.data).toEqual(list.reference);
    const nodes = (list.data as { website: { conversations: { nodes: { sessionId: string }[] } } })
      .website.conversations.nodes;
    expect(nodes[0]?.sessionId).toBe(low);
  });

  it("message:received (an operator's reply), then message:updated: patched, no Crisp request", async () => {
    const reply = await crispWrite<{ fingerprint: number }>(
      simulator,
      "POST",
      `/website/${W}/conversation/${top}/message`,
      { body: { type: "text", from: "operator", origin: "chat", content: "On its way." } },
    );
    const fingerprint = reply.body?.data.fingerprint ?? 0;
    await crispWrite(
      simulator,
      "PATCH",
      `/website/${W}/conversation/${top}/message/${fingerprint}`,
      {
        body: { content: "On its way, tracking sent." },
      },
    );
    await delivered(gateway);
    const list = await compare(gateway, DASHBOARD);
    expect(list.requests).toEqual([]);
    expect(list.data).toEqual(list.reference);
  });

  it("message:removed of the last message: the batch and the excerpt follow, no Crisp request", async () => {
    const last = simulator.store.messages(W, top)?.at(-1);
    await crispWrite(
      simulator,
      "DELETE",
      `/website/${W}/conversation/${top}/message/${last?.fingerprint}`,
    );
    await delivered(gateway);
    const list = await compare(gateway, DASHBOARD);
    expect(list.requests).toEqual([]);
    expect(list.data).toEqual(list.reference);
  });

  it("compose and acknowledgements change nothing the gateway serves", async () => {
    for (const name of ["message:compose:send", "message:acknowledge:read:received"]) {
      expect((await postPluginHook(hookUrl, hookBody(W, name, { session_id: top }))).status).toBe(
        200,
      );
    }
    await gateway.eventsCaughtUp();
    const list = await compare(gateway, DASHBOARD);
    expect(list.requests).toEqual([]);
    expect(list.data).toEqual(list.reference);
  });

  it("session:removed drops the conversation: the page is read again, and what enters it", async () => {
    const gone = page()[5]?.session_id ?? "";
    const before = new Set(page().map((c) => c.session_id));
    await crispWrite(simulator, "DELETE", `/website/${W}/conversation/${gone}`);
    await delivered(gateway);
    const entering = page().find((c) => !before.has(c.session_id));
    const list = await compare(gateway, DASHBOARD);
    expect(list.data).toEqual(list.reference);
    expect(sorted(list.requests)).toEqual(
      sorted([
        `GET /website/${W}/conversations/1?per_page=21`,
        ...(entering === undefined
          ? []
          : [`GET /website/${W}/conversation/${entering.session_id}/messages`]),
      ]),
    );
  });
});

describe("people events (people:*)", async () => {
  const { gateway, hookUrl } = await cachedGateway();
  const [a, b] = simulator.store.people(W);
  const PEOPLE = `query($a: ID!, $b: ID!) { website { a: person(peopleId: $a) { email nickname company { name } segments } b: person(peopleId: $b) { email nickname } } }`;

  it("people:profile:updated merges the update: no Crisp request, what Crisp now holds", async () => {
    await queryGateway(gateway, PEOPLE, { a: a?.people_id, b: b?.people_id });
    await crispWrite(simulator, "PATCH", `/website/${W}/people/profile/${a?.people_id}`, {
      body: { person: { nickname: "Patched Person" }, segments: ["patched"] },
    });
    await delivered(gateway);
    const answer = await compare(gateway, PEOPLE, { a: a?.people_id, b: b?.people_id });
    expect(answer.requests).toEqual([]);
    expect(answer.data).toEqual(answer.reference);
  });

  it("people:bind:session sets the conversation's person: no Crisp request for the conversation", async () => {
    const S = page()[2]?.session_id ?? "";
    const query = `query($s: ID!) { website { conversation(sessionId: $s) { person { email } } } }`;
    await queryGateway(gateway, query, { s: S });
    const answer = await postPluginHook(
      hookUrl,
      hookBody(W, "people:bind:session", { session_id: S, people_id: b?.people_id }),
    );
    expect(answer.status).toBe(200);
    await gateway.eventApplied(String(answer.body.id));
    takeRequests();
    const bound = await queryGateway<{ website: { conversation: { person: { email: string } } } }>(
      gateway,
      query,
      { s: S },
    );
    // b is cached from the first test: nothing to read.
    expect(takeRequests()).toEqual([]);
    expect(bound.data?.website.conversation.person.email).toBe(b?.email);
  });

  it("people:profile:removed drops the person: the next read asks Crisp", async () => {
    await crispWrite(simulator, "DELETE", `/website/${W}/people/profile/${b?.people_id}`);
    await delivered(gateway);
    const answer = await compare(gateway, PEOPLE, { a: a?.people_id, b: b?.people_id });
    expect(answer.requests).toEqual([`GET /website/${W}/people/profile/${b?.people_id}`]);
    expect(answer.data).toEqual(answer.reference);
  });

  // Events posted as Crisp sends them, the simulator's store left as it was: Crisp's GET routes
  // answering from their own cache, behind the event (crisp-api.md §3, `Bloom-Status`).
  const [, , c, d] = simulator.store.people(W);
  const NICKNAME = `query($p: ID!) { website { person(peopleId: $p) { nickname } } }`;

  async function posted(name: string, data: Record<string, unknown>): Promise<void> {
    const answer = await postPluginHook(hookUrl, hookBody(W, name, data));
    expect(answer.status).toBe(200);
    await gateway.eventApplied(String(answer.body.id));
  }

  it("an update Crisp's GET has not caught up on stays laid over the person when a conversation is bound to them", async () => {
    const S = page()[5]?.session_id ?? "";
    await posted("people:profile:updated", {
      people_id: c?.people_id,
      update: { person: { nickname: "Nickname From The Event" } },
    });
    await posted("people:bind:session", { session_id: S, people_id: c?.people_id });
    const read = await queryGateway<{ website: { person: { nickname: string } } }>(
      gateway,
      NICKNAME,
      { p: c?.people_id },
    );
    expect(read.errors).toBeUndefined();
    expect(simulator.store.profile(W, c?.people_id ?? "")?.person?.nickname).not.toBe(
      "Nickname From The Event",
    );
    expect(read.data?.website.person.nickname).toBe("Nickname From The Event");
  });

  it("a removal Crisp's GET has not caught up on: the person reads as removed, not as Crisp's stale copy", async () => {
    expect((await queryGateway(gateway, NICKNAME, { p: d?.people_id })).errors).toBeUndefined();
    await posted("people:profile:removed", { people_id: d?.people_id });
    takeRequests();
    const read = await queryGateway<{ website: { person: unknown } }>(gateway, NICKNAME, {
      p: d?.people_id,
    });
    // The cached copy was dropped, so Crisp is asked; the event says what its answer lacks.
    expect(takeRequests()).toEqual([`GET /website/${W}/people/profile/${d?.people_id}`]);
    expect(read.data?.website.person ?? null).toBeNull();
  });

  it("an update with fields of the wrong type: what fits is applied, the rest ignored, the person readable by email", async () => {
    const e = simulator.store.people(W)[4];
    const BY_EMAIL = `query($e: String) { website { person(email: $e) { email nickname } } }`;
    const first = await queryGateway(gateway, BY_EMAIL, { e: e?.email });
    expect(first.errors).toBeUndefined();
    // Found by a probe posting ~28,000 hostile events: a number for the email threw in the
    // upkeep, which left the cached answer holding the old nickname.
    await posted("people:profile:updated", {
      people_id: e?.people_id,
      update: { email: 5, person: { nickname: "Nickname Beside A Bad Email" } },
    });
    takeRequests();
    const read = await queryGateway(gateway, BY_EMAIL, { e: e?.email });
    expect(read.errors).toBeUndefined();
    expect(takeRequests()).toEqual([]);
    expect(read.data).toEqual({
      website: { person: { email: e?.email, nickname: "Nickname Beside A Bad Email" } },
    });
  });
});

describe("plugin events", async () => {
  const { gateway, hookUrl } = await cachedGateway();

  it("plugin:subscription:updated refreshes the websites the plugin is installed on", async () => {
    const WEBSITES = `{ websites(first: 5) { nodes { websiteId } } }`;
    await queryGateway(gateway, WEBSITES);
    takeRequests();
    await queryGateway(gateway, WEBSITES);
    expect(takeRequests()).toEqual([]);
    const answer = await postPluginHook(
      hookUrl,
      hookBody(W, "plugin:subscription:updated", { plugin_id: simulator.pluginId, bound: true }),
    );
    await gateway.eventApplied(String(answer.body.id));
    await queryGateway(gateway, WEBSITES);
    expect(takeRequests()[0]).toMatch(/^GET \/plugin\/connect\/websites\/all\/1/);
  });
});

describe("two instances on the real Redis", async () => {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const scope = `test-${randomUUID()}`;
  const instance = async () => {
    const gateway = gatewayOn(simulator, {
      hooks: { secret: HOOK_SECRET },
      operationsPerMinute: 0,
      events: await createRedisEventLog({ redisUrl, scope }),
      secondLevel: await createRedisSecondLevel({ redisUrl, scope }),
    });
    return { gateway, ...(await gateway.listen("127.0.0.1", 0)) };
  };
  const a = await instance();
  const b = await instance();
  beforeAll(() =>
    simulator.configure({ hooks: { url: a.hookUrl, kind: "plugin", secret: HOOK_SECRET } }),
  );

  it("an event received by one is applied by both: no Crisp request on either; a third reads only what it changed", async () => {
    await queryGateway(a.gateway, DASHBOARD);
    await queryGateway(b.gateway, DASHBOARD);
    const S = page()[7]?.session_id ?? "";
    await crispWrite(simulator, "POST", `/website/${W}/conversation/${S}/message`, {
      body: { type: "text", from: "user", origin: "chat", content: "Hello from two instances" },
    });
    await simulator.hooksIdle();
    await a.gateway.eventsCaughtUp();
    await b.gateway.eventsCaughtUp();
    for (const gateway of [a.gateway, b.gateway]) {
      const list = await compare(gateway, DASHBOARD);
      expect(list.requests).toEqual([]);
      expect(list.data).toEqual(list.reference);
    }
    // A third instance holds nothing: the second level has all but what the event changed.
    const c = await instance();
    await c.gateway.eventsCaughtUp();
    const cold = await compare(c.gateway, DASHBOARD);
    expect(cold.data).toEqual(cold.reference);
    expect(sorted(cold.requests)).toEqual(
      sorted([
        `GET /website/${W}/conversations/1?per_page=21`,
        `GET /website/${W}/conversation/${S}/messages`,
      ]),
    );
  });

  it("a read an event needs is made once for the subscribers of both instances", async () => {
    // Beyond the first page: neither instance holds it.
    const S = simulator.store.listConversations(W, {})[30]?.session_id ?? "";
    const query = `subscription($s: ID) { conversationUpdated(websiteId: "${W}", sessionId: $s) { conversation { sessionId state } } }`;
    const subscribers = [a, b].map((instance) =>
      subscribe<{ conversationUpdated: { conversation: { state: string } } }>(
        wsClient(instance.wsUrl),
        query,
        { s: S },
      ),
    );
    await a.gateway.openSubscriptions(1);
    await b.gateway.openSubscriptions(1);
    takeRequests();
    await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S}/state`, {
      body: { state: "pending" },
    });
    const results = await Promise.all(subscribers.map(async (sub) => (await sub.take(1))[0]));
    for (const result of results) {
      expect(result?.data?.conversationUpdated.conversation.state).toBe("PENDING");
    }
    // The write itself, then one read of the conversation for every subscriber of both.
    expect(takeRequests()).toEqual([
      `PATCH /website/${W}/conversation/${S}/state`,
      `GET /website/${W}/conversation/${S}`,
    ]);
  });
});
