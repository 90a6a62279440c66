/**
 * Live updates as a client lives them: subscriptions that survive Crisp failing, resume
 * after a disconnect with no gap and no duplicate (graphql-ws and SSE), listen to every
 * website they may see, and a change feed that pages through the recorded events. Events
 * enter through the gateway's ingest entry point, as every source's do.
 */
import { createHash, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createMemoryEventLog } from "../src/events/log.js";
import { createRedisEventLog } from "../src/events/redis-log.js";
import { encodeGlobalId } from "../src/schema/global-id.js";
import { startTestGateway } from "./helpers/gateway.js";
import { subscribe, wsClient } from "./helpers/live.js";

const t = await startTestGateway();
const { wsUrl, url } = await t.gateway.listen("127.0.0.1", 0);
const store = t.simulator.store;
const W = t.simulator.defaultWebsiteId;
const OTHER = store.websites[1]?.website_id ?? "";
const S = store.listConversations(W, {})[0]?.session_id ?? "";

/** Records one event as the hook route would, and returns its id. */
async function record(name: string, data: Record<string, unknown>, websiteId = W): Promise<string> {
  const result = await t.gateway.ingest(
    {
      name,
      websiteId,
      sessionId: typeof data.session_id === "string" ? data.session_id : null,
      data: { website_id: websiteId, ...data },
      timestamp: Date.now(),
    },
    { source: "hook", dedupeKey: randomUUID() },
  );
  if (!result.recorded) {
    throw new Error("not recorded");
  }
  return result.id;
}

