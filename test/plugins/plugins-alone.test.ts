import { createHash } from "node:crypto";
import { createPubSub, createSchema, createYoga, type YogaServerOptions } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { createAuthenticator, type Viewer } from "../../src/auth.js";
import { useAuthentication } from "../../src/plugins/use-authentication.js";
import {
  memoryOperationLimiter,
  useClientRateLimit,
} from "../../src/plugins/use-client-rate-limit.js";
import { useEventIds } from "../../src/plugins/use-event-ids.js";
import { useOperationDeadline } from "../../src/plugins/use-operation-deadline.js";
import {
  createPersistedOperations,
  usePersistedOperations,
} from "../../src/plugins/use-persisted-operations.js";
import { useProductionSchemaPrivacy } from "../../src/plugins/use-production-schema-privacy.js";
import { useReadOnlyViewers } from "../../src/plugins/use-read-only-viewers.js";
import { useRequestLimits } from "../../src/plugins/use-request-limits.js";
import { type Staleness, useStaleMarker } from "../../src/plugins/use-stale-marker.js";
import { useSubscriptionCount } from "../../src/plugins/use-subscription-count.js";
import { useSubscriptionLimits } from "../../src/plugins/use-subscription-limits.js";
import { sseText } from "../helpers/streams.js";

/**
 * Each plugin of src/plugins alone on a small schema, driven with `yoga.fetch` (no port, no
 * gateway): what it does is then its own doing. The gateway-wide tests cover them composed.
 */

interface Context {
  viewer?: Viewer;
  staleness?: Staleness;
  eventId?: string;
  /** The connection an operation came over (graphql-ws puts its socket here). */
  socket?: object;
}

/** What useAuthentication keeps on the server context. */
type ServerContext = { viewer?: Viewer };
type Plugins = NonNullable<YogaServerOptions<ServerContext, Context>["plugins"]>;

/** A query that answers when the test says so, a mutation, and a subscription fed by `pubsub`. */
function smallYoga(plugins: Plugins, context: Context = {}) {
  const pubsub = createPubSub<{ tick: [number] }>();
  let release: (() => void) | undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let mutations = 0;
  const yoga = createYoga<ServerContext, Context>({
    schema: createSchema({
      typeDefs: `
        type Query { hello: String, slow: String, nested: Nested, whoami: String }
        type Nested { nested: Nested, leaf: String }
        type Mutation { write: Int }
        type Subscription { tick: Int }
      `,
      resolvers: {
        Query: {
          hello: () => "world",
          slow: async () => {
            await released;
            return "late";
          },
          nested: () => ({}),
          whoami: (_root: unknown, _args: unknown, ctx: Context) => ctx.viewer?.name ?? null,
        },
        Nested: { nested: () => ({}), leaf: () => "leaf" },
        Mutation: { write: () => ++mutations },
        Subscription: {
          tick: { subscribe: () => pubsub.subscribe("tick"), resolve: (tick: number) => tick },
        },
      },
    }),
    context: () => ({ ...context }),
    plugins,
    maskedErrors: false,
  });
  const post = (query: string, headers: Record<string, string> = {}) =>
    yoga.fetch("http://yoga.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query }),
    });
  const run = async (query: string, headers: Record<string, string> = {}) =>
    (await (await post(query, headers)).json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
      extensions?: Record<string, unknown>;
    };
  /** Opens an SSE subscription; `read()` returns what has streamed so far up to `pattern`. */
  const subscribe = async (query = "subscription { tick }") => {
    const controller = new AbortController();
    const response = await yoga.fetch("http://yoga.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query }),
      signal: controller.signal,
    });
    const stream = sseText(response);
    return {
      until: stream.until,
      close: () => {
        stream.cancel();
        controller.abort();
      },
    };
  };
  return {
    yoga,
    pubsub,
    post,
    run,
    subscribe,
    release: () => release?.(),
    mutations: () => mutations,
  };
}

