/**
 * Paging a conversation's history back in time costs Crisp what a direct walk of its batches
 * costs (issue 12.2): a cursor carries the batch its message came in, and the next window starts
 * from that batch, already in the shared cache.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import type { WireMessage } from "../src/simulator/index.js";
import {
  type GraphQLResponse,
  gatewayOn,
  LENIENT_GUARD,
  queryGateway,
  startTestGateway,
} from "./helpers/gateway.js";

// The shared cache on (the helper turns it off by default): reusing batches is its job.
const t = await startTestGateway({}, { cache: {} });
const W = t.simulator.defaultWebsiteId;
const store = t.simulator.store;

/**
 * Messages sharing the millisecond of the one before: on the edges of windows of 50 (the cursor
 * names its message, not only its time) and inside them. Not on the edges of Crisp's batches of
 * 40, which no client of timestamp_before can tell apart (nor does the direct walk).
 */
const SHARED_MILLISECOND = new Set([7, 33, 50, 77, 100, 150, 190]);

/** A conversation whose history is `count` messages, some sharing a millisecond. */
function conversationWith(count: number, index: number): { sessionId: string; all: number[] } {
  const conversation = store.listConversations(W, { includeEmpty: false })[index];
  const sessionId = conversation?.session_id ?? "";
  const messages = store.messages(W, sessionId);
  const model = messages?.[0];
  if (messages === undefined || model === undefined) {
    throw new Error("the seed has no conversation with messages");
  }
  const start = model.timestamp;
  const history: WireMessage[] = [];
  for (let i = 0; i < count; i += 1) {
    const previous = history[i - 1];
    history.push({
      ...model,
      timestamp:
        previous !== undefined && SHARED_MILLISECOND.has(i)
          ? previous.timestamp
          : start + i * 1_000,
      fingerprint: 700_000_000 + index * 10_000 + i,
      content: `message ${i}`,
    });
  }
  messages.splice(0, messages.length, ...history);
  return { sessionId, all: history.map((message) => message.fingerprint) };
}

interface HistoryPage {
  website: {
    conversation: {
      messages: {
        nodes: { fingerprint: number }[];
        pageInfo: { hasPreviousPage: boolean; startCursor: string | null };
      };
    };
  };
}

/** Pages back 50 at a time to the start; what was gathered, and the batches Crisp served. */
async function pageBack(sessionId: string) {
  t.takeRequests();
  const gathered: number[] = [];
  let before: string | null = null;
  let pages = 0;
  for (let hasPreviousPage = true; hasPreviousPage; pages += 1) {
    const response: GraphQLResponse<HistoryPage> = await t.query<HistoryPage>(
      `query($s: ID!, $before: String) { website { conversation(sessionId: $s) { messages(last: 50, before: $before) { nodes { fingerprint } pageInfo { hasPreviousPage startCursor } } } } }`,
      { s: sessionId, before },
    );
    expect(response.errors).toBeUndefined();
    const messages: HistoryPage["website"]["conversation"]["messages"] | undefined =
      response.data?.website.conversation.messages;
    gathered.unshift(...(messages?.nodes.map((node) => node.fingerprint) ?? []));
    hasPreviousPage = messages?.pageInfo.hasPreviousPage ?? false;
    before = messages?.pageInfo.startCursor ?? null;
  }
  return {
    gathered,
    pages,
    batches: t.takeRequests().filter((request) => request.includes("/messages")),
  };
}

/** The batches a client walking Crisp directly reads: newest, then before each oldest. */
function directWalk(sessionId: string): string[] {
  const path = `GET /website/${W}/conversation/${sessionId}/messages`;
  const walk = [path];
  let before: number | undefined;
  for (;;) {
    const batch = store.messagesBefore(W, sessionId, before, 40);
    const oldest = batch.messages[0]?.timestamp;
    if (!batch.more || oldest === undefined) {
      return walk;
    }
    before = oldest;
    walk.push(`${path}?timestamp_before=${before}`);
  }
}

describe("paging a history back 50 at a time", () => {
  it.each([
    [200, 0, 5],
    [100, 1, 3],
  ])(
    "reads each of Crisp's batches of a %i-message history once (%#): as many requests as the direct walk",
    async (count, index, requests) => {
      const { sessionId, all } = conversationWith(count, index);
      const { gathered, pages, batches } = await pageBack(sessionId);
      expect(gathered).toEqual(all);
      expect(pages).toBe(Math.ceil(count / 50));
      expect(batches).toEqual(directWalk(sessionId));
      expect(batches).toHaveLength(requests);
    },
  );

  it("a cursor whose batch the cache no longer holds (and newer messages pushed on) pages on from its message", async () => {
    const { sessionId, all } = conversationWith(120, 2);
    const first = await t.query<HistoryPage>(
      `query($s: ID!) { website { conversation(sessionId: $s) { messages(last: 10) { nodes { fingerprint } pageInfo { startCursor } } } } }`,
      { s: sessionId },
    );
    const cursor = first.data?.website.conversation.messages.pageInfo.startCursor ?? null;
    // 40 newer messages and a cache that no longer holds the newest batch it came from.
    const messages = store.messages(W, sessionId) ?? [];
    const last = messages[messages.length - 1];
    if (last === undefined) {
      throw new Error("no message");
    }
    for (let i = 1; i <= 40; i += 1) {
      messages.push({
        ...last,
        timestamp: last.timestamp + i * 1_000,
        fingerprint: last.fingerprint + i,
      });
    }
    // Another gateway, whose cache holds nothing: the newest batch is read anew.
    const other = gatewayOn(t.simulator, {
      defaultWebsiteId: W,
      guard: LENIENT_GUARD,
      operationsPerMinute: 0,
    });
    const next = await queryGateway<HistoryPage>(
      other,
      `query($s: ID!, $before: String) { website { conversation(sessionId: $s) { messages(last: 10, before: $before) { nodes { fingerprint } } } } }`,
      { s: sessionId, before: cursor },
    );
    expect(next.data?.website.conversation.messages.nodes.map((node) => node.fingerprint)).toEqual(
      all.slice(-20, -10),
    );
  });

  it("still accepts the cursors of earlier releases (the message's timestamp alone)", async () => {
    const { sessionId, all } = conversationWith(60, 3);
    const messages = store.messages(W, sessionId) ?? [];
    const cursor = Buffer.from(`ts:${messages[50]?.timestamp}`).toString("base64url");
    const { data, errors } = await t.query<HistoryPage>(
      `query($s: ID!, $before: String) { website { conversation(sessionId: $s) { messages(last: 50, before: $before) { nodes { fingerprint } } } } }`,
      { s: sessionId, before: cursor },
    );
    expect(errors).toBeUndefined();
    const before = all
      .slice(0, 50)
      .filter((_, i) => (messages[i]?.timestamp ?? 0) < (messages[50]?.timestamp ?? 0));
    expect(data?.website.conversation.messages.nodes.map((node) => node.fingerprint)).toEqual(
      before,
    );
  });

  it("refuses a cursor it did not make with BAD_USER_INPUT and no Crisp request", async () => {
    const { sessionId } = conversationWith(10, 4);
    t.takeRequests();
    const { errors } = await t.query(
      `query($s: ID!) { website { conversation(sessionId: $s) { messages(before: "${Buffer.from("m:1:x:").toString("base64url")}") { nodes { fingerprint } } } } }`,
      { s: sessionId },
    );
    expect(errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(t.takeRequests()).toEqual([]);
  });
});