describe("a subscription and Crisp failing", () => {
  it("delivers a failed read as that event's error (503, then 429) and goes on", async () => {
    const sub = subscribe<{
      conversationUpdated: { name: string; conversation: { state: string } };
    }>(
      wsClient(wsUrl),
      `subscription($s: ID) { conversationUpdated(websiteId: "${W}", sessionId: $s) { name conversation { sessionId state } } }`,
      { s: S },
    );
    await t.gateway.openSubscriptions(1);
    try {
      t.simulator.configure({ errors: { status: 503, rate: 1 } });
      await record("session:set_state", { session_id: S, state: "pending" });
      const [unavailable] = await sub.take(1);
      expect(unavailable?.data).toBeNull();
      expect(unavailable?.errors?.[0]).toMatchObject({
        path: ["conversationUpdated", "conversation"],
        extensions: { code: "UPSTREAM_UNAVAILABLE" },
      });
      t.simulator.configure({ errors: { status: 429, rate: 1 } });
      await record("session:set_state", { session_id: S, state: "unresolved" });
      const [throttled] = await sub.take(1);
      expect(throttled?.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    } finally {
      t.simulator.configure({ errors: null });
    }
    await record("session:set_state", { session_id: S, state: "resolved" });
    const [recovered] = await sub.take(1);
    expect(recovered?.errors).toBeUndefined();
    expect(recovered?.data?.conversationUpdated).toEqual({
      name: "session:set_state",
      // The event's state, whatever Crisp's GET answered (the simulator was not written to).
      conversation: { sessionId: S, state: "RESOLVED" },
    });
    sub.dispose();
    await t.gateway.openSubscriptions(0);
  });
});

describe("resuming", () => {
  it("over graphql-ws: after the last event seen, every missed event once, then live ones", async () => {
    const query = `subscription($after: ID) { crispEvents(websiteId: "${W}", names: ["session:set_state"], after: $after) { id data } }`;
    const first = subscribe<{ crispEvents: { id: string } }>(wsClient(wsUrl), query);
    await t.gateway.openSubscriptions(1);
    const seen = [
      await record("session:set_state", { session_id: S, n: 1 }),
      await record("session:set_state", { session_id: S, n: 2 }),
    ];
    const received = await first.take(2);
    expect(received.map((r) => r.data?.crispEvents.id)).toEqual(seen);
    expect(received.map((r) => r.extensions?.eventId)).toEqual(seen);
    first.dispose();
    await t.gateway.openSubscriptions(0);
    // Missed while away: more than one replay page of the log (500), of this and another kind.
    const missed: string[] = [];
    for (let n = 0; n < 1_200; n += 1) {
      missed.push(await record("session:set_state", { session_id: S, n: 100 + n }));
      if (n % 100 === 0) {
        await record("message:compose:send", { session_id: S });
      }
    }
    const resumed = subscribe<{ crispEvents: { id: string } }>(wsClient(wsUrl), query, {
      after: seen.at(-1),
    });
    await t.gateway.openSubscriptions(1);
    const live = await record("session:set_state", { session_id: S, n: "live" });
    const all = await resumed.take(missed.length + 1);
    expect(all.map((r) => r.data?.crispEvents.id)).toEqual([...missed, live]);
    const after = await record("session:set_state", { session_id: S, n: "after" });
    expect((await resumed.take(1)).map((r) => r.data?.crispEvents.id)).toEqual([after]);
    expect(resumed.pending()).toBe(0);
    resumed.dispose();
    await t.gateway.openSubscriptions(0);
  });

  it("over SSE: id lines, and Last-Event-ID resumes where the stream stopped", async () => {
    const body = JSON.stringify({
      query: `subscription { messageAdded(websiteId: "${W}") { fingerprint text } }`,
    });
    const open = (lastEventId?: string) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId }),
        },
        body,
      });
    const message = (fingerprint: number) =>
      record("message:send", {
        session_id: S,
        type: "text",
        from: "user",
        origin: "chat",
        content: `Message ${fingerprint}`,
        fingerprint,
        timestamp: Date.now(),
        user: { nickname: "Visitor" },
      });
    const first = await open();
    const reader = sseEvents(first);
    await reader.started;
    await t.gateway.openSubscriptions(1);
    const one = await message(900_001);
    const [event] = await reader.take(1);
    expect(event).toMatchObject({
      id: one,
      data: { data: { messageAdded: { fingerprint: 900_001 } } },
    });
    await reader.cancel();
    await t.gateway.openSubscriptions(0);
    const missed = [await message(900_002), await message(900_003)];
    const second = await open(one);
    const resumed = sseEvents(second);
    await resumed.started;
    const got = await resumed.take(2);
    expect(got.map((e) => e.id)).toEqual(missed);
    expect(got.map((e) => e.data.data?.messageAdded?.fingerprint)).toEqual([900_002, 900_003]);
    await resumed.cancel();
  });

  it("refuses an event id the log no longer keeps, saying to resync, and a malformed one", async () => {
    const small = await startTestGateway({}, { events: createMemoryEventLog({ maxEvents: 3 }) });
    const ids: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      const result = await small.gateway.ingest(
        { name: "session:set_state", websiteId: W, sessionId: S, data: { n }, timestamp: n },
        { source: "hook", dedupeKey: `${n}` },
      );
      ids.push(result.recorded ? result.id : "");
    }
    const refused = await small.query(
      `{ website { changes(after: "${ids[0]}") { events { id } } } }`,
    );
    expect(refused.errors?.[0]).toMatchObject({
      extensions: { code: "BAD_USER_INPUT", field: "after", resync: true },
    });
    expect(refused.errors?.[0]?.message).toMatch(/resync/);
    const { wsUrl: smallWs } = await small.gateway.listen("127.0.0.1", 0);
    const gone = subscribe(
      wsClient(smallWs),
      `subscription { crispEvents(after: "${ids[0]}") { id } }`,
    );
    const [answer] = await gone.take(1);
    expect(answer?.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      resync: true,
    });
    expect(await gone.ended).toEqual({ completed: true });
    const malformed = subscribe(
      wsClient(smallWs),
      `subscription { crispEvents(after: "yesterday") { id } }`,
    );
    const [bad] = await malformed.take(1);
    expect(bad?.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
  });

  it("on Redis too: an event id whose entry was trimmed (MAXLEN) is refused with resync, a kept one is not", async () => {
    const events = await createRedisEventLog({
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      scope: `trim-${randomUUID()}`,
      maxEvents: 10,
    });
    const small = await startTestGateway({}, { events });
    const ids: string[] = [];
    // `MAXLEN ~` trims whole stream nodes (100 entries): enough for a few to go.
    for (let n = 0; n < 350; n += 1) {
      const result = await small.gateway.ingest(
        { name: "session:set_state", websiteId: W, sessionId: S, data: { n }, timestamp: n },
        { source: "hook", dedupeKey: `trim-${n}` },
      );
      ids.push(result.recorded ? result.id : "");
    }
    const changes = (after: string | undefined) =>
      small.query<{ website: { changes: { events: { id: string }[] } } }>(
        `query($after: String) { website { changes(after: $after) { events { id } } } }`,
        { after },
      );
    const refused = await changes(ids[0]);
    expect(refused.errors?.[0]).toMatchObject({
      extensions: { code: "BAD_USER_INPUT", field: "after", resync: true },
    });
    const kept = await changes(ids.at(-3));
    expect(kept.errors).toBeUndefined();
    expect(kept.data?.website.changes.events.map((event) => event.id)).toEqual(ids.slice(-2));
    // From the start of what is kept: no resync, and it ends with the newest.
    const all = await changes(undefined);
    expect(all.errors).toBeUndefined();
    expect(all.data?.website.changes.events.at(-1)?.id ?? "").not.toBe(ids[0]);
  });
});