const reader: Viewer = { name: "reader", websites: "*", access: "read" };
const writer: Viewer = { name: "writer", websites: "*", access: "write" };

describe("useReadOnlyViewers", () => {
  it("refuses a read-only viewer's mutation with FORBIDDEN before it runs", async () => {
    const t = smallYoga([useReadOnlyViewers()], { viewer: reader });
    const answer = await t.run("mutation { write }");
    expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(t.mutations()).toBe(0);
  });

  it("lets a read-only viewer query and a writer mutate", async () => {
    expect(
      (await smallYoga([useReadOnlyViewers()], { viewer: reader }).run("{ hello }")).data,
    ).toEqual({ hello: "world" });
    const t = smallYoga([useReadOnlyViewers()], { viewer: writer });
    expect((await t.run("mutation { write }")).data).toEqual({ write: 1 });
  });
});

describe("useStaleMarker", () => {
  it("says extensions.stale only when the operation served stale data", async () => {
    const stale = smallYoga([useStaleMarker()], { staleness: { servedStale: true } });
    expect((await stale.run("{ hello }")).extensions).toEqual({ stale: true });
    const fresh = smallYoga([useStaleMarker()], { staleness: { servedStale: false } });
    expect((await fresh.run("{ hello }")).extensions).toBeUndefined();
  });

  it("leaves subscription events alone", async () => {
    const t = smallYoga([useStaleMarker()], { staleness: { servedStale: true } });
    const sub = await t.subscribe();
    // Yoga opens the stream with a comment once the subscription is set up.
    await sub.until(/:/);
    t.pubsub.publish("tick", 7);
    const text = await sub.until(/event: next/);
    expect(text).toContain('data: {"data":{"tick":7}}');
    expect(text).not.toContain("stale");
    sub.close();
  });
});

describe("useEventIds", () => {
  it("puts the context's event id on each subscription result, with an SSE id line", async () => {
    const t = smallYoga([useEventIds()], { eventId: "1700000000000-3" });
    const sub = await t.subscribe();
    await sub.until(/:/);
    t.pubsub.publish("tick", 1);
    const text = await sub.until(/id: /);
    expect(text).toContain(
      'data: {"data":{"tick":1},"extensions":{"eventId":"1700000000000-3"}}\nid: 1700000000000-3',
    );
    sub.close();
  });

  it("adds nothing to queries", async () => {
    const t = smallYoga([useEventIds()], { eventId: "1-1" });
    expect((await t.run("{ hello }")).extensions).toBeUndefined();
  });
});

describe("useSubscriptionCount", () => {
  it("counts a subscription opened, then closed when its client leaves; queries not at all", async () => {
    const counts: string[] = [];
    let closed: (() => void) | undefined;
    const ended = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const t = smallYoga([
      useSubscriptionCount({
        opened: () => counts.push("opened"),
        closed: () => {
          counts.push("closed");
          closed?.();
        },
      }),
    ]);
    await t.run("{ hello }");
    expect(counts).toEqual([]);
    const sub = await t.subscribe();
    await sub.until(/:/);
    expect(counts).toEqual(["opened"]);
    sub.close();
    await ended;
    expect(counts).toEqual(["opened", "closed"]);
  });
});

describe("useSubscriptionLimits", () => {
  it("refuses a subscription past the per-client cap with REQUEST_LIMIT_EXCEEDED; the open one goes on", async () => {
    const t = smallYoga([useSubscriptionLimits({ perClient: 1 })], { viewer: reader });
    const first = await t.subscribe();
    await first.until(/:/);
    const second = await t.subscribe();
    expect(await second.until(/REQUEST_LIMIT_EXCEEDED|event: complete/)).toContain(
      "REQUEST_LIMIT_EXCEEDED",
    );
    t.pubsub.publish("tick", 3);
    expect(await first.until(/event: next/)).toContain('"tick":3');
    first.close();
  });

  it("lets every subscription through with a cap of 0", async () => {
    const t = smallYoga([useSubscriptionLimits({ perClient: 0 })], { viewer: reader });
    const subs = [await t.subscribe(), await t.subscribe(), await t.subscribe()];
    for (const sub of subs) {
      await sub.until(/:/);
    }
    t.pubsub.publish("tick", 4);
    for (const sub of subs) {
      expect(await sub.until(/event: next/)).toContain('"tick":4');
      sub.close();
    }
  });
});

