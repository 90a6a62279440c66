/**
 * Whole responses cached per document, variables and viewer, dropped by exactly what a hook or
 * a write changed (issue 12.3). A response-cache hit runs no resolver: its `extensions.cost`
 * says `cacheHits: 0` as well as `crispRequests: 0`, which an answer from the shared cache
 * beneath (loads that hit) never does.
 */
import { SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/auth.js";
import {
  createMemoryResponseStore,
  type ResponseCacheStore,
} from "../src/plugins/response-cache-store.js";
import { startSimulator } from "../src/simulator/index.js";
import { type GraphQLResponse, gatewayOn, queryGateway } from "./helpers/gateway.js";
import { HOOK_SECRET } from "./helpers/hooks.js";
import { keysFileOf } from "./helpers/keys.js";
import { crispWrite } from "./helpers/simulator-write.js";

const simulator = await startSimulator({ seed: 1 });
const W = simulator.defaultWebsiteId;
const OTHER = simulator.store.websites.find((website) => website.website_id !== W)?.website_id;

const JWT_SECRET = "response-cache-test-secret-0123456789";
/** A JWT with no subject: every such viewer is named "jwt", whatever websites it may see. */
const unnamedJwt = (websites: string[]) =>
  new SignJWT({ websites, access: "read" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JWT_SECRET));

const KEYS = { all: "all-0123456789abcdef-xyz", other: "other-0123456789abcdef" };
const keys = keysFileOf([
  { name: "admin", key: KEYS.all, websites: ["*"], access: "write", raw: true },
  { name: "elsewhere", key: KEYS.other, websites: [OTHER ?? W], access: "read" },
]);

const gateway = gatewayOn(simulator, {
  defaultWebsiteId: W,
  hooks: { secret: HOOK_SECRET },
  operationsPerMinute: 0,
  authenticate: createAuthenticator({ keys: keys, jwt: { secret: JWT_SECRET } }),
  responseCache: { store: createMemoryResponseStore(), ttlMs: 60_000 },
});
const { hookUrl } = await gateway.listen("127.0.0.1", 0);
simulator.configure({ hooks: { url: hookUrl, kind: "plugin", secret: HOOK_SECRET } });
afterAll(async () => {
  await simulator.close();
});

interface Cost {
  estimated: number;
  crispRequests: number;
  cacheHits: number;
}

async function ask<T = Record<string, unknown>>(
  query: string,
  variables?: Record<string, unknown>,
  key = KEYS.all,
): Promise<GraphQLResponse<T> & { cost: Cost }> {
  const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  return { ...body, cost: body.extensions?.cost as Cost };
}

/** Answered by the response cache: nothing loaded, nothing sent. */
const fromResponseCache = (cost: Cost) => cost.crispRequests === 0 && cost.cacheHits === 0;

async function delivered(): Promise<void> {
  await simulator.hooksIdle();
  await gateway.eventsCaughtUp();
}

const CONVERSATION = `query($s: ID!) { website { conversation(sessionId: $s) { sessionId state } } }`;
type ConversationAnswer = { website: { conversation: { sessionId: string; state: string } } };
const page = () => simulator.store.listConversations(W, {});

describe("the response cache", () => {
  it("a hook about conversation A leaves the cached answer about B served from cache, while A's is read anew", async () => {
    const [a, b] = page();
    const A = a?.session_id ?? "";
    const B = b?.session_id ?? "";
    await ask(CONVERSATION, { s: A });
    await ask(CONVERSATION, { s: B });
    expect(fromResponseCache((await ask(CONVERSATION, { s: A })).cost)).toBe(true);
    expect(fromResponseCache((await ask(CONVERSATION, { s: B })).cost)).toBe(true);

    const state = a?.state === "resolved" ? "unresolved" : "resolved";
    const write = await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${A}/state`, {
      body: { state },
    });
    expect(write.status).toBe(200);
    await delivered();

    simulator.clearRequests();
    const second = await ask<ConversationAnswer>(CONVERSATION, { s: B });
    expect(fromResponseCache(second.cost)).toBe(true);
    const first = await ask<ConversationAnswer>(CONVERSATION, { s: A });
    expect(fromResponseCache(first.cost)).toBe(false);
    expect(first.data?.website.conversation.state).toBe(state.toUpperCase());
    // The hook patched the shared cache: A's new answer cost Crisp nothing either.
    expect(simulator.requests).toEqual([]);
  });

  it("a hook about a conversation a cached list does not hold yet drops that list", async () => {
    const list = `{ website { conversations(first: 2) { nodes { sessionId } } } }`;
    await ask(list);
    expect(fromResponseCache((await ask(list)).cost)).toBe(true);
    const outside = page()[5]?.session_id ?? "";
    const write = await crispWrite(
      simulator,
      "PATCH",
      `/website/${W}/conversation/${outside}/state`,
      { body: { state: "unresolved" } },
    );
    expect(write.status).toBe(200);
    await delivered();
    expect(fromResponseCache((await ask(list)).cost)).toBe(false);
  });

  it("a mutation drops the cached answers holding what it changed", async () => {
    const c = page()[3];
    const C = c?.session_id ?? "";
    await ask(CONVERSATION, { s: C });
    expect(fromResponseCache((await ask(CONVERSATION, { s: C })).cost)).toBe(true);
    const state = c?.state === "resolved" ? "UNRESOLVED" : "RESOLVED";
    const written = await ask(
      `mutation($w: ID!, $s: ID!, $state: ConversationState!) { setConversationState(websiteId: $w, sessionId: $s, state: $state) { sessionId } }`,
      { w: W, s: C, state },
    );
    expect(written.errors).toBeUndefined();
    const after = await ask<ConversationAnswer>(CONVERSATION, { s: C });
    expect(fromResponseCache(after.cost)).toBe(false);
    expect(after.data?.website.conversation.state).toBe(state);
  });

  it("an edit or a removal of a message drops a cached answer holding it (`node` on the message)", async () => {
    const S = page()[2]?.session_id ?? "";
    type Listed = {
      website: { conversation: { messages: { nodes: { id: string; fingerprint: number }[] } } };
    };
    const listed = await ask<Listed>(
      `query($s: ID!) { website { conversation(sessionId: $s) { messages(last: 2) { nodes { id fingerprint } } } } }`,
      { s: S },
    );
    const [older, newer] = listed.data?.website.conversation.messages.nodes ?? [];
    if (older === undefined || newer === undefined) {
      throw new Error("the seeded conversation has fewer than two messages");
    }
    const NODE = `query($id: ID!) { node(id: $id) { ... on Message { text } } }`;
    type NodeAnswer = { node: { text: string | null } | null };
    for (const message of [older, newer]) {
      await ask(NODE, { id: message.id });
      expect(fromResponseCache((await ask(NODE, { id: message.id })).cost)).toBe(true);
    }

    const edited = await crispWrite(
      simulator,
      "PATCH",
      `/website/${W}/conversation/${S}/message/${older.fingerprint}`,
      { body: { content: "Edited after it was cached." } },
    );
    expect(edited.status).toBe(200);
    const removed = await crispWrite(
      simulator,
      "DELETE",
      `/website/${W}/conversation/${S}/message/${newer.fingerprint}`,
    );
    expect(removed.status).toBe(200);
    await delivered();

    const afterEdit = await ask<NodeAnswer>(NODE, { id: older.id });
    expect(fromResponseCache(afterEdit.cost)).toBe(false);
    expect(afterEdit.data?.node?.text).toBe("Edited after it was cached.");
    const afterRemoval = await ask<NodeAnswer>(NODE, { id: newer.id });
    expect(fromResponseCache(afterRemoval.cost)).toBe(false);
    expect(afterRemoval.data?.node).toBeNull();
  });

  it("a raw write drops every answer, also one holding no object at all (`websiteExists`)", async () => {
    const EXISTS = `{ websiteExists(domain: "not-yet-a-website.example") }`;
    await ask(EXISTS);
    expect(fromResponseCache((await ask(EXISTS)).cost)).toBe(true);
    const S = page()[4]?.session_id ?? "";
    const raw = await ask<{ crispRequest: { status: number } }>(
      `mutation($p: String!, $b: JSON) { crispRequest(method: PATCH, path: $p, body: $b) { status } }`,
      { p: `/website/${W}/conversation/${S}/state`, b: { state: "resolved" } },
    );
    expect(raw.data?.crispRequest.status).toBe(200);
    expect(fromResponseCache((await ask(EXISTS)).cost)).toBe(false);
  });

  it("the same variables in another order are the same entry", async () => {
    const query = `query($w: ID!, $first: Int) { website(id: $w) { conversations(first: $first) { nodes { sessionId } } } }`;
    await ask(query, { w: W, first: 4 });
    expect(fromResponseCache((await ask(query, { first: 4, w: W })).cost)).toBe(true);
  });

  it("a mutation is answered only once the entries it changed are gone, so a read-back never finds one", async () => {
    const memory = createMemoryResponseStore();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let invalidating = () => {};
    const invalidationStarted = new Promise<void>((resolve) => {
      invalidating = resolve;
    });
    // The memory store, with an invalidation as slow as the test says (Redis's takes a round trip).
    const store: ResponseCacheStore = {
      get: (id) => memory.get(id),
      set: (id, result, entities, ttl) => memory.set(id, result, entities, ttl),
      async invalidate(entities) {
        invalidating();
        await released;
        await memory.invalidate(entities);
      },
      close: () => memory.close(),
    };
    const slow = gatewayOn(simulator, {
      defaultWebsiteId: W,
      operationsPerMinute: 0,
      responseCache: { store, ttlMs: 60_000 },
    });
    const c = page()[6];
    const state = c?.state === "resolved" ? "UNRESOLVED" : "RESOLVED";
    let answered = false;
    const written = queryGateway(
      slow,
      `mutation($w: ID!, $s: ID!, $state: ConversationState!) { setConversationState(websiteId: $w, sessionId: $s, state: $state) { sessionId } }`,
      { w: W, s: c?.session_id, state },
    ).then((answer) => {
      answered = true;
      return answer;
    });
    await invalidationStarted;
    // A whole operation started after the invalidation did is answered first: the mutation's
    // answer, ready before it, is held until the invalidation ends.
    expect((await queryGateway(slow, "{ __typename }")).data).toEqual({ __typename: "Query" });
    expect(answered).toBe(false);
    release();
    expect((await written).errors).toBeUndefined();
  });

  it("two viewers never share an entry: one that may not see the website gets null", async () => {
    const query = `query($w: ID!) { website(id: $w) { name } }`;
    const admin = await ask<{ website: { name: string } | null }>(query, { w: W });
    expect(admin.data?.website?.name).toBe(simulator.store.website(W)?.name);
    expect(fromResponseCache((await ask(query, { w: W })).cost)).toBe(true);
    const stranger = await ask<{ website: { name: string } | null }>(query, { w: W }, KEYS.other);
    expect(stranger.data).toEqual({ website: null });
  });

  it("two viewers of the same name that may see other websites never share an entry", async () => {
    const query = `query($w: ID!) { website(id: $w) { name } }`;
    const seesW = await unnamedJwt([W]);
    const seesOther = await unnamedJwt([OTHER ?? W]);
    const allowed = await ask<{ website: { name: string } | null }>(query, { w: W }, seesW);
    expect(allowed.data?.website?.name).toBe(simulator.store.website(W)?.name);
    expect(fromResponseCache((await ask(query, { w: W }, seesW)).cost)).toBe(true);
    const other = await ask<{ website: { name: string } | null }>(query, { w: W }, seesOther);
    expect(other.data).toEqual({ website: null });
  });

  it("never caches an answer with errors", async () => {
    const query = `{ website { operators { userId } } }`;
    simulator.configure({ errors: { status: 500, rate: 1, match: /\/operators\/list$/ } });
    try {
      expect((await ask(query)).errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    } finally {
      simulator.configure({ errors: null });
    }
    const answer = await ask(query);
    expect(answer.errors).toBeUndefined();
    expect(fromResponseCache(answer.cost)).toBe(false);
  });

  it("never caches raw calls", async () => {
    const query = `query($p: String!) { crispRequest(path: $p) { reason } }`;
    await ask(query, { p: `/website/${W}` });
    const again = await ask(query, { p: `/website/${W}` });
    expect(again.cost.cacheHits).toBeGreaterThan(0);
  });

  it("writes a hit from the entry's JSON text: the data it was stored with, then the hit's own cost", async () => {
    const query = `query($w: ID!) { website(id: $w) { name conversations(first: 3) { nodes { sessionId meta { nickname } } } } }`;
    const text = async () => {
      const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.all}` },
        body: JSON.stringify({ query, variables: { w: W } }),
      });
      expect(response.headers.get("content-type")).toMatch(/json/);
      return response.text();
    };
    const stored = JSON.parse(await text()) as GraphQLResponse & { extensions: { cost: Cost } };
    expect(fromResponseCache(stored.extensions.cost)).toBe(false);
    for (let hit = 0; hit < 2; hit += 1) {
      const served = await text();
      const answer = JSON.parse(served) as GraphQLResponse & { extensions: { cost: Cost } };
      expect(served.startsWith(`{"data":${JSON.stringify(stored.data)},"extensions":`)).toBe(true);
      expect(fromResponseCache(answer.extensions.cost)).toBe(true);
      expect(answer.extensions.cost.estimated).toBe(stored.extensions.cost.estimated);
    }
  });
});
