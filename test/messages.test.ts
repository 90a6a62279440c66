/**
 * Messages as the Crisp integrations use them, through the gateway against the simulator, with
 * the exact Crisp requests asserted: every field of Crisp's send body, one message by its
 * fingerprint, messages since / until a time, Crisp's signed fingerprints everywhere (ids,
 * arguments, hooks), and one selection of `text` across the content union.
 */
import { describe, expect, it } from "vitest";
import { encodeGlobalId } from "../src/schema/global-id.js";
import { errorCode, startTestGateway } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";
import { readEvents } from "./helpers/streams.js";

const t = await startTestGateway({}, { hooks: { secret: HOOK_SECRET } });
const W = t.simulator.defaultWebsiteId;
const store = t.simulator.store;
const { url } = await t.gateway.listen("127.0.0.1", 0);

/** Conversations with many messages, a different one per test that writes. */
const busy = store
  .listConversations(W, {})
  .filter((c) => (store.messages(W, c.session_id)?.length ?? 0) >= 40)
  .map((c) => c.session_id);
let nextBusy = 0;
function conversation(): string {
  const sessionId = busy[nextBusy];
  nextBusy += 1;
  if (sessionId === undefined) {
    throw new Error("the seed has too few conversations with 40 messages");
  }
  return sessionId;
}

const takeWrites = () => t.takeWrites();