describe("useOperationDeadline", () => {
  it("answers GATEWAY_TIMEOUT past the deadline instead of waiting for a slow resolver", async () => {
    const t = smallYoga([useOperationDeadline({ deadlineMs: 20 })]);
    const answer = await t.run("{ slow }");
    expect(answer.errors?.[0]?.extensions?.code).toBe("GATEWAY_TIMEOUT");
    t.release();
  });

  it("answers normally within the deadline", async () => {
    const t = smallYoga([useOperationDeadline({ deadlineMs: 60_000 })]);
    expect((await t.run("{ hello }")).data).toEqual({ hello: "world" });
  });
});

describe("useProductionSchemaPrivacy", () => {
  it("refuses introspection and strips suggestions when both are off", async () => {
    const t = smallYoga([useProductionSchemaPrivacy({ introspection: false, suggestions: false })]);
    const introspection = await t.run("{ __schema { types { name } } }");
    expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await t.run("{ helo }");
    expect(typo.errors?.[0]?.message).toBe('Cannot query field "helo" on type "Query".');
  });

  it("keeps both when allowed", async () => {
    const t = smallYoga([useProductionSchemaPrivacy({ introspection: true, suggestions: true })]);
    expect((await t.run("{ __schema { queryType { name } } }")).data).toEqual({
      __schema: { queryType: { name: "Query" } },
    });
    expect((await t.run("{ helo }")).errors?.[0]?.message).toMatch(/Did you mean "hello"\?/);
  });
});

describe("useRequestLimits", () => {
  it("refuses a document deeper than maxDepth with REQUEST_LIMIT_EXCEEDED, HTTP 400", async () => {
    const t = smallYoga(useRequestLimits({ maxDepth: 3 }));
    const response = await t.yoga.fetch("http://yoga.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ nested { nested { nested { nested { leaf } } } } }" }),
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(answer.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
    expect((await t.run("{ nested { leaf } }")).data).toEqual({ nested: { leaf: "leaf" } });
  });

  it("refuses a document longer than maxDocumentLength, and variables nested too deep", async () => {
    const t = smallYoga(useRequestLimits({ maxDocumentLength: 100, maxVariablesDepth: 2 }));
    const long = await t.run(`{ hello ${" ".repeat(200)} }`);
    expect(long.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
    const response = await t.yoga.fetch("http://yoga.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ hello }", variables: { a: { b: { c: { d: 1 } } } } }),
    });
    const deep = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(deep.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("refuses a subscription document past the limits too", async () => {
    const t = smallYoga(useRequestLimits({ maxAliases: 1 }));
    const answer = await t.run("subscription { a: tick b: tick }");
    expect(answer.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
  });
});

describe("useAuthentication", () => {
  const KEY = "plugins-alone-key-0123456789";
  const authenticate = createAuthenticator({
    keys: new Map([
      [
        createHash("sha256").update(KEY).digest("hex"),
        { name: "tests", websites: "*", access: "read" },
      ],
    ]),
  });

  it("puts the viewer of a valid key on the context", async () => {
    const t = smallYoga([useAuthentication({ authenticate })]);
    const answer = await t.run("{ whoami }", { authorization: `Bearer ${KEY}` });
    expect(answer.data).toEqual({ whoami: "tests" });
  });

  it("answers 401 UNAUTHENTICATED to a missing or wrong key, before the document is parsed", async () => {
    const t = smallYoga([useAuthentication({ authenticate })]);
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-key-0123456789" },
    ];
    for (const headers of attempts) {
      // Not even GraphQL: authentication comes first.
      const response = await t.post("{ not graphql", headers);
      expect(response.status).toBe(401);
      const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });

  it("leaves the viewer to the context factory when there is no authenticator", async () => {
    const t = smallYoga([useAuthentication({ authenticate: null })], { viewer: writer });
    expect((await t.run("{ whoami }")).data).toEqual({ whoami: "writer" });
  });
});

describe("useClientRateLimit", () => {
  it("refuses the operation past the per-minute limit with RATE_LIMITED, retryAfter and HTTP 429", async () => {
    const t = smallYoga([useClientRateLimit({ limiter: memoryOperationLimiter(2) })], {
      viewer: reader,
    });
    expect((await t.run("{ hello }")).data).toEqual({ hello: "world" });
    expect((await t.run("{ hello }")).data).toEqual({ hello: "world" });
    const response = await t.post("{ hello }");
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const answer = (await response.json()) as {
      errors?: { extensions?: { code?: string; retryAfter?: number } }[];
    };
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: "RATE_LIMITED",
      retryAfter: expect.any(Number),
    });
  });

  it("limits subscription starts per connection, not per client", async () => {
    const t = smallYoga(
      [
        useClientRateLimit({
          limiter: memoryOperationLimiter(100),
          perConnection: memoryOperationLimiter(1),
        }),
      ],
      // One socket carrying every subscription, as one graphql-ws connection does.
      { viewer: reader, socket: {} },
    );
    const first = await t.subscribe();
    await first.until(/:/);
    const second = await t.subscribe();
    expect(await second.until(/RATE_LIMITED|event: complete/)).toContain("RATE_LIMITED");
    // The refusal ends only the new one: the first still gets events.
    t.pubsub.publish("tick", 5);
    expect(await first.until(/event: next/)).toContain('"tick":5');
    first.close();
  });
});

