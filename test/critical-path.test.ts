/**
 * Cold queries cost as many sequential Crisp round trips as their data dependencies need
 * (issue 12.1). Round trips are counted from the simulator's order of arrivals and answers
 * (`roundTrips`): a request sent after another's answer came is a round later. Nothing here
 * reads a clock: the simulator's latency only keeps one round's requests in flight together.
 */
import { describe, expect, it } from "vitest";
import { roundTrips } from "../src/simulator/index.js";
import { sorted, startTestGateway } from "./helpers/gateway.js";

const t = await startTestGateway({ latencyMs: 40 });
const W = t.simulator.defaultWebsiteId;
const store = t.simulator.store;

const DASHBOARD = `{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

/** The operation's Crisp requests, each with the round trip it was sent in. */
async function run(query: string, variables?: Record<string, unknown>) {
  // Connections open and code warm: a round's requests then leave together.
  t.takeRequests();
  const response = await t.query(query, variables);
  const requests = [...t.simulator.requests];
  t.takeRequests();
  const rounds = roundTrips(requests);
  const byRound = new Map<number, string[]>();
  requests.forEach((request, index) => {
    const round = rounds[index] ?? 0;
    byRound.set(round, [...(byRound.get(round) ?? []), `${request.method} ${request.url}`]);
  });
  return {
    response,
    calls: sorted(requests.map((request) => `${request.method} ${request.url}`)),
    rounds: Math.max(0, ...rounds),
    round: (n: number) => sorted(byRound.get(n) ?? []),
  };
}

const firstPage = () => store.listConversations(W, {}).slice(0, 20);

describe("cold queries wait only for what they depend on", () => {
  it("the README dashboard makes 2 sequential round trips: website, list and operators, then people and messages", async () => {
    await run(DASHBOARD);
    const { response, rounds, round, calls } = await run(DASHBOARD);
    expect(response.errors).toBeUndefined();
    expect(rounds).toBe(2);
    const site = `/website/${W}`;
    expect(round(1)).toEqual(
      sorted([
        `GET ${site}`,
        `GET ${site}/conversations/1?per_page=21`,
        `GET ${site}/operators/list`,
      ]),
    );
    const page = firstPage();
    const people = [...new Set(page.flatMap((c) => (c.people_id ? [c.people_id] : [])))];
    expect(round(2)).toEqual(
      sorted([
        ...people.map((id) => `GET ${site}/people/profile/${id}`),
        ...page.map((c) => `GET ${site}/conversation/${c.session_id}/messages`),
      ]),
    );
    expect(calls).toHaveLength(3 + people.length + page.length);
  });

  it("a list without `assignee` reads the website and the list together, and never the operators", async () => {
    const { response, rounds, calls } = await run(
      `{ website { name conversations(first: 20) { nodes { sessionId state } } } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(rounds).toBe(1);
    expect(calls).toEqual(
      sorted([`GET /website/${W}`, `GET /website/${W}/conversations/1?per_page=21`]),
    );
  });

  it("`assignee` starts the operators list with the conversations, once, through fragments and aliases", async () => {
    const { response, rounds, calls } = await run(
      `query ($n: Int!) { website { id open: conversations(first: $n, filter: { notResolved: true }) { edges { node { ...A } } } } }
       fragment A on Conversation { sessionId assignee { firstName } again: assignee { lastName } }`,
      { n: 5 },
    );
    expect(response.errors).toBeUndefined();
    expect(rounds).toBe(1);
    expect(calls.filter((call) => call.endsWith("/operators/list"))).toHaveLength(1);
    expect(calls.filter((call) => call.includes("/conversations/1"))).toHaveLength(1);
    expect(calls).toHaveLength(3);
  });

  it("reads nothing that @skip or @include leave out", async () => {
    const { response, calls } = await run(
      `query ($no: Boolean!) { website { name conversations(first: 5) @include(if: $no) { nodes { sessionId } } other: conversations(first: 5) { nodes { sessionId assignee @skip(if: true) { firstName } } } } }`,
      { no: false },
    );
    expect(response.errors).toBeUndefined();
    expect(calls).toEqual(
      sorted([`GET /website/${W}`, `GET /website/${W}/conversations/1?per_page=20`]),
    );
  });

  it("a page's people and histories, started as soon as the page is read, are those its nodes select: none skipped, one per distinct argument", async () => {
    const site = `/website/${W}`;
    const page = firstPage().slice(0, 4);
    const skipped = await run(
      `query ($no: Boolean!) { website { conversations(first: 4) { nodes { sessionId person @skip(if: true) { email } messages(last: 5) @include(if: $no) { nodes { text } } } } } }`,
      { no: false },
    );
    expect(skipped.response.errors).toBeUndefined();
    expect(skipped.calls).toEqual(
      sorted([`GET ${site}`, `GET ${site}/conversations/1?per_page=20`]),
    );
    // Two windows of one history: the newest batch holds both, read once per conversation.
    const aliased = await run(
      `{ website { conversations(first: 4) { edges { node { sessionId a: messages(last: 5) { nodes { text } } b: messages(last: 2) { nodes { text } } } } } } }`,
    );
    expect(aliased.response.errors).toBeUndefined();
    expect(aliased.rounds).toBe(2);
    expect(aliased.round(2)).toEqual(
      sorted(page.map((c) => `GET ${site}/conversation/${c.session_id}/messages`)),
    );
  });

  it("a website Crisp does not have is null, without an error from the list read alongside it", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const { response, calls } = await run(
      `{ website(id: "${missing}") { name conversations(first: 5) { nodes { sessionId } } } }`,
    );
    expect(response).toMatchObject({ data: { website: null } });
    expect(response.errors).toBeUndefined();
    expect(calls).toEqual(
      sorted([`GET /website/${missing}`, `GET /website/${missing}/conversations/1?per_page=20`]),
    );
  });

  it("one conversation is read beside its website, its messages beside it (they need only its ids), its person after it", async () => {
    const conversation = firstPage().find((c) => c.people_id !== undefined);
    if (conversation === undefined) {
      throw new Error("the seed has no conversation with a person");
    }
    const site = `/website/${W}`;
    const query = `query ($s: ID!) { website { name conversation(sessionId: $s) { state person { email } messages(last: 5) { nodes { text } } } } }`;
    // Spelled in capitals: the reads started from the argument find the conversation's own.
    const { response, rounds, round, calls } = await run(query, {
      s: conversation.session_id.toUpperCase(),
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toMatchObject({
      website: {
        conversation: { state: expect.any(String), messages: { nodes: expect.any(Array) } },
      },
    });
    expect(rounds).toBe(2);
    expect(round(1)).toEqual(
      sorted([
        `GET ${site}`,
        `GET ${site}/conversation/${conversation.session_id}`,
        `GET ${site}/conversation/${conversation.session_id}/messages`,
      ]),
    );
    expect(round(2)).toEqual([`GET ${site}/people/profile/${conversation.people_id}`]);
    expect(calls).toHaveLength(4);
    const cost = response.extensions?.cost as { estimated: number; crispRequests: number };
    expect(cost.crispRequests).toBeLessThanOrEqual(cost.estimated);
  });

  it("a conversation Crisp does not have is null, without an error from the history read beside it", async () => {
    const missing = "session_00000000-0000-4000-8000-000000000000";
    const { response, rounds, calls } = await run(
      `{ website { conversation(sessionId: "${missing}") { state messages(last: 5) { nodes { text } } } } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ website: { conversation: null } });
    expect(rounds).toBe(1);
    expect(calls).toEqual(
      sorted([
        `GET /website/${W}`,
        `GET /website/${W}/conversation/${missing}`,
        `GET /website/${W}/conversation/${missing}/messages`,
      ]),
    );
    const cost = response.extensions?.cost as { estimated: number; crispRequests: number };
    expect(cost.crispRequests).toBeLessThanOrEqual(cost.estimated);
  });

  it("one person by people id is read beside its website, its conversations and data beside it; by email, after it", async () => {
    const person = store.listPeople(W, {}).find((p) => p.email !== undefined);
    if (person === undefined || person.email === undefined) {
      throw new Error("the seed has no person with an email");
    }
    const site = `/website/${W}`;
    const selection = `{ email data conversations(first: 5) { nodes { sessionId } } }`;
    const byId = await run(
      `query ($p: ID!) { website { name person(peopleId: $p) ${selection} } }`,
      {
        p: person.people_id,
      },
    );
    expect(byId.response.errors).toBeUndefined();
    expect(byId.response.data).toMatchObject({ website: { person: { email: person.email } } });
    const sessions = store
      .listConversations(W, {})
      .filter((c) => c.people_id === person.people_id)
      .slice(0, 5);
    expect(byId.round(1)).toEqual(
      sorted([
        `GET ${site}`,
        `GET ${site}/people/profile/${person.people_id}`,
        `GET ${site}/people/data/${person.people_id}`,
        `GET ${site}/people/conversations/${person.people_id}/list/1`,
      ]),
    );
    // Then, together, the list's next page and the conversations its first one named.
    expect(byId.rounds).toBe(2);
    expect(byId.round(2)).toEqual(
      sorted([
        `GET ${site}/people/conversations/${person.people_id}/list/2`,
        ...sessions.map((c) => `GET ${site}/conversation/${c.session_id}`),
      ]),
    );
    const byEmail = await run(
      `query ($e: String!) { website { person(email: $e) ${selection} } }`,
      {
        e: person.email,
      },
    );
    expect(byEmail.response.errors).toBeUndefined();
    expect(byEmail.round(1)).toEqual(
      sorted([`GET ${site}`, `GET ${site}/people/profile/${encodeURIComponent(person.email)}`]),
    );
    expect(byEmail.round(2)).toEqual(
      sorted([
        `GET ${site}/people/data/${person.people_id}`,
        `GET ${site}/people/conversations/${person.people_id}/list/1`,
      ]),
    );
    for (const { response } of [byId, byEmail]) {
      const cost = response.extensions?.cost as { estimated: number; crispRequests: number };
      expect(cost.crispRequests).toBeLessThanOrEqual(cost.estimated);
    }
  });

  it("a person Crisp does not have is null, without an error from the reads beside it", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const { response, rounds, calls } = await run(
      `{ website { person(peopleId: "${missing}") { email data conversations(first: 5) { nodes { sessionId } } } } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ website: { person: null } });
    expect(rounds).toBe(1);
    expect(calls).toEqual(
      sorted([
        `GET /website/${W}`,
        `GET /website/${W}/people/profile/${missing}`,
        `GET /website/${W}/people/data/${missing}`,
        `GET /website/${W}/people/conversations/${missing}/list/1`,
      ]),
    );
    const cost = response.extensions?.cost as { estimated: number; crispRequests: number };
    expect(cost.crispRequests).toBeLessThanOrEqual(cost.estimated);
  });

  it("a person's list that fails on a later page answers that error, the conversations it started settled", async () => {
    const person = store.listPeople(W, {}).find((p) => p.email !== undefined);
    if (person === undefined) {
      throw new Error("the seed has no person");
    }
    // The first page and the conversations it names answer; the next page and every
    // conversation fail: the started reads fail while the walk does, and nothing is unhandled.
    t.simulator.configure({
      errors: { status: 500, rate: 1, match: /\/list\/2$|\/conversation\/session_[^/]+$/ },
    });
    try {
      const { response } = await run(
        `query ($p: ID!) { website { person(peopleId: $p) { conversations(first: 5) { nodes { sessionId } } } } }`,
        { p: person.people_id },
      );
      expect(response.errors?.[0]).toMatchObject({
        path: ["website", "person", "conversations"],
        extensions: { code: "UPSTREAM_UNAVAILABLE" },
      });
    } finally {
      t.simulator.configure({ errors: null });
    }
  });
});
