import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, onTestFinished, test, vi } from "vitest";
import {
  hookBody,
  type Simulator,
  type SimulatorEvent,
  type SimulatorOptions,
  startSimulator,
  type WireConversation,
  type WireMessage,
} from "../src/simulator/index.js";
import { crispData } from "./helpers/simulator-client.js";
import {
  deadUrl,
  type HookReceiver,
  type ReceivedHook,
  startHookReceiver,
} from "./helpers/simulator-hook-receiver.js";
import {
  crispWrite,
  newConversation,
  recordEvents,
  websitePath,
} from "./helpers/simulator-write.js";

const SECRET = "3c1f0e5b9a7d4c2e8f6a1b0d9c8e7f6a";
const FIXTURE = new URL("./fixtures/crisp/webhook-message-send.json", import.meta.url);
const CHILD = fileURLToPath(new URL("./helpers/simulator-close-child.ts", import.meta.url));

async function receiver(): Promise<HookReceiver> {
  const started = await startHookReceiver();
  onTestFinished(() => started.close());
  return started;
}

/** A fresh simulator with fast retries, closed when the current test ends. */
async function fresh(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = await startSimulator({
    ...options,
    assumptions: { hookRetryDelaysMs: [10, 10], ...options.assumptions },
  });
  onTestFinished(() => simulator.close());
  return simulator;
}

function pluginHooks(target: HookReceiver): SimulatorOptions["hooks"] {
  return { url: `${target.url}/crisp/hooks`, kind: "plugin", secret: SECRET };
}

/**
 * Live activity ticks on setInterval: a fake one the test moves, so "after n intervals" needs
 * no sleeping (everything else, sockets and hook retries, keeps the real clock).
 */
