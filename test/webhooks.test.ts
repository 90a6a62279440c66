import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hookTimestampMs, signHook } from "../src/crisp/webhook.js";
import { createMemoryEventLog } from "../src/events/log.js";
import { createGateway } from "../src/server.js";
import { afterThis } from "./helpers/cleanup.js";
import { HOOK_KEY, HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

const fixture = readFileSync(
  new URL("./fixtures/crisp/webhook-message-send.json", import.meta.url),
  "utf8",
);
const fixtureBody = JSON.parse(fixture) as { website_id: string };

async function startHookGateway(hooks: {
  secret?: string;
  key?: string;
  maxBodyBytes?: number;
  windowMs?: number;
}) {
  const events = createMemoryEventLog();
  const gateway = createGateway({
    crisp: { baseUrl: "http://127.0.0.1:9/v1", identifier: "i", key: "k" },
    events,
    hooks,
  });
  const { hookUrl } = await gateway.listen("127.0.0.1", 0);
  afterThis(() => gateway.stop());
  /** What the event log holds: a hook is answered 2xx only once it is recorded there. */
  const recorded = () => events.range(null, 1_000);
  return { hookUrl, recorded };
}

describe("plugin hook signatures", async () => {
  const g = await startHookGateway({ secret: HOOK_SECRET });
  const compact = JSON.stringify(JSON.parse(fixture));

  it("accepts Crisp's own message:send hook, signed, and relays it once", async () => {
    const answer = await postPluginHook(g.hookUrl, undefined, { rawBody: compact });
    expect(answer).toEqual({ status: 200, body: { ok: true, id: expect.any(String) } });
    const [event] = await g.recorded();
    expect(event).toMatchObject({
      id: expect.stringMatching(/^\d+-\d+$/),
      name: "message:send",
      websiteId: fixtureBody.website_id,
      sessionId: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
      timestamp: 1506985696616,
    });
  });

  it("acknowledges a redelivery of a processed hook without relaying it twice", async () => {
    const before = (await g.recorded()).length;
    const answer = await postPluginHook(g.hookUrl, undefined, {
      rawBody: compact,
      timestamp: String(Date.now() + 1000),
    });
    expect(answer).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect((await g.recorded()).length).toBe(before);
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
      "a timestamp 2 hours old",
      { rawBody: compact, timestamp: String(Date.now() - 2 * 3_600_000) },
      401,
      /more than 1 hour from now/,
    ],
    [
      "a timestamp 2 hours ahead",
      { rawBody: compact, timestamp: String(Date.now() + 2 * 3_600_000) },
      401,
      /more than 1 hour from now/,
    ],
    [
      "a stale timestamp in seconds",
      { rawBody: compact, timestamp: String(Math.floor(Date.now() / 1000) - 3 * 3600) },
      401,
      /1 hour/,
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

  it("accepts a retry whose timestamp is 40 minutes old, inside the default 1 hour window", async () => {
    const late = JSON.stringify(
      hookBody(fixtureBody.website_id, "session:set_state", {
        session_id: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
        state: "pending",
        late: true,
      }),
    );
    const answer = await postPluginHook(g.hookUrl, undefined, {
      rawBody: late,
      timestamp: String(Date.now() - 40 * 60_000),
    });
    expect(answer).toEqual({ status: 200, body: { ok: true, id: expect.any(String) } });
    // A replay of the captured request inside the window is caught as a redelivery.
    const replay = await postPluginHook(g.hookUrl, undefined, {
      rawBody: late,
      timestamp: String(Date.now() - 40 * 60_000),
    });
    expect(replay).toEqual({ status: 200, body: { ok: true, duplicate: true } });
  });

  it("refuses a body nested 6,000 deep with 400 before parsing it, and goes on accepting hooks", async () => {
    const deep = `{"website_id":"${fixtureBody.website_id}","event":"session:set_data","data":{"data":${"[".repeat(6_000)}${"]".repeat(6_000)}},"timestamp":1}`;
    const before = (await g.recorded()).length;
    const answer = await postPluginHook(g.hookUrl, undefined, { rawBody: deep });
    expect(answer.status).toBe(400);
    expect(String(answer.body.error)).toMatch(/nests deeper than 32 levels/);
    expect((await g.recorded()).length).toBe(before);
    const next = JSON.stringify(
      hookBody(fixtureBody.website_id, "session:set_state", {
        session_id: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
        state: "resolved",
        after: "deep",
      }),
    );
    expect((await postPluginHook(g.hookUrl, undefined, { rawBody: next })).status).toBe(200);
  });

  it("records ids lower-case, whatever case the hook sent them in", async () => {
    const body = JSON.stringify(
      hookBody(fixtureBody.website_id.toUpperCase(), "session:set_state", {
        session_id: "session_36BA3566-9651-4790-AFC8-FFEDBCCC317F",
        state: "resolved",
        upper: true,
      }),
    );
    expect((await postPluginHook(g.hookUrl, undefined, { rawBody: body })).status).toBe(200);
    expect((await g.recorded()).at(-1)).toMatchObject({
      websiteId: fixtureBody.website_id.toLowerCase(),
      sessionId: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
    });
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
    expect((await g.recorded()).map((e) => e.name)).toEqual(["session:set_state"]);
  });

  it("refuses every hook when neither a secret nor a key is configured", async () => {
    const g = await startHookGateway({});
    const answer = await postPluginHook(g.hookUrl, undefined, { rawBody: fixture });
    expect(answer.status).toBe(403);
    expect(String(answer.body.error)).toMatch(/not configured/);
  });

  it("takes its timestamp window from the configuration", async () => {
    const g = await startHookGateway({ secret: HOOK_SECRET, windowMs: 5 * 60_000 });
    const answer = await postPluginHook(g.hookUrl, undefined, {
      rawBody: fixture,
      timestamp: String(Date.now() - 10 * 60_000),
    });
    expect(answer.status).toBe(401);
    expect(String(answer.body.error)).toMatch(/more than 5 minutes from now/);
  });

  it("reads the timestamp header in seconds or milliseconds by its size", () => {
    expect(hookTimestampMs("1506985696616")).toBe(1506985696616);
    expect(hookTimestampMs("1506985696")).toBe(1506985696000);
    expect(hookTimestampMs("-1")).toBeNull();
  });
});
