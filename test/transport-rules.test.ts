import { createHash } from "node:crypto";
import { type Client, createClient, type SubscribePayload } from "graphql-ws";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { createAuthenticator } from "../src/auth.js";
import { startTestGateway } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

/**
 * The rules a client meets must not depend on the transport it picked: trusted documents and
 * APQ over HTTP POST, HTTP GET, SSE and graphql-ws alike; per-client memories and caps across
 * them; errors that are coded, never a socket closed with an error's text.
 */

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const KEYS = { a: "client-a-key-0123456789abcdef", b: "client-b-key-0123456789abcdef" };
const authenticate = createAuthenticator({
  keys: new Map(
    Object.entries(KEYS).map(([name, key]) => [
      sha256(key),
      { name, websites: "*" as const, access: "write" as const },
    ]),
  ),
});

const LISTED_QUERY = "query WebsiteName { website { name } }";
const LISTED_SUBSCRIPTION = "subscription Events($w: ID!) { crispEvents(websiteId: $w) { name } }";
const UNLISTED = "{ website { conversations(first: 5) { nodes { sessionId } } } }";
const UNLISTED_SUBSCRIPTION =
  "subscription Other($w: ID!) { crispEvents(websiteId: $w) { name websiteId } }";
const persisted = (query: string) => ({
  persistedQuery: { version: 1, sha256Hash: sha256(query) },
});

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** A graphql-ws client with credentials, disposed after the test. */
function wsClient(wsUrl: string, key: string = KEYS.a): Client {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${key}` },
  });
  onTestFinished(() => client.dispose());
  return client;
}

/** The first result (or protocol error) of an operation over graphql-ws. */
function firstResult(client: Client, payload: SubscribePayload): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stop = client.subscribe(payload, {
      next: (value) => {
        stop();
        resolve(value as Answer);
      },
      error: (error) => {
        if (Array.isArray(error)) {
          resolve({ errors: error as Answer["errors"] });
        } else {
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        }
      },
      complete: () => resolve({}),
    });
  });
}

/** Subscribes over graphql-ws and records what arrives; `nextEvent()` awaits the next one. */
function liveSubscription(client: Client, payload: SubscribePayload) {
  const waiting: ((answer: Answer) => void)[] = [];
  const arrived: Answer[] = [];
  const deliver = (answer: Answer) => {
    const wake = waiting.shift();
    if (wake) {
      wake(answer);
    } else {
      arrived.push(answer);
    }
  };
  const stop = client.subscribe(payload, {
    next: (value) => deliver(value as Answer),
    error: (error) => deliver({ errors: Array.isArray(error) ? (error as Answer["errors"]) : [] }),
    complete: () => undefined,
  });
  onTestFinished(stop);
  return {
    stop,
    nextEvent: () =>
      new Promise<Answer>((resolve) => {
        const ready = arrived.shift();
        if (ready) {
          resolve(ready);
        } else {
          waiting.push(resolve);
        }
      }),
  };
}

async function sseRequest(url: string, body: unknown, key: string = KEYS.a) {
  const abort = new AbortController();
  onTestFinished(() => abort.abort());
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
}

const SESSION = "session_b7a9f6e8-3c1d-4e5f-8a9b-0c1d2e3f4a5b";

/**
 * Reads an SSE response until its first `next` event, and returns its payload; the stream is
 * cancelled unless `keepOpen`.
 */
async function firstSseEvent(response: Response, keepOpen = false): Promise<Answer> {
  const reader = response.body?.getReader();
  if (reader === undefined) {
    throw new Error("no body");
  }
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`the stream ended before a result:\n${text}`);
    }
    text += decoder.decode(value, { stream: true });
    const match = /event: next\ndata: (.*)\n(?:id: [^\n]*\n)?\n/.exec(text);
    if (match?.[1] !== undefined) {
      if (keepOpen) {
        reader.releaseLock();
      } else {
        await reader.cancel();
      }
      return JSON.parse(match[1]) as Answer;
    }
  }
}

describe("trusted documents on every transport", async () => {
  const t = await startTestGateway(
    {},
    {
      authenticate,
      hooks: { secret: HOOK_SECRET },
      trustedDocuments: new Map(
        [LISTED_QUERY, LISTED_SUBSCRIPTION].map((document) => [sha256(document), document]),
      ),
    },
  );
  const { url, wsUrl } = await t.gateway.listen("127.0.0.1", 0);
  const W = t.simulator.defaultWebsiteId;
  const post = async (body: unknown) =>
    (await (
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.a}` },
        body: JSON.stringify(body),
      })
    ).json()) as Answer;

  it("HTTP POST: runs a listed hash, refuses a document outside the manifest before any Crisp request", async () => {
    expect((await post({ extensions: persisted(LISTED_QUERY) })).data).toEqual({
      website: { name: expect.any(String) },
    });
    t.takeRequests();
    const refused = await post({ query: UNLISTED });
    expect(refused.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(t.takeRequests()).toEqual([]);
  });

  it("HTTP GET: the same", async () => {
    const get = async (params: Record<string, string>) =>
      (await (
        await fetch(`${url}?${new URLSearchParams(params)}`, {
          headers: { authorization: `Bearer ${KEYS.a}`, "x-graphql-yoga-csrf": "1" },
        })
      ).json()) as Answer;
    expect(
      (await get({ extensions: JSON.stringify(persisted(LISTED_QUERY)) })).data?.website,
    ).toEqual({ name: expect.any(String) });
    t.takeRequests();
    const refused = await get({ query: UNLISTED });
    expect(refused.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(t.takeRequests()).toEqual([]);
  });

  it("SSE: a listed subscription streams; one outside the manifest is refused", async () => {
    const listed = await sseRequest(url, {
      extensions: persisted(LISTED_SUBSCRIPTION),
      variables: { w: W },
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("content-type")).toMatch(/text\/event-stream/);
    const hook = await postPluginHook(
      hookUrlOf(url),
      hookBody(W, "message:send", { session_id: SESSION }),
    );
    expect(hook.status).toBe(200);
    expect((await firstSseEvent(listed)).data).toEqual({ crispEvents: { name: "message:send" } });
    const refused = await sseRequest(url, { query: UNLISTED_SUBSCRIPTION, variables: { w: W } });
    expect((await firstSseEvent(refused)).errors?.[0]?.extensions?.code).toBe(
      "PERSISTED_QUERY_NOT_FOUND",
    );
  });

  it("graphql-ws: a listed hash runs; a document outside the manifest gets an error and the socket stays open", async () => {
    const client = wsClient(wsUrl);
    t.takeRequests();
    const refused = await firstResult(client, { query: UNLISTED });
    expect(refused.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(t.takeRequests()).toEqual([]);
    const listed = await firstResult(client, { query: "", extensions: persisted(LISTED_QUERY) });
    expect(listed.data).toEqual({ website: { name: expect.any(String) } });
    const subscription = await firstResult(client, {
      query: UNLISTED_SUBSCRIPTION,
      variables: { w: W },
    });
    expect(subscription.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});

function hookUrlOf(graphqlUrl: string): string {
  return new URL("/webhooks/crisp", graphqlUrl).href;
}

describe("automatic persisted queries are remembered per client", async () => {
  const t = await startTestGateway({}, { authenticate });
  const { url, wsUrl } = await t.gateway.listen("127.0.0.1", 0);
  const QUERY = "query Probe { website { name domain } }";
  const post = async (key: string, body: unknown) =>
    (await (
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      })
    ).json()) as Answer;

  it("a hash one client registered is unknown to another, over HTTP and graphql-ws", async () => {
    expect(
      (await post(KEYS.a, { query: QUERY, extensions: persisted(QUERY) })).errors,
    ).toBeUndefined();
    expect((await post(KEYS.a, { extensions: persisted(QUERY) })).data).toEqual({
      website: { name: expect.any(String), domain: expect.any(String) },
    });
    const probe = await post(KEYS.b, { extensions: persisted(QUERY) });
    expect(probe.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    const overWs = await firstResult(wsClient(wsUrl, KEYS.b), {
      query: "",
      extensions: persisted(QUERY),
    });
    expect(overWs.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    const ownOverWs = await firstResult(wsClient(wsUrl, KEYS.a), {
      query: "",
      extensions: persisted(QUERY),
    });
    expect(ownOverWs.data).toEqual({ website: expect.any(Object) });
  });
});

describe("graphql-ws answers refusals as errors, never by closing the socket with their text", async () => {
  const t = await startTestGateway({}, { authenticate, limits: { maxDocumentLength: 1_000 } });
  const { wsUrl } = await t.gateway.listen("127.0.0.1", 0);

  it("a syntax error and an over-long document each get a coded error, then the socket still serves", async () => {
    const client = wsClient(wsUrl);
    const syntax = await firstResult(client, { query: "{ website { name " });
    expect(syntax.errors?.[0]?.message).toMatch(/Syntax Error/);
    const long = await firstResult(client, {
      query: `{ website { name } } # ${"x".repeat(2_000)}`,
    });
    expect(long.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
    const fine = await firstResult(client, { query: "{ website { name } }" });
    expect(fine.data).toEqual({ website: { name: expect.any(String) } });
  });
});

describe("caps on open subscriptions", async () => {
  const t = await startTestGateway(
    {},
    {
      authenticate,
      hooks: { secret: HOOK_SECRET },
      maxOperationsPerSocket: 2,
      maxSubscriptionsPerClient: 3,
    },
  );
  const { url, wsUrl } = await t.gateway.listen("127.0.0.1", 0);
  const hookUrl = hookUrlOf(url);
  const W = t.simulator.defaultWebsiteId;
  const EVENTS = { query: LISTED_SUBSCRIPTION, variables: { w: W } };
  const EVENT = { data: { crispEvents: { name: "message:send" } } };
  const sendHook = async () => {
    const answer = await postPluginHook(
      hookUrl,
      hookBody(W, "message:send", { session_id: SESSION }),
    );
    expect(answer.status).toBe(200);
  };
  // Subscriptions open in this block, so hooks are sent only once they listen (the gateway's
  // count of open subscriptions is the signal).
  let open = 0;
  /** Subscribes over graphql-ws and resolves once the subscription listens to its events. */
  const listening = async (client: Client) => {
    open += 1;
    const listened = t.gateway.openSubscriptions(open);
    const subscription = liveSubscription(client, EVENTS);
    await listened;
    return subscription;
  };
  /** Stops subscriptions and resolves once the gateway has closed them. */
  const stopping = async (...subscriptions: { stop(): void }[]) => {
    open -= subscriptions.length;
    const closed = t.gateway.openSubscriptions(open);
    for (const subscription of subscriptions) {
      subscription.stop();
    }
    await closed;
  };

  it("one socket: past its cap a subscription gets REQUEST_LIMIT_EXCEEDED, the open ones keep receiving, and a freed slot is usable", async () => {
    const client = wsClient(wsUrl, KEYS.b);
    const one = await listening(client);
    const two = await listening(client);
    const refused = await firstResult(client, EVENTS);
    expect(refused.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
    expect(refused.errors?.[0]?.message).toMatch(/at most 2 per socket/);
    await sendHook();
    expect(await one.nextEvent()).toMatchObject(EVENT);
    expect(await two.nextEvent()).toMatchObject(EVENT);
    await stopping(one);
    const three = await listening(client);
    await sendHook();
    expect(await two.nextEvent()).toMatchObject(EVENT);
    expect(await three.nextEvent()).toMatchObject(EVENT);
    await stopping(two, three);
  });

  it("one client across sockets and SSE: past its cap a new subscription is refused on either transport", async () => {
    const first = await listening(wsClient(wsUrl));
    await listening(wsClient(wsUrl));
    open += 1;
    const listened = t.gateway.openSubscriptions(open);
    const third = await sseRequest(url, EVENTS);
    await listened;
    const refusedWs = await firstResult(wsClient(wsUrl), EVENTS);
    expect(refusedWs.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
    expect(refusedWs.errors?.[0]?.message).toMatch(/at most 3 per client/);
    const refusedSse = await firstSseEvent(await sseRequest(url, EVENTS));
    expect(refusedSse.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
    // Another client is not affected, and the open ones keep receiving.
    const other = await listening(wsClient(wsUrl, KEYS.b));
    await sendHook();
    expect(await other.nextEvent()).toMatchObject(EVENT);
    expect(await first.nextEvent()).toMatchObject(EVENT);
    expect(await firstSseEvent(third)).toMatchObject(EVENT);
  });
});
