import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";
import { subscribe, wsClient } from "./helpers/live.js";
import { crispWrite } from "./helpers/simulator-write.js";

const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const gateway = gatewayOn(simulator, { hooks: { secret: HOOK_SECRET } });
const { url, hookUrl, wsUrl } = await gateway.listen("127.0.0.1", 0);

const W = simulator.defaultWebsiteId;
const [first, second] = simulator.store.listConversations(W, {}).slice(0, 2);
const S1 = first?.session_id ?? "";
const S2 = second?.session_id ?? "";
const OTHER_WEBSITE = simulator.store.websites[1]?.website_id ?? "";

/** Sends a hook for a message the simulator holds, as Crisp would deliver it. */
async function messageHook(sessionId: string, index = -1) {
  const message = simulator.store.messages(W, sessionId)?.at(index);
  const event = message?.from === "operator" ? "message:received" : "message:send";
  const answer = await postPluginHook(hookUrl, hookBody(W, event, { ...message }));
  expect(answer.status).toBe(200);
  return message;
}

/**
 * Waits until `count` subscriptions are open on the gateway (gateway_open_subscriptions):
 * graphql-ws acknowledges a connection but not a subscription, so this is the signal that a
 * hook posted now reaches it.
 */
function subscribed(count = 1): Promise<void> {
  return gateway.openSubscriptions(count);
}

describe("graphql-ws", () => {
  it("delivers messageAdded with a message whose conversation resolves, only for the asked session", async () => {
    const sub = subscribe<{
      messageAdded: {
        fingerprint: number;
        sessionId: string;
        text: string;
        conversation: { sessionId: string; state: string };
      };
    }>(
      wsClient(wsUrl),
      `subscription($w: ID!, $s: ID) { messageAdded(websiteId: $w, sessionId: $s) { id fingerprint sessionId text conversation { sessionId state } } }`,
      { w: W, s: S1 },
    );
    await subscribed();
    await messageHook(S2);
    const message = await messageHook(S1);
    const [payload] = await sub.take(1);
    expect(payload?.errors).toBeUndefined();
    expect(payload?.data?.messageAdded).toMatchObject({
      fingerprint: message?.fingerprint,
      sessionId: S1,
      conversation: { sessionId: S1 },
    });
    // The message of S2, posted first, never came.
    expect(sub.pending()).toBe(0);
    sub.dispose();
    await subscribed(0);
  });

  it("never delivers another website's events", async () => {
    const sub = subscribe<{ crispEvents: { name: string; websiteId: string } }>(
      wsClient(wsUrl),
      `subscription($w: ID!) { crispEvents(websiteId: $w) { name websiteId sessionId data timestamp } }`,
      { w: OTHER_WEBSITE },
    );
    await subscribed();
    await messageHook(S1, -2);
    await postPluginHook(
      hookUrl,
      hookBody(OTHER_WEBSITE, "session:set_state", { session_id: S1, state: "pending" }),
    );
    const received = await sub.take(1);
    expect(received.map((r) => r.data?.crispEvents)).toEqual([
      expect.objectContaining({ name: "session:set_state", websiteId: OTHER_WEBSITE }),
    ]);
    sub.dispose();
    await subscribed(0);
  });

  it("shows the new state in conversationUpdated after session:set_state, read fresh from Crisp", async () => {
    const sub = subscribe<{
      conversationUpdated: { name: string; conversation: { sessionId: string; state: string } };
    }>(
      wsClient(wsUrl),
      `subscription($w: ID!, $s: ID) { conversationUpdated(websiteId: $w, sessionId: $s) { name conversation { id sessionId state } } }`,
      { w: W, s: S2 },
    );
    await subscribed();
    const received = [];
    for (const state of ["resolved", "unresolved"] as const) {
      const write = await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S2}/state`, {
        body: { state },
      });
      expect(write.status).toBe(200);
      await postPluginHook(hookUrl, hookBody(W, "session:set_state", { session_id: S2, state }));
      // Each event's read of the conversation before the next write: it is read fresh.
      received.push(...(await sub.take(1)));
    }
    expect(received.map((r) => r.data?.conversationUpdated.conversation.state)).toEqual([
      "RESOLVED",
      "UNRESOLVED",
    ]);
    expect(received[0]?.data?.conversationUpdated.name).toBe("session:set_state");
    sub.dispose();
    await subscribed(0);
  });

  it("refuses a subscription to a malformed website id with BAD_USER_INPUT", async () => {
    const sub = subscribe(
      wsClient(wsUrl),
      `subscription { messageAdded(websiteId: "nope") { fingerprint } }`,
      {},
    );
    // A result with the error, then the end of the subscription.
    const [refused] = await sub.take(1);
    expect(refused?.data ?? null).toBeNull();
    expect(refused?.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(await sub.ended).toEqual({ completed: true });
  });
});

describe("Server-Sent Events", () => {
  it("streams messageAdded over plain HTTP", async () => {
    const controller = new AbortController();
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({
        query: `subscription($w: ID!, $s: ID) { messageAdded(websiteId: $w, sessionId: $s) { fingerprint text } }`,
        variables: { w: W, s: S1 },
      }),
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = response.body?.getReader();
    // Yoga opens the stream with a comment; reading it is what starts the subscription.
    const opening = reader?.read();
    await subscribed();
    await opening;
    const message = await messageHook(S1, -3);
    let text = "";
    const decoder = new TextDecoder();
    while (!text.includes("event: next")) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) {
        break;
      }
      text += decoder.decode(chunk.value);
    }
    const data = /event: next\ndata: (.*)\n/.exec(text)?.[1];
    expect(JSON.parse(data ?? "{}")).toEqual({
      data: { messageAdded: { fingerprint: message?.fingerprint, text: expect.any(String) } },
      // The message comes whole in the hook: this event cost Crisp nothing.
      extensions: {
        cost: { estimated: 0, crispRequests: 0, cacheHits: 0 },
        eventId: expect.stringMatching(/^\d+-\d+$/),
      },
    });
    controller.abort();
  });
});

describe("shutdown", () => {
  it("closes every WebSocket cleanly when the gateway stops", async () => {
    const other = gatewayOn(simulator, {
      defaultWebsiteId: undefined,
      hooks: { secret: HOOK_SECRET },
    });
    const { wsUrl: otherWsUrl } = await other.listen("127.0.0.1", 0);
    const socket = new WebSocket(otherWsUrl, "graphql-transport-ws");
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init" }));
    await new Promise((resolve) => socket.once("message", resolve));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    await other.stop();
    expect(await closed).toBe(1001);
  });
});