describe("what a subscription listens to", () => {
  it("without websiteId, every website the credentials may see, and only those", async () => {
    const key = "live-key-for-one-website-000000";
    const scoped = await startTestGateway(
      {},
      {
        authenticate: async (header) => {
          if (header !== `Bearer ${key}`) {
            throw new Error("unknown key");
          }
          return { name: "one-website", websites: new Set([W]), access: "read" };
        },
      },
    );
    const { wsUrl: scopedWs } = await scoped.gateway.listen("127.0.0.1", 0);
    const mine = subscribe<{ crispEvents: { websiteId: string } }>(
      wsClient(scopedWs, { authorization: `Bearer ${key}` }),
      `subscription { crispEvents(names: ["session:set_state"]) { websiteId } }`,
    );
    await scoped.gateway.openSubscriptions(1);
    const recordOn = (websiteId: string) =>
      scoped.gateway.ingest(
        { name: "session:set_state", websiteId, sessionId: null, data: {}, timestamp: Date.now() },
        { source: "hook", dedupeKey: randomUUID() },
      );
    await recordOn(OTHER);
    await recordOn(W);
    const [only] = await mine.take(1);
    expect(only?.data?.crispEvents.websiteId).toBe(W);
    expect(mine.pending()).toBe(0);
  });

  it.each([
    ["upper-case", W.toUpperCase()],
    ["the Website global id", encodeGlobalId("Website", W)],
  ])("accepts the website id in %s and delivers its events", async (_name, websiteId) => {
    const sub = subscribe<{ crispEvents: { name: string } }>(
      wsClient(wsUrl),
      `subscription($w: ID) { crispEvents(websiteId: $w, names: ["session:set_segments"]) { name } }`,
      { w: websiteId },
    );
    await t.gateway.openSubscriptions(1);
    await record("session:set_segments", { session_id: S, segments: ["x"] });
    expect((await sub.take(1))[0]?.data?.crispEvents.name).toBe("session:set_segments");
    sub.dispose();
    await t.gateway.openSubscriptions(0);
  });

  it("refuses a subscription over the cost limit before anything is read", async () => {
    const limited = await startTestGateway({}, { maxOperationCost: 5 });
    const { wsUrl: limitedWs } = await limited.gateway.listen("127.0.0.1", 0);
    limited.takeRequests();
    const refused = subscribe(
      wsClient(limitedWs),
      `subscription { messageAdded(websiteId: "${W}") { conversation { person { conversations(first: 10) { nodes { sessionId } } } } } }`,
    );
    const [answer] = await refused.take(1);
    expect(answer?.errors?.[0]?.extensions?.code).toBe("REQUEST_LIMIT_EXCEEDED");
    expect(limited.takeRequests()).toEqual([]);
  });
});

describe("the change feed", () => {
  it("pages through this website's recorded events with a cursor, at zero Crisp cost", async () => {
    const feed = await startTestGateway();
    const ids: string[] = [];
    for (let n = 0; n < 7; n += 1) {
      for (const websiteId of [W, OTHER]) {
        const result = await feed.gateway.ingest(
          { name: "session:set_state", websiteId, sessionId: S, data: { n }, timestamp: n },
          {
            source: "hook",
            dedupeKey: createHash("sha256").update(`${websiteId}${n}`).digest("hex"),
          },
        );
        if (websiteId === W && result.recorded) {
          ids.push(result.id);
        }
      }
    }
    feed.takeRequests();
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const answer: {
        data?: {
          website: { changes: { events: { id: string }[]; cursor: string; hasMore: boolean } };
        } | null;
      } = await feed.query(
        `query($after: String) { website(id: "${W}") { changes(after: $after, first: 3) { events { id } cursor hasMore } } }`,
        { after },
      );
      const changes = answer.data?.website.changes;
      if (changes === undefined) {
        throw new Error("no feed");
      }
      pages.push(changes.events.map((event) => event.id));
      after = changes.cursor;
      if (!changes.hasMore) {
        break;
      }
    }
    expect(pages).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
    // Caught up: the same cursor again gives nothing, and a new event after it.
    const next = await feed.gateway.ingest(
      { name: "session:set_state", websiteId: W, sessionId: S, data: { n: "new" }, timestamp: 99 },
      { source: "hook", dedupeKey: "new" },
    );
    const more = await feed.query<{ website: { changes: { events: { id: string }[] } } }>(
      `query($after: String) { website(id: "${W}") { changes(after: $after) { events { id } } } }`,
      { after },
    );
    expect(more.data?.website.changes.events.map((event) => event.id)).toEqual([
      next.recorded ? next.id : "",
    ]);
    expect(feed.takeRequests().filter((request) => !request.startsWith("GET /website/"))).toEqual(
      [],
    );
  });
});

/** The `next` events of an SSE response, with their `id:` lines. */
function sseEvents(response: Response) {
  const reader = response.body?.getReader();
  if (reader === undefined) {
    throw new Error("no stream");
  }
  const decoder = new TextDecoder();
  let buffered = "";
  const parsed: {
    id: string | undefined;
    data: { data?: Record<string, { fingerprint?: number }> };
  }[] = [];
  const pull = async () => {
    const chunk = await reader.read();
    if (chunk.done) {
      throw new Error("the stream ended");
    }
    buffered += decoder.decode(chunk.value, { stream: true });
    for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
      const block = buffered.slice(0, end).split("\n");
      buffered = buffered.slice(end + 2);
      if (block[0] === "event: next") {
        const data = block.find((line) => line.startsWith("data: "))?.slice(6) ?? "{}";
        parsed.push({
          id: block.find((line) => line.startsWith("id: "))?.slice(4),
          data: JSON.parse(data),
        });
      }
    }
  };
  // Reading the opening comment is what starts the subscription.
  const opening = pull();
  return {
    started: opening,
    async take(count: number) {
      while (parsed.length < count) {
        await pull();
      }
      return parsed.splice(0, count);
    },
    cancel: () => reader.cancel(),
  };
}