function fakeIntervals(): void {
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

/** Moves the fake intervals on, one at a time, until `done` (at most `limit` intervals). */
function tickUntil(intervalMs: number, done: () => boolean, limit = 1_000): void {
  for (let i = 0; i < limit && !done(); i += 1) {
    vi.advanceTimersByTime(intervalMs);
  }
}

function header(hook: ReceivedHook, name: string): string | undefined {
  const value = hook.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** What Crisp's libraries check (crisp-api.md §5.3): HMAC-SHA256 hex of `[ts;body]`. */
function signatureOf(hook: ReceivedHook, secret = SECRET): string {
  const timestamp = header(hook, "x-crisp-request-timestamp") ?? "";
  return createHmac("sha256", secret).update(`[${timestamp};${hook.body}]`).digest("hex");
}

async function sendText(simulator: Simulator, sessionId: string, content: string): Promise<number> {
  const reply = await crispWrite(
    simulator,
    "POST",
    `${websitePath(simulator)}/conversation/${sessionId}/message`,
    { body: { type: "text", from: "user", origin: "chat", content } },
  );
  return reply.status;
}

describe("web hook delivery", () => {
  test("a write delivers one signed plugin hook: compact JSON in Crisp's key order", async () => {
    const target = await receiver();
    const simulator = await fresh({ hooks: pluginHooks(target) });
    const events = recordEvents(simulator);
    const sessionId = await newConversation(simulator);

    expect(await sendText(simulator, sessionId, "Hey :)")).toBe(202);
    await simulator.hooksIdle();

    expect(target.received).toHaveLength(1);
    const [hook] = target.received as [ReceivedHook];
    expect(hook.method).toBe("POST");
    expect(hook.url).toBe("/crisp/hooks");
    expect(header(hook, "content-type")).toBe("application/json");
    // The bytes sent are what JSON.stringify gives back (NODE verifies against that) ...
    const parsed = JSON.parse(hook.body) as Record<string, unknown>;
    expect(JSON.stringify(parsed)).toBe(hook.body);
    expect(hook.body).toBe(hookBody(events[0] as SimulatorEvent));
    // ... with the key order of Crisp's own hook (crisp-api.md §7.6).
    const fixture = JSON.parse(await readFile(FIXTURE, "utf8")) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(Object.keys(fixture));
    expect(Object.keys(parsed)).toEqual(["website_id", "event", "data", "timestamp"]);
    const data = parsed.data as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(
      expect.arrayContaining(Object.keys(fixture.data as Record<string, unknown>)),
    );
    expect(parsed).toMatchObject({
      website_id: simulator.defaultWebsiteId,
      event: "message:send",
      data: {
        website_id: simulator.defaultWebsiteId,
        session_id: sessionId,
        type: "text",
        from: "user",
        content: "Hey :)",
        user: { user_id: sessionId },
      },
    });

    expect(simulator.pluginId).toMatch(/^[0-9a-f]{16}$/);
    expect(header(hook, "x-crisp-hook-origin")).toBe(`plugin/rtm ${simulator.pluginId} production`);
    const timestamp = header(hook, "x-crisp-request-timestamp") ?? "";
    expect(timestamp).toMatch(/^\d{13}$/);
    expect(Math.abs(Number(timestamp) - Date.now())).toBeLessThan(60_000);
    expect(header(hook, "x-delivery-attempt-limit")).toBe("3");
    expect(header(hook, "x-delivery-attempt-count")).toBe("1");
    expect(header(hook, "x-crisp-signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(header(hook, "x-crisp-signature")).toBe(signatureOf(hook));
    expect(header(hook, "x-crisp-signature")).not.toBe(signatureOf(hook, "another-secret"));

    expect(simulator.hookDeliveries).toEqual([
      {
        event: "message:send",
        url: `${target.url}/crisp/hooks`,
        attempt: 1,
        status: 200,
        at: expect.any(Number),
      },
    ]);
    simulator.clearHookDeliveries();
    expect(simulator.hookDeliveries).toEqual([]);
  });

  test("website hooks go to the URL with ?key= added, keep its query and carry no signature", async () => {
    const target = await receiver();
    const simulator = await fresh({
      hooks: { url: `${target.url}/crisp/hooks?source=crisp`, kind: "website", key: "k&y 1/2" },
    });
    const sessionId = await newConversation(simulator);

    expect(await sendText(simulator, sessionId, "Hello")).toBe(202);
    await simulator.hooksIdle();

    expect(target.received).toHaveLength(1);
    const [hook] = target.received as [ReceivedHook];
    expect(hook.url).toBe("/crisp/hooks?source=crisp&key=k%26y%201%2F2");
    expect(new URL(hook.url, target.url).searchParams.get("key")).toBe("k&y 1/2");
    expect(hook.headers).not.toHaveProperty("x-crisp-signature");
    expect(header(hook, "x-crisp-hook-origin")).toBe(
      `website/rtm ${simulator.defaultWebsiteId} production`,
    );
    expect(header(hook, "x-delivery-attempt-count")).toBe("1");
    expect(header(hook, "x-delivery-attempt-limit")).toBe("3");
    expect(JSON.parse(hook.body)).toMatchObject({ event: "message:send" });
    // The log names the configured URL, not the key.
    expect(simulator.hookDeliveries[0]?.url).toBe(`${target.url}/crisp/hooks?source=crisp`);
  });

  test('assumptions.hookTimestampUnit: "s" sends seconds, and the signature covers those digits', async () => {
    const target = await receiver();
    const simulator = await fresh({
      hooks: pluginHooks(target),
      assumptions: { hookTimestampUnit: "s" },
    });
    const sessionId = await newConversation(simulator);

    await sendText(simulator, sessionId, "Seconds please");
    await simulator.hooksIdle();

    const [hook] = target.received as [ReceivedHook];
    const timestamp = header(hook, "x-crisp-request-timestamp") ?? "";
    expect(timestamp).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(header(hook, "x-crisp-signature")).toBe(signatureOf(hook));
  });

  test("a 500 is retried with the same body, attempt count 2 and a fresh valid signature", async () => {
    const target = await receiver();
    target.answer(500);
    const simulator = await fresh({ hooks: pluginHooks(target) });
    const sessionId = await newConversation(simulator);

    expect(await sendText(simulator, sessionId, "Anyone there?")).toBe(202);
    await simulator.hooksIdle();

    expect(target.received.map((hook) => hook.status)).toEqual([500, 200]);
    const [first, second] = target.received as [ReceivedHook, ReceivedHook];
    expect(second.body).toBe(first.body);
    expect(header(first, "x-delivery-attempt-count")).toBe("1");
    expect(header(second, "x-delivery-attempt-count")).toBe("2");
    expect(header(second, "x-delivery-attempt-limit")).toBe("3");
    expect(Number(header(second, "x-crisp-request-timestamp"))).toBeGreaterThan(
      Number(header(first, "x-crisp-request-timestamp")),
    );
    expect(header(first, "x-crisp-signature")).toBe(signatureOf(first));
    expect(header(second, "x-crisp-signature")).toBe(signatureOf(second));
    expect(header(second, "x-crisp-signature")).not.toBe(header(first, "x-crisp-signature"));
    expect(simulator.hookDeliveries.map(({ attempt, status }) => [attempt, status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
  });

  test("a dead hook URL never breaks the write: it answers 202, then three attempts fail", async () => {
    const url = await deadUrl();
    const simulator = await fresh({ hooks: { url, kind: "plugin", secret: SECRET } });
    const sessionId = await newConversation(simulator);

    expect(await sendText(simulator, sessionId, "Is this thing on?")).toBe(202);
    await simulator.hooksIdle();

    expect(simulator.hookDeliveries).toEqual(
      [1, 2, 3].map((attempt) => ({
        event: "message:send",
        url,
        attempt,
        status: 0,
        at: expect.any(Number),
      })),
    );
    // And the write happened.
    const messages = await crispData<WireMessage[]>(
      simulator,
      `${websitePath(simulator)}/conversation/${sessionId}/messages`,
    );
    expect(messages.map((message) => message.content)).toEqual(["Is this thing on?"]);
  });

  test("hooks arrive in event order, a retry holding later events back", async () => {
    const target = await receiver();
    target.answer(503);
    const simulator = await fresh({ hooks: pluginHooks(target) });
    const events = recordEvents(simulator);
    const sessionId = await newConversation(simulator);
    const path = `${websitePath(simulator)}/conversation/${sessionId}`;

    await sendText(simulator, sessionId, "First");
    await crispWrite(simulator, "PATCH", `${path}/meta`, {
      body: { nickname: "Ada Lovelace", email: "ada@example.com" },
    });
    await sendText(simulator, sessionId, "Second");
    await crispWrite(simulator, "PATCH", `${path}/state`, { body: { state: "resolved" } });
    await simulator.hooksIdle();

    expect(events.map((event) => event.event)).toEqual([
      "message:send",
      "session:set_nickname",
      "session:set_email",
      "message:send",
      "session:set_state",
    ]);
    const delivered = target.received.filter((hook) => hook.status === 200);
    expect(delivered.map((hook) => hook.body)).toEqual(events.map((event) => hookBody(event)));
    expect(target.received[0]?.status).toBe(503);
    expect(target.received[0]?.body).toBe(delivered[0]?.body);
  });

  test("configure({ hooks: null }) stops deliveries and drops a pending retry", async () => {
    const target = await receiver();
    // A retry that would wait a minute: turning hooks off must not wait for it.
    const simulator = await fresh({
      hooks: pluginHooks(target),
      assumptions: { hookRetryDelaysMs: [60_000] },
    });
    const sessionId = await newConversation(simulator);

    await sendText(simulator, sessionId, "One");
    await simulator.hooksIdle();
    expect(target.received).toHaveLength(1);

    target.answer(500);
    await sendText(simulator, sessionId, "Two");
    await target.waitFor(2);
    simulator.configure({ hooks: null });
    await simulator.hooksIdle();
    await sendText(simulator, sessionId, "Three");
    await simulator.hooksIdle();

    expect(target.received.map((hook) => hook.status)).toEqual([200, 500]);
    expect(simulator.hookDeliveries.map(({ attempt, status }) => [attempt, status])).toEqual([
      [1, 200],
      [1, 500],
    ]);

    // And back on: the next write is delivered again.
    simulator.configure({ hooks: pluginHooks(target) });
    await sendText(simulator, sessionId, "Four");
    await simulator.hooksIdle();
    expect(target.received).toHaveLength(3);
    expect(JSON.parse(target.received[2]?.body ?? "{}")).toMatchObject({
      data: { content: "Four" },
    });
  });

  test("a hooks setting that cannot be delivered to is refused and changes nothing", async () => {
    const target = await receiver();
    const simulator = await fresh({ hooks: pluginHooks(target) });

    expect(() =>
      simulator.configure({ hooks: { url: "not a url", kind: "plugin", secret: SECRET } }),
    ).toThrow(/hooks\.url must be an absolute http\(s\) URL/);
    expect(() =>
      simulator.configure({ hooks: { url: target.url, kind: "website", key: "" } }),
    ).toThrow(/hooks\.key must be a non-empty string/);
    expect(() => simulator.configure({ hooks: null, liveActivity: { intervalMs: 0 } })).toThrow(
      /liveActivity\.intervalMs/,
    );
    await expect(
      startSimulator({ liveActivity: { intervalMs: 10, websiteId: "nope" } }),
    ).rejects.toThrow(/liveActivity\.websiteId must be a simulated website/);

    const sessionId = await newConversation(simulator);
    await sendText(simulator, sessionId, "Still hooked");
    await simulator.hooksIdle();
    expect(target.received).toHaveLength(1);
  });
});

describe("live activity", () => {
  test("produces signed hooks within a few intervals, and its effects show in the read routes", async () => {
    const target = await receiver();
    const simulator = await fresh({ hooks: pluginHooks(target) });
    const events = recordEvents(simulator);

    simulator.configure({ liveActivity: { intervalMs: 20 } });
    await target.waitFor(6);
    simulator.configure({ liveActivity: null });
    await simulator.hooksIdle();

    // Every event became exactly one signed hook, in order.
    expect(target.received.map((hook) => hook.body)).toEqual(events.map((e) => hookBody(e)));
    for (const hook of target.received) {
      expect(header(hook, "x-crisp-signature")).toBe(signatureOf(hook));
    }
    const allowed = [
      "message:send",
      "message:received",
      "session:set_state",
      "session:set_nickname",
      "session:set_email",
    ];
    for (const event of events) {
      expect(allowed).toContain(event.event);
      expect(event.website_id).toBe(simulator.defaultWebsiteId);
    }
    // Activity uses no HTTP request of the simulator.
    expect(simulator.requests).toEqual([]);

    // Each message is readable, each conversation ends in the last state it was set to.
    const sessions = new Set(events.map((event) => String(event.data.session_id)));
    for (const sessionId of sessions) {
      const path = `${websitePath(simulator)}/conversation/${sessionId}`;
      const mine = events.filter((event) => event.data.session_id === sessionId);
      const messages = await crispData<WireMessage[]>(simulator, `${path}/messages`);
      const fingerprints = messages.map((message) => message.fingerprint);
      for (const event of mine.filter((item) => item.event.startsWith("message:"))) {
        expect(fingerprints).toContain(event.data.fingerprint);
        expect(typeof event.data.content).toBe("string");
      }
      const states = mine.filter((item) => item.event === "session:set_state");
      const last = states[states.length - 1];
      if (last !== undefined) {
        const conversation = await crispData<WireConversation>(simulator, path);
        expect(conversation.state).toBe(last.data.state);
      }
    }
    // The conversation touched last tops the list, as in Crisp's inbox.
    const page = await crispData<WireConversation[]>(
      simulator,
      `${websitePath(simulator)}/conversations/1`,
    );
    expect(page[0]?.session_id).toBe(events[events.length - 1]?.data.session_id);
  });

  test("starts from the liveActivity option on another website, and repeats per seed", async () => {
    const options = (websiteId: string): SimulatorOptions => ({
      seed: 7,
      liveActivity: { intervalMs: 15, websiteId },
    });
    const probe = await fresh({ seed: 7 });
    const second = probe.store.websites[1]?.website_id ?? "";
    const runs: SimulatorEvent[][] = [];
    fakeIntervals();
    for (let run = 0; run < 2; run++) {
      const simulator = await fresh(options(second));
      const events = recordEvents(simulator);
      const messages = () => events.filter((event) => event.event.startsWith("message:")).length;
      tickUntil(15, () => messages() >= 4);
      expect(messages()).toBeGreaterThanOrEqual(4);
      await simulator.close();
      runs.push(events);
    }
    const shape = (events: SimulatorEvent[]): unknown[] =>
      events
        .filter((event) => event.event.startsWith("message:"))
        .slice(0, 4)
        .map((event) => [event.event, event.website_id, event.data.session_id, event.data.content]);
    expect(shape(runs[0] ?? [])).toEqual(shape(runs[1] ?? []));
    expect(runs[0]?.every((event) => event.website_id === second)).toBe(true);
  });

  test("close() stops activity and deliveries: nothing happens after it", async () => {
    const target = await receiver();
    fakeIntervals();
    const simulator = await fresh({
      hooks: pluginHooks(target),
      liveActivity: { intervalMs: 10 },
    });
    const events = recordEvents(simulator);
    tickUntil(10, () => events.length > 0);
    await target.waitFor(1);
    await simulator.close();
    const seen = { events: events.length, hooks: target.received.length };
    const conversations = simulator.store.conversations(simulator.defaultWebsiteId).length;

    // A hundred intervals on the activity's own clock: a timer close() left would tick now.
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(events.length).toBe(seen.events);
    expect(target.received.length).toBe(seen.hooks);
    expect(simulator.store.conversations(simulator.defaultWebsiteId)).toHaveLength(conversations);
    await simulator.hooksIdle();
  });

  test("close() leaves no timer or socket: a process running activity and failing hooks exits", async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ["--import", "tsx", CHILD], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      timeout: 15_000,
    });
    const report = JSON.parse(stdout.trim()) as { attempts: number; active: string[] };
    expect(report.attempts).toBeGreaterThanOrEqual(1);
    expect(report.active).toEqual([]);
  });
});
