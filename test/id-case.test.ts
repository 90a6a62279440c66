import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { canonicalId } from "../src/crisp/ids.js";
import { startTestGateway } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";
import { readEvents } from "./helpers/streams.js";

/**
 * Crisp's ids are lower-case; a client may write them in any case. Each is made canonical once,
 * where the schema reads it (`canonicalId`), so Crisp, the cache and the event topics only
 * ever see one spelling, whatever the transport.
 */
const t = await startTestGateway(
  {},
  {
    cache: {},
    hooks: { secret: HOOK_SECRET },
  },
);
const { url, hookUrl } = await t.gateway.listen("127.0.0.1", 0);
const W = t.simulator.defaultWebsiteId;
const S = t.simulator.store.listConversations(W, {})[0]?.session_id ?? "";
const UPPER_W = W.toUpperCase();
const UPPER_S = `session_${S.slice("session_".length).toUpperCase()}`;

describe("ids in any case", () => {
  it("canonicalId lower-cases every Crisp id kind and refuses other shapes", () => {
    expect(canonicalId("websiteId", UPPER_W)).toBe(W);
    expect(canonicalId("sessionId", UPPER_S)).toBe(S);
    expect(canonicalId("websiteId", "not-a-uuid")).toBeNull();
    expect(canonicalId("fingerprint", "12345")).toBe("12345");
  });

  it("a query with upper-case ids sends Crisp its lower-case route, and shares the cache with lower-case ones", async () => {
    t.takeRequests();
    const QUERY =
      "query($w: ID, $s: ID!) { website(id: $w) { websiteId conversation(sessionId: $s) { sessionId } } }";
    const upper = await t.query(QUERY, { w: UPPER_W, s: UPPER_S });
    expect(upper).toMatchObject({
      data: { website: { websiteId: W, conversation: { sessionId: S } } },
    });
    const sent = t.takeRequests();
    expect(sent).toEqual(expect.arrayContaining([`GET /website/${W}/conversation/${S}`]));
    expect(sent.join(" ")).not.toContain(UPPER_W);
    await t.query(QUERY, { w: W, s: S });
    expect(t.takeRequests()).toEqual([]);
  });

  it("a mutation with upper-case ids reaches Crisp lower-cased", async () => {
    t.takeRequests();
    const answer = await t.query(
      "mutation($w: ID!, $s: ID!) { setConversationState(websiteId: $w, sessionId: $s, state: RESOLVED) { sessionId } }",
      { w: UPPER_W, s: UPPER_S },
    );
    expect(answer.errors).toBeUndefined();
    expect(
      t.takeRequests().some((request) => request.includes(`/website/${W}/conversation/${S}/`)),
    ).toBe(true);
  });

  it("a global id carrying upper-case ids resolves to the same object", async () => {
    const id = Buffer.from(`Conversation:${UPPER_W}/${UPPER_S}`).toString("base64url");
    const answer = await t.query<{ node: { id: string; sessionId: string } }>(
      "query($id: ID!) { node(id: $id) { id ... on Conversation { sessionId } } }",
      { id },
    );
    expect(answer.data?.node.sessionId).toBe(S);
    expect(Buffer.from(answer.data?.node.id ?? "", "base64url").toString()).toBe(
      `Conversation:${W}/${S}`,
    );
  });

  it("a subscription to an upper-case website id receives that website's events", async () => {
    const listening = t.gateway.openSubscriptions(1);
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({
        query: "subscription($w: ID!) { crispEvents(websiteId: $w) { name websiteId } }",
        variables: { w: UPPER_W },
      }),
    });
    const reader = response.body?.getReader();
    if (reader === undefined) {
      throw new Error("no body");
    }
    const first = readEvents(reader).next();
    await listening;
    const hook = await postPluginHook(hookUrl, hookBody(W, "message:send", { session_id: S }));
    expect(hook.status).toBe(200);
    expect((await first).value?.data).toEqual({
      crispEvents: { name: "message:send", websiteId: W },
    });
    await reader.cancel();
  });
});