describe("usePersistedOperations", () => {
  const QUERY = "{ hello }";
  const HASH = createHash("sha256").update(QUERY).digest("hex");
  /** A POST carrying the persisted-query extension, from the client `viewer`. */
  const persisted = async (
    yoga: ReturnType<typeof smallYoga>["yoga"],
    body: Record<string, unknown>,
    viewer: Viewer,
  ) =>
    (await (
      await yoga.fetch(
        "http://yoga.test/graphql",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        { viewer },
      )
    ).json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
  const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

  it("APQ: an unknown hash asks for the query, which is then kept for that client only", async () => {
    const { yoga } = smallYoga([usePersistedOperations(createPersistedOperations())]);
    const first = await persisted(yoga, { extensions: apq(HASH) }, reader);
    expect(first.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await persisted(yoga, { query: QUERY, extensions: apq(HASH) }, reader)).data).toEqual({
      hello: "world",
    });
    expect((await persisted(yoga, { extensions: apq(HASH) }, reader)).data).toEqual({
      hello: "world",
    });
    // Another client has not sent it: its hash alone is unknown.
    const other = await persisted(yoga, { extensions: apq(HASH) }, writer);
    expect(other.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("APQ: refuses a hash that does not match its query", async () => {
    const { yoga } = smallYoga([usePersistedOperations(createPersistedOperations())]);
    const wrong = await persisted(yoga, { query: "{ whoami }", extensions: apq(HASH) }, reader);
    expect(wrong.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("trusted documents: a listed hash runs its document, anything else is refused", async () => {
    const { yoga } = smallYoga([
      usePersistedOperations(createPersistedOperations({ trusted: new Map([[HASH, QUERY]]) })),
    ]);
    expect((await persisted(yoga, { extensions: apq(HASH) }, reader)).data).toEqual({
      hello: "world",
    });
    const unlisted = await persisted(yoga, { query: "{ whoami }" }, reader);
    expect(unlisted.data).toBeUndefined();
    expect(unlisted.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});