const code = errorCode;

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id fingerprint timestamp translated text author { type nickname } } }`;

describe("sendMessage", () => {
  it("sends the sender type, translated, stealth, automated and timestamp to Crisp in its body", async () => {
    const sessionId = conversation();
    const at = new Date(Date.now() - 3_600_000);
    takeWrites();
    const response = await t.query<{
      sendMessage: {
        fingerprint: number;
        timestamp: string;
        translated: boolean;
        author: { type: string };
      };
    }>(SEND, {
      input: {
        websiteId: W,
        sessionId,
        type: "TEXT",
        from: "OPERATOR",
        content: "Votre commande est partie.",
        userType: "PARTICIPANT",
        nickname: "Partner desk",
        translated: true,
        stealth: true,
        automated: true,
        timestamp: at.toISOString(),
        fingerprint: 990000000001,
      },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data?.sendMessage).toMatchObject({
      fingerprint: 990000000001,
      timestamp: at.toISOString(),
      translated: true,
      author: { type: "participant" },
    });
    const writes = takeWrites();
    expect(writes[0]).toEqual({
      request: `POST /website/${W}/conversation/${sessionId}/message`,
      body: {
        type: "text",
        from: "operator",
        origin: "chat",
        content: "Votre commande est partie.",
        user: { type: "participant", nickname: "Partner desk" },
        fingerprint: 990000000001,
        timestamp: at.getTime(),
        stealth: true,
        translated: true,
        automated: true,
      },
    });
    expect(writes.map((write) => write.request)).toEqual([
      `POST /website/${W}/conversation/${sessionId}/message`,
      `GET /website/${W}/conversation/${sessionId}/message/990000000001`,
    ]);
  });

  it("refuses a timestamp far in the future with BAD_USER_INPUT and no Crisp request", async () => {
    takeWrites();
    const response = await t.query(SEND, {
      input: {
        websiteId: W,
        sessionId: busy[0],
        type: "TEXT",
        from: "OPERATOR",
        content: "From the future",
        timestamp: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      },
    });
    expect(code(response)).toBe("BAD_USER_INPUT");
    expect(response.errors?.[0]?.extensions?.field).toBe("input.timestamp");
    expect(takeWrites()).toEqual([]);
  });
});

describe("one message by its fingerprint", () => {
  it("reads it with one GET …/message/{fingerprint}, and null for a fingerprint the conversation does not hold", async () => {
    const sessionId = busy[0] ?? "";
    const message = store.messages(W, sessionId)?.at(10);
    takeWrites();
    const response = await t.query<{
      website: {
        conversation: {
          message: { fingerprint: number; text: string | null } | null;
          missing: null;
        };
      };
    }>(
      `query($s: ID!, $f: SafeInt!) { website { conversation(sessionId: $s) { message(fingerprint: $f) { fingerprint text } missing: message(fingerprint: 1234567) { fingerprint } } } }`,
      { s: sessionId, f: message?.fingerprint },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.website.conversation.message?.fingerprint).toBe(message?.fingerprint);
    expect(response.data?.website.conversation.missing).toBeNull();
    expect(
      takeWrites()
        .map((write) => write.request)
        .sort(),
    ).toEqual(
      [
        `GET /website/${W}`,
        `GET /website/${W}/conversation/${sessionId}`,
        `GET /website/${W}/conversation/${sessionId}/message/${message?.fingerprint}`,
        `GET /website/${W}/conversation/${sessionId}/message/1234567`,
      ].sort(),
    );
  });

  it("is free when a message list this operation read earlier holds it, with no shared cache beneath", async () => {
    // A conversation that is its person's newest, so `person.conversations(first: 1)` reaches it
    // rounds after `conversation.messages` has read its newest batch.
    const sessionId = busy.find((id) => {
      const peopleId = store.conversation(W, id)?.people_id;
      return peopleId !== undefined && store.personConversations(W, peopleId, {})?.[0] === id;
    });
    const peopleId = store.conversation(W, sessionId ?? "")?.people_id;
    const message = store.messages(W, sessionId ?? "")?.at(-3);
    expect(message).toBeDefined();
    takeWrites();
    const response = await t.query<{
      website: {
        person: { conversations: { nodes: { message: { text: string | null } | null }[] } };
      };
    }>(
      `query($s: ID!, $p: ID!, $f: SafeInt!) { website { conversation(sessionId: $s) { messages(last: 5) { nodes { fingerprint } } } person(peopleId: $p) { conversations(first: 1) { nodes { sessionId message(fingerprint: $f) { fingerprint text } } } } } }`,
      { s: sessionId, p: peopleId, f: message?.fingerprint },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.website.person.conversations.nodes[0]?.message?.text).toBe(
      message?.content,
    );
    const requests = takeWrites().map((write) => write.request);
    expect(requests).toContain(`GET /website/${W}/conversation/${sessionId}/messages`);
    expect(requests.filter((request) => request.includes("/message/"))).toEqual([]);
  });

  it("refuses a fingerprint of 0 with BAD_USER_INPUT before any Crisp request", async () => {
    takeWrites();
    const response = await t.query(
      `query($s: ID!) { website { conversation(sessionId: $s) { message(fingerprint: 0) { text } } } }`,
      { s: busy[0] },
    );
    expect(code(response)).toBe("BAD_USER_INPUT");
    expect(takeWrites()).toEqual([]);
  });
});

describe("messages since / until", () => {
  const WINDOW = `query($s: ID!, $since: DateTime, $until: DateTime, $last: Int) { website { conversation(sessionId: $s) { messages(last: $last, since: $since, until: $until) { nodes { fingerprint timestamp } pageInfo { hasPreviousPage } } } } }`;
  interface Window {
    website: {
      conversation: {
        messages: { nodes: { fingerprint: number }[]; pageInfo: { hasPreviousPage: boolean } };
      };
    };
  }

  it("sends timestamp_after and timestamp_before, and answers only the messages strictly between", async () => {
    const sessionId = busy[1] ?? "";
    const all = store.messages(W, sessionId) ?? [];
    const since = all[5]?.timestamp ?? 0;
    const until = all[30]?.timestamp ?? 0;
    takeWrites();
    const response = await t.query<Window>(WINDOW, {
      s: sessionId,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      last: 50,
    });
    expect(response.errors).toBeUndefined();
    const expected = all.filter((m) => m.timestamp > since && m.timestamp < until);
    expect(response.data?.website.conversation.messages.nodes.map((n) => n.fingerprint)).toEqual(
      expected.map((m) => m.fingerprint),
    );
    expect(response.data?.website.conversation.messages.pageInfo.hasPreviousPage).toBe(false);
    expect(takeWrites().map((write) => write.request)).toContain(
      `GET /website/${W}/conversation/${sessionId}/messages?timestamp_before=${until}&timestamp_after=${since}`,
    );
  });

  it("answers the same when Crisp ignores timestamp_after: the gateway bounds the batches itself", async () => {
    const sessionId = busy[1] ?? "";
    const all = store.messages(W, sessionId) ?? [];
    const since = all.at(-8)?.timestamp ?? 0;
    t.simulator.configure({ assumptions: { timestampAfter: "ignored" } });
    try {
      const response = await t.query<Window>(WINDOW, {
        s: sessionId,
        since: new Date(since).toISOString(),
        last: 50,
      });
      expect(response.errors).toBeUndefined();
      expect(response.data?.website.conversation.messages.nodes.map((n) => n.fingerprint)).toEqual(
        all.slice(-7).map((m) => m.fingerprint),
      );
      expect(response.data?.website.conversation.messages.pageInfo.hasPreviousPage).toBe(false);
    } finally {
      t.simulator.configure({ assumptions: { timestampAfter: "bounds-batch" } });
    }
  });

  it("refuses until before since with BAD_USER_INPUT and no Crisp request", async () => {
    takeWrites();
    const response = await t.query(WINDOW, {
      s: busy[1],
      since: "2026-10-02T00:00:00.000Z",
      until: "2026-10-01T00:00:00.000Z",
    });
    expect(code(response)).toBe("BAD_USER_INPUT");
    expect(takeWrites()).toEqual([]);
  });
});

describe("signed fingerprints", () => {
  it("sends, reads back, lists and loads by global id a message whose fingerprint is negative", async () => {
    const sessionId = conversation();
    takeWrites();
    const sent = await t.query<{ sendMessage: { id: string; fingerprint: number } }>(SEND, {
      input: {
        websiteId: W,
        sessionId,
        type: "TEXT",
        from: "USER",
        content: "A message of 2017",
        fingerprint: -333,
      },
    });
    expect(sent.errors).toBeUndefined();
    expect(sent.data?.sendMessage.fingerprint).toBe(-333);
    expect(takeWrites().map((write) => write.request)).toEqual([
      `POST /website/${W}/conversation/${sessionId}/message`,
      `GET /website/${W}/conversation/${sessionId}/message/-333`,
    ]);
    const id = encodeGlobalId("Message", `${W}/${sessionId}/-333`);
    expect(sent.data?.sendMessage.id).toBe(id);
    const read = await t.query<{
      node: { fingerprint: number } | null;
      website: {
        conversation: {
          message: { fingerprint: number } | null;
          messages: { nodes: { fingerprint: number }[] };
        };
      };
    }>(
      `query($id: ID!, $s: ID!) { node(id: $id) { ... on Message { fingerprint } } website { conversation(sessionId: $s) { message(fingerprint: -333) { fingerprint } messages(last: 1) { nodes { fingerprint } } } } }`,
      { id, s: sessionId },
    );
    expect(read.errors).toBeUndefined();
    expect(read.data?.node?.fingerprint).toBe(-333);
    expect(read.data?.website.conversation.message?.fingerprint).toBe(-333);
    expect(read.data?.website.conversation.messages.nodes).toEqual([{ fingerprint: -333 }]);
  });

  it("delivers a message:send hook with a negative fingerprint to messageAdded", async () => {
    const sessionId = busy[2] ?? "";
    const listening = t.gateway.openSubscriptions(1);
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({
        query: `subscription($w: ID!, $s: ID) { messageAdded(websiteId: $w, sessionId: $s) { fingerprint text } }`,
        variables: { w: W, s: sessionId },
      }),
    });
    const reader = response.body?.getReader();
    if (reader === undefined) {
      throw new Error("no event stream");
    }
    const events = readEvents(reader);
    const first = events.next();
    // The subscription is listening, or has already answered (with an error).
    await Promise.race([listening, first]);
    const answer = await postPluginHook(
      url.replace("/graphql", "/webhooks/crisp"),
      hookBody(W, "message:send", {
        session_id: sessionId,
        type: "text",
        content: "Hello from 2017",
        from: "user",
        origin: "chat",
        timestamp: Date.now(),
        fingerprint: -333,
        user: { nickname: "visitor", user_id: sessionId },
      }),
    );
    expect(answer.status).toBe(200);
    const { value } = await first;
    await reader.cancel();
    expect(value?.errors).toBeUndefined();
    expect(value?.data?.messageAdded).toEqual({ fingerprint: -333, text: "Hello from 2017" });
  });
});

describe("the content union", () => {
  it("takes one selection of `text` across its members and runs it", async () => {
    const sessionId = busy[0] ?? "";
    const response = await t.query<{
      website: {
        conversation: {
          messages: { nodes: { content: { __typename: string; text?: string } }[] };
        };
      };
    }>(
      `query($s: ID!) { website { conversation(sessionId: $s) { messages(last: 50) { nodes { content { __typename ... on TextContent { text } ... on EventContent { text } ... on PickerContent { text } ... on FieldContent { text } ... on CarouselContent { text } } } } } } }`,
      { s: sessionId },
    );
    expect(response.errors).toBeUndefined();
    const texts = response.data?.website.conversation.messages.nodes.map((n) => n.content) ?? [];
    expect(texts.length).toBeGreaterThan(0);
    for (const content of texts) {
      if (["TextContent", "EventContent", "PickerContent"].includes(content.__typename)) {
        expect(typeof content.text).toBe("string");
      }
    }
  });
});
