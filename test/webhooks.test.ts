import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { hookTimestampMs, signHook } from "../src/crisp/webhook.js";
import { createGateway } from "../src/server.js";
import type { CrispHookEvent } from "../src/subscriptions/event-bus.js";
import { createMemoryEventBus } from "../src/subscriptions/event-bus.js";
import { HOOK_KEY, HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

const fixture = readFileSync(
  new URL("./fixtures/crisp/webhook-message-send.json", import.meta.url),
  "utf8",
);
const fixtureBody = JSON.parse(fixture) as { website_id: string };

async function startHookGateway(hooks: { secret?: string; key?: string; maxBodyBytes?: number }) {
  const events = createMemoryEventBus();
  const received: CrispHookEvent[] = [];
  const gateway = createGateway({
    crisp: { baseUrl: "http://127.0.0.1:9/v1", identifier: "i", key: "k" },
    events,
    hooks,
  });
  const { hookUrl } = await gateway.listen("127.0.0.1", 0);
  const iterator = events.pubsub
    .subscribe("crisp:event", fixtureBody.website_id)
    [Symbol.asyncIterator]();
  const pump = (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        return;
      }
      received.push(next.value);
    }
  })();
  afterAll(async () => {
    await iterator.return?.();
    await pump;
    await gateway.stop();
  });
  /** Resolves once the bus has relayed `count` events (the route publishes after answering). */
  const relayed = async (count: number) => {
    for (let i = 0; i < 200 && received.length < count; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return received;
  };
  return { hookUrl, received, relayed };
}

describe("plugin hook signatures", async () => {
  const g = await startHookGateway({ secret: HOOK_SECRET });
  const compact = JSON.stringify(JSON.parse(fixture));

  it("accepts Crisp's own message:send hook, signed, and relays it once", async () => {
    const answer = await postPluginHook(g.hookUrl, undefined, { rawBody: compact });
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    const [event] = await g.relayed(1);
    expect(event).toMatchObject({
      name: "message:send",
      websiteId: fixtureBody.website_id,
      sessionId: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
      timestamp: 1506985696616,
    });
  });

  it("acknowledges a redelivery of a processed hook without relaying it twice", async () => {
    const before = g.received.length;
    const answer = await postPluginHook(g.hookUrl, undefined, {
      rawBody: compact,
      timestamp: String(Date.now() + 1000),
    });
    expect(answer).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    await g.relayed(before + 1);
    expect(g.received.length).toBe(before);
  });

  it("verifies the raw bytes, whatever their formatting", async () => {
    const pretty = JSON.stringify(
      hookBody(fixtureBody.website_id, "session:set_state", {
        session_id: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
        state: "resolved",
      }),
      null,
      2,
    );
    expect((await postPluginHook(g.hookUrl, undefined, { rawBody: pretty })).status).toBe(200);
  });

  it.each([
    [
      "a tampered body",
      {
        rawBody: compact.replace("Hey :)", "Hey :("),
        signature: signHook(HOOK_SECRET, "TS", compact),
      },
      401,
      /does not match/,
    ],
    ["the wrong secret", { rawBody: compact, secret: "another-secret" }, 401, /does not match/],
    [
      "a timestamp 10 minutes old",
      { rawBody: compact, timestamp: String(Date.now() - 10 * 60_000) },
      401,
      /5 minutes/,
    ],
    [
      "a timestamp 10 minutes ahead",
      { rawBody: compact, timestamp: String(Date.now() + 10 * 60_000) },
      401,
      /5 minutes/,
    ],
    [
      "a stale timestamp in seconds",
      { rawBody: compact, timestamp: String(Math.floor(Date.now() / 1000) - 3600) },
      401,
      /5 minutes/,
    ],
    [
      "a signature of the wrong length",
      { rawBody: compact, signature: "abc123" },
      400,
      /64 hexadecimal/,
    ],
    [
      "a timestamp that is not a number",
      { rawBody: compact, timestamp: "yesterday" },
      400,
      /not a timestamp/,
    ],
    [
      "a missing timestamp header",
      { rawBody: compact, timestamp: "" },
      400,
      /Missing X-Crisp-Request-Timestamp/,
    ],
  ])("refuses %s", async (_name, options, status, message) => {
    const { signature, ...rest } = options as {
      signature?: string;
      rawBody: string;
      secret?: string;
      timestamp?: string;
    };
    const timestamp = rest.timestamp ?? String(Date.now());
    const sig =
      signature === undefined
        ? undefined
        : signature.length === 64
          ? signHook(HOOK_SECRET, timestamp, compact)
          : signature;
    const answer = await postPluginHook(g.hookUrl, undefined, {
      ...rest,
      timestamp,
      ...(sig === undefined ? {} : { signature: sig }),
    });
    expect(answer.status).toBe(status);
    expect(String(answer.body.error)).toMatch(message);
  });

  it("refuses a hook without a signature header when no website key is configured", async () => {
    const response = await fetch(g.hookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: compact,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "Missing X-Crisp-Signature header." });
  });

  it.each([
    ["malformed JSON", '{"website_id": ', 400, /not valid JSON/],
    ["a JSON array", "[1,2]", 422, /must be a JSON object/],
    [
      "a website id that is not one",
      JSON.stringify({ website_id: "../x", event: "message:send", data: {}, timestamp: 1 }),
      422,
      /website_id/,
    ],
    [
      "an event name that is not one",
      JSON.stringify({
        website_id: fixtureBody.website_id,
        event: "<script>",
        data: {},
        timestamp: 1,
      }),
      422,
      /event/,
    ],
  ])("refuses %s, signed or not, with its own 4xx", async (_name, rawBody, status, message) => {
    const answer = await postPluginHook(g.hookUrl, undefined, { rawBody });
    expect(answer.status).toBe(status);
    expect(String(answer.body.error)).toMatch(message);
  });

  it("refuses a body over the size limit with 413 before reading it", async () => {
    const big = JSON.stringify(
      hookBody(fixtureBody.website_id, "message:send", { content: "x".repeat(300_000) }),
    );
    const answer = await postPluginHook(g.hookUrl, undefined, { rawBody: big });
    expect(answer.status).toBe(413);
  });

  it("answers 405 to anything but POST", async () => {
    expect((await fetch(g.hookUrl)).status).toBe(405);
  });
});

describe("website hooks and configuration", () => {
  it("accepts an unsigned website hook only with the configured ?key=", async () => {
    const g = await startHookGateway({ key: HOOK_KEY });
    const body = JSON.stringify(
      hookBody(fixtureBody.website_id, "session:set_state", {
        session_id: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
        state: "resolved",
      }),
    );
    const post = (query: string) =>
      fetch(`${g.hookUrl}${query}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    expect((await post(`?key=${HOOK_KEY}`)).status).toBe(200);
    expect((await post("?key=wrong-key")).status).toBe(403);
    expect((await post("")).status).toBe(401);
    await g.relayed(1);
    expect(g.received.map((e) => e.name)).toEqual(["session:set_state"]);
  });

  it("refuses every hook when neither a secret nor a key is configured", async () => {
    const g = await startHookGateway({});
    const answer = await postPluginHook(g.hookUrl, undefined, { rawBody: fixture });
    expect(answer.status).toBe(403);
    expect(String(answer.body.error)).toMatch(/not configured/);
  });

  it("reads the timestamp header in seconds or milliseconds by its size", () => {
    expect(hookTimestampMs("1506985696616")).toBe(1506985696616);
    expect(hookTimestampMs("1506985696")).toBe(1506985696000);
    expect(hookTimestampMs("-1")).toBeNull();
  });
});
