import { randomUUID } from "node:crypto";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";
import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/auth.js";
import { OperationBudget } from "../src/budget.js";
import { CrispClient } from "../src/crisp/client.js";
import { MAX_CONNECTED_WEBSITE_PAGES } from "../src/crisp/plugin.js";
import type { IncomingEvent } from "../src/events/event.js";
import { SharedCache } from "../src/loaders/cache.js";
import { createLoaders } from "../src/loaders/index.js";
import { useCostLimit } from "../src/plugins/use-cost-limit.js";
import { estimateCost } from "../src/schema/cost-estimate.js";
import { schema } from "../src/schema/index.js";
import { UsageCounters } from "../src/usage.js";
import { gatewayOn, startTestGateway } from "./helpers/gateway.js";
import { keysFileOf } from "./helpers/keys.js";
import { readEvents } from "./helpers/streams.js";

const t = await startTestGateway({}, { maxOperationCost: 500 });
const W = t.simulator.defaultWebsiteId;

const DASHBOARD = `{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

describe("estimating an operation's Crisp requests before it runs", () => {
  it("counts the README dashboard at its worst case, never below what it really costs", async () => {
    // Without a context the default website is unknown: finding it may walk the plugin's
    // installations (100 pages at most). Then website 1, its name 1, conversations 2 pages,
    // and per conversation person 1 + assignee 1 + messages 4 batches.
    expect(estimateCost(schema, parse(DASHBOARD), null, {})).toBe(
      100 + 1 + 1 + 2 + 20 * (1 + 1 + 4),
    );
    t.takeRequests();
    const answer = await t.query(DASHBOARD);
    const spent = t.takeRequests().length;
    // This gateway has a default website: no walk.
    expect(answer.extensions?.cost).toEqual({
      estimated: 1 + 1 + 2 + 20 * (1 + 1 + 4),
      crispRequests: spent,
      cacheHits: expect.any(Number),
    });
    expect(spent).toBeLessThanOrEqual(124);
  });

  it("reads page sizes from variables (and their defaults) and follows fragments", () => {
    const document = parse(`
      query($n: Int) { website(id: "${W}") { conversations(first: $n) { edges { node { ...C } } pageInfo { hasNextPage } } } }
      fragment C on Conversation { person { email } }
    `);
    expect(estimateCost(schema, document, null, { n: 10 })).toBe(1 + 2 + 10);
    expect(estimateCost(schema, document, null, {})).toBe(1 + 2 + 20);
    const defaulted = parse(
      `query($n: Int = 50) { website(id: "${W}") { conversations(first: $n) { nodes { person { email } } } } }`,
    );
    expect(estimateCost(schema, defaulted, null, {})).toBe(1 + 2 + 50);
  });

  it("counts the fields of one object that share a Crisp read once, per object", () => {
    // The connected-websites walk (100 pages at most), then one GET /website/{id} per website
    // for its domain and logo together.
    expect(
      estimateCost(schema, parse(`{ websites(first: 50) { nodes { domain logo } } }`), null, {}),
    ).toBe(100 + 50);
  });

  it("counts the costliest member of a union or interface", () => {
    const document = parse(
      `{ nodes(ids: ["a", "b"]) { ... on Conversation { person { email } } ... on Person { email } } }`,
    );
    expect(estimateCost(schema, document, null, {})).toBe(2 + 2 * 1);
  });

  it("refuses an operation over the limit with REQUEST_LIMIT_EXCEEDED, naming both numbers, and calls Crisp never", async () => {
    t.takeRequests();
    const bomb = `{ website { conversations(first: 50) { nodes { messages(last: 50) { nodes { conversation { person { conversations(first: 50) { nodes { sessionId } } } } } } } } } }`;
    const answer = await t.query(bomb);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: "REQUEST_LIMIT_EXCEEDED",
      maxCost: 500,
      estimatedCost: expect.any(Number),
    });
    expect(answer.errors?.[0]?.message).toMatch(
      /could cost up to \d+ Crisp requests; the limit is 500/,
    );
    expect(t.takeRequests()).toEqual([]);
  });

  it("lets an operation under the limit run", async () => {
    const answer = await t.query(
      `{ website(id: "${W}") { conversations(first: 50) { nodes { person { email } } } } }`,
    );
    expect(answer.errors).toBeUndefined();
  });
});

describe("the runtime cap", () => {
  it("stops an operation's loaders past its budget, with REQUEST_LIMIT_EXCEEDED", async () => {
    const usage = new UsageCounters();
    const crisp = new CrispClient({
      baseUrl: t.simulator.url,
      ...t.simulator.credentials,
      dispatcher: new Agent(),
    });
    const budget = new OperationBudget(1);
    const loaders = createLoaders({ crisp, usage, cache: new SharedCache("test"), budget });
    t.takeRequests();
    await loaders.website(W);
    await expect(loaders.operators(W)).rejects.toMatchObject({ code: "REQUEST_LIMIT_EXCEEDED" });
    expect(t.takeRequests()).toEqual([`GET /website/${W}`]);
  });
});

describe("what every response says it cost", () => {
  it("reports a query's estimate, the Crisp requests it sent and its cache hits", async () => {
    t.takeRequests();
    const answer = await t.query(
      `{ website(id: "${W}") { name domain conversations(first: 3) { nodes { person { email } } } } }`,
    );
    const sent = t.takeRequests();
    const people = new Set(
      t.simulator.store
        .listConversations(W, {})
        .slice(0, 3)
        .flatMap((conversation) => (conversation.people_id ? [conversation.people_id] : [])),
    );
    expect(people.size).toBeGreaterThan(0);
    expect(answer.extensions?.cost).toEqual({
      estimated: 1 + 1 + 2 + 3,
      crispRequests: sent.length,
      // The website (read once, asked three times), the list (started beside the website
      // read, then found in flight by its field) and each person (started as soon as the
      // page was read, then found in flight by its conversation's field).
      cacheHits: 3 + people.size,
    });
  });

  it("reports a mutation's cost, its write and its read-back", async () => {
    const conversation = t.simulator.store.listConversations(W, {})[0];
    t.takeRequests();
    const answer = await t.query(
      `mutation($w: ID!, $s: ID!) { setConversationState(websiteId: $w, sessionId: $s, state: UNRESOLVED) { state } }`,
      { w: W, s: conversation?.session_id },
    );
    expect(answer.errors).toBeUndefined();
    expect(t.takeRequests()).toHaveLength(2);
    expect(answer.extensions?.cost).toEqual({ estimated: 2, crispRequests: 2, cacheHits: 0 });
  });

  it("reports each subscription event's cost on its own, and refuses a subscription over the limit", async () => {
    const conversation = t.simulator.store
      .listConversations(W, {})
      .find((candidate) => candidate.people_id !== undefined);
    const sessionId = conversation?.session_id ?? "";
    const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({
        query: `subscription($w: ID!, $s: ID) { conversationUpdated(websiteId: $w, sessionId: $s) { conversation { sessionId person { email } } } }`,
        variables: { w: W, s: sessionId },
      }),
    });
    const reader = response.body?.getReader();
    if (reader === undefined) {
      throw new Error("no event stream");
    }
    const events = readEvents(reader);
    const event: IncomingEvent = {
      name: "session:set_state",
      websiteId: W,
      sessionId,
      data: { state: "resolved" },
      timestamp: Date.now(),
    };
    // The stream opens with a comment; reading past it starts the subscription.
    const first = events.next();
    await t.gateway.openSubscriptions(1);
    t.takeRequests();
    await t.gateway.ingest(event, { source: "hook", dedupeKey: randomUUID() });
    const one = (await first).value;
    expect(one?.data?.conversationUpdated?.conversation?.sessionId).toBe(sessionId);
    expect(one?.extensions?.cost).toEqual({ estimated: 2, crispRequests: 2, cacheHits: 0 });
    expect(t.takeRequests()).toHaveLength(2);
    const second = events.next();
    await t.gateway.ingest(event, { source: "hook", dedupeKey: randomUUID() });
    expect((await second).value?.extensions?.cost).toEqual({
      estimated: 2,
      crispRequests: 2,
      cacheHits: 0,
    });
    expect(t.takeRequests()).toHaveLength(2);
    await reader.cancel();

    const refused = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({
        query: `subscription { conversationUpdated(websiteId: "${W}") { conversation { person { conversations(first: 50) { nodes { messages(last: 50) { nodes { conversation { person { email } } } } } } } } } }`,
      }),
    });
    const text = await refused.text();
    expect(text).toContain('"code":"REQUEST_LIMIT_EXCEEDED"');
    expect(text).toContain('"maxCost":500');
    expect(t.takeRequests()).toEqual([]);
  });
});

describe("estimates per viewer", () => {
  it("gives each viewer its own: the same document costs more for one that may not see the default website", async () => {
    const other = t.simulator.store.websites.find((w) => w.website_id !== W)?.website_id ?? W;
    const gateway = gatewayOn(t.simulator, {
      defaultWebsiteId: W,
      maxOperationCost: 500,
      operationsPerMinute: 0,
      authenticate: createAuthenticator({
        keys: keysFileOf([
          { name: "admin", key: "admin-0123456789abcdef", websites: ["*"], access: "read" },
          { name: "elsewhere", key: "elsewhere-0123456789ab", websites: [other], access: "read" },
        ]),
      }),
    });
    const estimated = async (key: string) => {
      const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: "{ website { websiteId } }" }),
      });
      const body = (await response.json()) as { extensions?: { cost?: { estimated?: number } } };
      return body.extensions?.cost?.estimated;
    };
    // The admin sees the configured default: one read. The other viewer does not, so its
    // `website` walks the plugin's installations for the first it may see.
    const walk = 1 + MAX_CONNECTED_WEBSITE_PAGES;
    expect(await estimated("admin-0123456789abcdef")).toBe(1);
    expect(await estimated("elsewhere-0123456789ab")).toBe(walk);
    expect(await estimated("admin-0123456789abcdef")).toBe(1);
    expect(await estimated("elsewhere-0123456789ab")).toBe(walk);
  });
});

describe("the budget's counters", () => {
  it("counts the connected-websites walk as one load, so cache hits are never negative", async () => {
    const fresh = await startTestGateway();
    const walked = await fresh.query(`{ websites { nodes { websiteId } } }`);
    // Every page of the walk is a Crisp request the operation spent.
    expect(walked.extensions?.cost).toEqual({
      estimated: 100,
      crispRequests: fresh.takeRequests().length,
      cacheHits: 0,
    });
    const { data } = await fresh.query<{ gateway: { cacheHits: number; cacheMisses: number } }>(
      `{ gateway { cacheHits cacheMisses } }`,
    );
    expect(data?.gateway).toEqual({ cacheHits: 0, cacheMisses: 1 });
  });

  it("counts every retry as a Crisp request the operation spent", async () => {
    t.simulator.configure({ errors: { status: 503, rate: 1 } });
    try {
      t.takeRequests();
      const answer = await t.query(`{ website(id: "${W}") { visitorCount { count } } }`);
      expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
      // The website read, tried three times (its fields never run).
      expect(t.takeRequests()).toEqual(Array(3).fill(`GET /website/${W}`));
      expect(answer.extensions?.cost).toMatchObject({ crispRequests: 3 });
    } finally {
      t.simulator.configure({ errors: null });
    }
  });
});

describe("useCostLimit alone", () => {
  const budget = new OperationBudget(10);
  const yoga = createYoga({
    schema,
    plugins: [useCostLimit({ maxCost: 10 })],
    // No loaders: a resolver that ran would fail, so a refusal shows nothing ran.
    context: () => ({ budget }),
    logging: false,
  });
  const post = async (query: string) =>
    (await (
      await yoga.fetch("http://yoga.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query }),
      })
    ).json()) as { data?: unknown; errors?: { extensions?: unknown }[]; extensions?: unknown };

  it("refuses an operation estimated over its limit before any resolver runs, saying so in extensions.cost", async () => {
    const answer = await post(
      `{ website(id: "${W}") { conversations(first: 50) { nodes { person { email } } } } }`,
    );
    expect(answer).toEqual({
      errors: [
        {
          message: expect.stringMatching(/could cost up to 53 Crisp requests; the limit is 10/),
          extensions: { code: "REQUEST_LIMIT_EXCEEDED", estimatedCost: 53, maxCost: 10 },
        },
      ],
      extensions: { cost: { estimated: 53, crispRequests: 0, cacheHits: 0 } },
    });
  });

  it("refuses arguments a field's own check refuses, before any resolver runs, instead of clamping them", async () => {
    const answer = await post(
      `{ website(id: "${W}") { conversations(first: 100) { nodes { id } } } }`,
    );
    expect(answer).toEqual({
      errors: [
        {
          message: "first: expected 0 to 50, got 100.",
          extensions: { code: "BAD_USER_INPUT", field: "first" },
        },
      ],
      extensions: { cost: { estimated: 0, crispRequests: 0, cacheHits: 0 } },
    });
  });

  it("reports the cost of an operation it lets run", async () => {
    expect(await post(`{ __typename }`)).toEqual({
      data: { __typename: "Query" },
      extensions: { cost: { estimated: 0, crispRequests: 0, cacheHits: 0 } },
    });
    expect(budget.ended).toBe(true);
  });
});
