/**
 * Crisp's RTM socket as an event source (issue 14), against the simulator's own Socket.IO
 * server: discovery and authentication as the official SDK does them, events reaching
 * graphql-ws and SSE subscribers and patching the cache exactly as the same hook does, a
 * dropped connection coming back (and its gap caught up), and both sources on at once with
 * each event relayed once. Every wait is on a signal: a subscription's results, the source's
 * state, the simulator's authentications.
 */

import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { io } from "socket.io-client";
import { MockAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { RTM_EVENTS } from "../src/crisp/connect.js";
import { createMemoryEventLog, type EventLog } from "../src/events/log.js";
import { createRedisEventLog } from "../src/events/redis-log.js";
import { createLogger } from "../src/logger.js";
import { createMemoryResponseStore } from "../src/plugins/response-cache-store.js";
import type { Gateway, GatewayOptions } from "../src/server.js";
import {
  type RtmAuthentication,
  type SimulatorEvent,
  startSimulator,
} from "../src/simulator/index.js";
import { gatewayOn, queryGateway } from "./helpers/gateway.js";
import { HOOK_SECRET } from "./helpers/hooks.js";
import { subscribe, wsClient } from "./helpers/live.js";
import { startRedis } from "./helpers/redis.js";
import { crispWrite } from "./helpers/simulator-write.js";
import { readEvents } from "./helpers/streams.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const simulator = await startSimulator({ seed: 1 });
const W = simulator.defaultWebsiteId;
afterAll(() => simulator.close());

function rtmGateway(options: Partial<GatewayOptions> = {}): Gateway {
  return gatewayOn(simulator, {
    defaultWebsiteId: W,
    operationsPerMinute: 0,
    eventSource: { mode: "rtm", backoff: { initialMs: 10, maxMs: 50 } },
    ...options,
  });
}

function rtm(gateway: Gateway) {
  if (gateway.rtm === null) {
    throw new Error("the gateway has no RTM source");
  }
  return gateway.rtm;
}

/** The next authentication the simulator answers. */
function nextAuthentication(): Promise<RtmAuthentication> {
  return new Promise((resolve) => {
    const stop = simulator.rtm.onAuthentication((authentication) => {
      stop();
      resolve(authentication);
    });
  });
}

/** Runs `write` and returns the events it made the simulator emit (hooks and socket alike). */
async function emitted(write: () => Promise<unknown>): Promise<SimulatorEvent[]> {
  const events: SimulatorEvent[] = [];
  const stop = simulator.onEvent((event) => events.push(event));
  try {
    await write();
  } finally {
    stop();
  }
  return events;
}

const sendMessage = (sessionId: string, content: string) =>
  crispWrite(simulator, "POST", `/website/${W}/conversation/${sessionId}/message`, {
    body: { type: "text", from: "user", origin: "chat", content },
  });

const sessions = simulator.store.listConversations(W, {}).map((c) => c.session_id);
const takeRequests = () => {
  const served = simulator.requests.map((request) => `${request.method} ${request.url}`);
  simulator.clearRequests();
  return served;
};

describe("discovery and authentication", () => {
  it("asks GET /plugin/connect/endpoints, connects there and authenticates as the SDK does", async () => {
    simulator.clearRequests();
    const authenticated = nextAuthentication();
    const gateway = rtmGateway();
    await rtm(gateway).reached("connected");
    expect(takeRequests()).toEqual(["GET /plugin/connect/endpoints"]);
    expect(await authenticated).toEqual({
      ok: true,
      username: simulator.credentials.identifier,
      tier: "plugin",
      events: [...RTM_EVENTS],
      at: expect.any(Number),
    });
    const { origin, hookUrl } = await gateway.listen("127.0.0.1", 0);
    expect(await (await fetch(`${origin}/ready`)).json()).toEqual({ ready: true, problems: [] });
    // CRISP_EVENTS=rtm: hooks are off, and say so.
    const hook = await fetch(hookUrl, { method: "POST", body: "{}" });
    expect(hook.status).toBe(403);
    expect(await hook.json()).toEqual({
      error:
        "Web hooks are off on this gateway: it receives events over Crisp's RTM socket (CRISP_EVENTS=rtm).",
    });
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    expect(metrics).toMatch(/^gateway_rtm_connected 1$/m);
    expect(metrics).toMatch(/^gateway_rtm_holder 1$/m);
    expect(metrics).toMatch(/^# TYPE gateway_rtm_connects_total counter$/m);
    expect(metrics).toMatch(/^gateway_rtm_connects_total 1$/m);
    const status = await queryGateway(
      gateway,
      "{ gateway { eventSource { mode rtm { state holder connects gaps reason } } } }",
    );
    expect(status.data).toEqual({
      gateway: {
        eventSource: {
          mode: "RTM",
          rtm: { state: "CONNECTED", holder: true, connects: 1, gaps: 0, reason: null },
        },
      },
    });
  });

  it("asks /user/connect/endpoints for a user token and /website/{id}/connect/endpoints for a website token", async () => {
    const user = simulator.tokens.find((token) => token.tier === "user");
    const website = {
      identifier: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
      key: "website-token-key-for-rtm-tests",
      tier: "website" as const,
      websiteIds: [W],
    };
    simulator.tokens.push(website);
    simulator.clearRequests();
    const userGateway = rtmGateway({
      crisp: {
        baseUrl: simulator.url,
        identifier: user?.identifier ?? "",
        key: user?.key ?? "",
        tier: "user",
      },
    });
    await rtm(userGateway).reached("connected");
    const websiteGateway = rtmGateway({ crisp: { baseUrl: simulator.url, ...website } });
    await rtm(websiteGateway).reached("connected");
    expect(takeRequests().sort()).toEqual([
      "GET /user/connect/endpoints",
      `GET /website/${W}/connect/endpoints`,
    ]);
    expect(simulator.rtm.authentications.slice(-2).map((a) => [a.ok, a.tier])).toEqual([
      [true, "user"],
      [true, "website"],
    ]);
  });

  it("the simulator answers a wrong key unauthorized, and the exact payload authenticated", async () => {
    const socket = io(new URL(simulator.rtm.url).origin, { transports: ["websocket"] });
    onTestFinished(() => {
      socket.disconnect();
    });
    const answer = (payload: unknown) =>
      new Promise<string>((resolve) => {
        socket.once("authenticated", () => resolve("authenticated"));
        socket.once("unauthorized", () => resolve("unauthorized"));
        socket.emit("authentication", payload);
      });
    const good = {
      username: simulator.credentials.identifier,
      password: simulator.credentials.key,
      tier: "plugin",
      events: ["message:send"],
    };
    expect(await answer({ ...good, password: "wrong" })).toBe("unauthorized");
    expect(await answer({ ...good, tier: "user" })).toBe("unauthorized");
    expect(await answer({ ...good, events: [] })).toBe("unauthorized");
    expect(await answer({ identifier: good.username, key: good.password, tier: "plugin" })).toBe(
      "unauthorized",
    );
    expect(await answer(good)).toBe("authenticated");
  });

  it("Crisp's unauthorized stops the source: no retry, and /ready and the log say why", async () => {
    // Discovery answers (as a REST token other than the socket's could), the socket refuses.
    const agent = new MockAgent();
    agent.disableNetConnect();
    const api = agent.get("http://crisp.test");
    api.intercept({ path: "/v1/plugin/connect/endpoints", method: "GET" }).reply(200, {
      error: false,
      reason: "resolved",
      data: { socket: { app: simulator.rtm.url } },
    });
    const lines: string[] = [];
    const refused = nextAuthentication();
    const gateway = rtmGateway({
      crisp: {
        baseUrl: "http://crisp.test/v1",
        identifier: simulator.credentials.identifier,
        key: "not-the-key",
        dispatcher: agent,
      },
      logger: createLogger("info", { write: (line: string) => lines.push(line) }),
    });
    await rtm(gateway).reached("unauthorized");
    expect((await refused).ok).toBe(false);
    agent.assertNoPendingInterceptors();
    const { origin } = await gateway.listen("127.0.0.1", 0);
    const ready = await fetch(`${origin}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      ready: false,
      problems: [
        {
          component: "crisp",
          reason: expect.stringMatching(/unauthorized.*CRISP_IDENTIFIER, CRISP_KEY/),
        },
      ],
    });
    expect(lines.join("\n")).toMatch(/refused; not retrying/);
    expect(rtm(gateway).status()).toMatchObject({ state: "unauthorized", connects: 0 });
    await agent.close();
  });
});

describe("events over the socket", () => {
  const ownToken = {
    identifier: randomUUID(),
    key: `own-${randomUUID()}`,
    tier: "plugin" as const,
    websiteIds: [...(simulator.tokens.find((token) => token.tier === "plugin")?.websiteIds ?? [])],
  };
  // Built when these tests begin, so the discovery tests above see only their own requests.
  let hooked: Gateway;
  let hookUrl = "";
  let gateway: Gateway;
  let url = "";
  let wsUrl = "";
  beforeAll(async () => {
    /** A gateway fed by hooks only, to compare with. */
    hooked = gatewayOn(simulator, {
      defaultWebsiteId: W,
      operationsPerMinute: 0,
      hooks: { secret: HOOK_SECRET },
    });
    ({ hookUrl } = await hooked.listen("127.0.0.1", 0));
    // A plugin token of its own, so its socket:bind is told from other gateways'.
    simulator.tokens.push(ownToken);
    gateway = rtmGateway({ crisp: { baseUrl: simulator.url, ...ownToken } });
    ({ url, wsUrl } = await gateway.listen("127.0.0.1", 0));
  });

  it("reach graphql-ws and SSE subscribers, and patch the cache as the same hook does", async () => {
    simulator.configure({ hooks: { url: hookUrl, kind: "plugin", secret: HOOK_SECRET } });
    await rtm(gateway).reached("connected");
    const S = sessions[5] ?? "";
    const CONVERSATIONS = `{ website { conversations(first: 10) { nodes { sessionId lastMessage unread { visitor } messages(last: 3) { nodes { fingerprint text } } } } } }`;
    await queryGateway(gateway, CONVERSATIONS);
    await queryGateway(hooked, CONVERSATIONS);
    const ws = subscribe<{ messageAdded: { fingerprint: number; text: string } }>(
      wsClient(wsUrl),
      `subscription($w: ID!, $s: ID) { messageAdded(websiteId: $w, sessionId: $s) { fingerprint text } }`,
      { w: W, s: S },
    );
    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({
        query: `subscription($w: ID!) { crispEvents(websiteId: $w) { name sessionId } }`,
        variables: { w: W },
      }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    if (reader === undefined) {
      throw new Error("no SSE body");
    }
    const sse = readEvents(reader);
    const opening = sse.next();
    await gateway.openSubscriptions(2);
    const before = rtm(gateway).status().events;
    const events = await emitted(() => sendMessage(S, "Sent over the socket"));
    const sent = events.find((event) => event.event === "message:send");
    const [delivered] = await ws.take(1);
    expect(delivered?.data?.messageAdded).toEqual({
      fingerprint: sent?.data.fingerprint,
      text: "Sent over the socket",
    });
    expect((await opening).value?.data).toEqual({
      crispEvents: { name: events[0]?.event, sessionId: S },
    });
    await rtm(gateway).received(before + events.length);
    await gateway.eventsCaughtUp();
    await simulator.hooksIdle();
    await hooked.eventsCaughtUp();
    takeRequests();
    const overSocket = await queryGateway(gateway, CONVERSATIONS);
    const socketCalls = takeRequests();
    const overHook = await queryGateway(hooked, CONVERSATIONS);
    const hookCalls = takeRequests();
    expect(overSocket).toEqual(overHook);
    expect(socketCalls).toEqual(hookCalls);
    // The message came whole: neither gateway asked Crisp for anything.
    expect(socketCalls).toEqual([]);
    simulator.configure({ hooks: null });
    ws.dispose();
    controller.abort();
    await gateway.openSubscriptions(0);
  });

  it("come back after the simulator drops the socket: reconnected, re-authenticated, the gap caught up", async () => {
    await rtm(gateway).reached("connected");
    const S = sessions[6] ?? "";
    const CONVERSATION = `query($s: ID!) { website { conversation(sessionId: $s) { sessionId lastMessage } } }`;
    await queryGateway(gateway, CONVERSATION, { s: S });
    takeRequests();
    // Held in the cache: no Crisp request.
    await queryGateway(gateway, CONVERSATION, { s: S });
    expect(takeRequests()).toEqual([]);
    const { connects, gaps } = rtm(gateway).status();
    const reauthenticated = nextAuthentication();
    const down = rtm(gateway).reached("disconnected");
    simulator.rtm.drop();
    await down;
    await rtm(gateway).reached("connected");
    expect((await reauthenticated).ok).toBe(true);
    expect(rtm(gateway).status()).toMatchObject({ connects: connects + 1, gaps: gaps + 1 });
    // The gap: what the gateway held of the website was dropped, so Crisp is asked again.
    await queryGateway(gateway, CONVERSATION, { s: S });
    expect(takeRequests()).toContain(`GET /website/${W}/conversation/${S}`);
    const ws = subscribe<{ messageAdded: { text: string } }>(
      wsClient(wsUrl),
      `subscription($w: ID!, $s: ID) { messageAdded(websiteId: $w, sessionId: $s) { text } }`,
      { w: W, s: S },
    );
    await gateway.openSubscriptions(1);
    await sendMessage(S, "After the reconnect");
    const [after] = await ws.take(1);
    expect(after?.data?.messageAdded).toEqual({ text: "After the reconnect" });
  });

  it("rebinds (socket:bind) after plugin:subscription:updated, and then gets the new website's events", async () => {
    await rtm(gateway).reached("connected");
    const plugin = simulator.tokens.find((token) => token.tier === "plugin");
    const other = simulator.store.websites
      .map((website) => website.website_id)
      .find((id) => plugin?.websiteIds.includes(id) === false);
    if (other === undefined) {
      throw new Error("the seed has no website without the plugin");
    }
    // The previous test's subscription is closed on the server side first.
    await gateway.openSubscriptions(0);
    const feed = subscribe<{ crispEvents: { name: string; websiteId: string } }>(
      wsClient(wsUrl),
      `subscription($w: ID!) { crispEvents(websiteId: $w) { name websiteId } }`,
      { w: other },
    );
    await gateway.openSubscriptions(1);
    const before = rtm(gateway).status().events;
    const rebound = new Promise<void>((resolve) => {
      const stop = simulator.rtm.onBind((username) => {
        if (username === ownToken.identifier) {
          stop();
          resolve();
        }
      });
    });
    simulator.setPluginInstalled(other, true);
    const [installed] = await feed.take(1);
    expect(installed?.data?.crispEvents).toEqual({
      name: "plugin:subscription:updated",
      websiteId: other,
    });
    await rtm(gateway).received(before + 1);
    await rebound;
    // After the rebind, the socket brings that website's events too.
    const session = simulator.store.listConversations(other, {})[0]?.session_id ?? "";
    await crispWrite(simulator, "PATCH", `/website/${other}/conversation/${session}/state`, {
      body: { state: "resolved" },
    });
    const [state] = await feed.take(1);
    expect(state?.data?.crispEvents).toEqual({ name: "session:set_state", websiteId: other });
  });
});

describe.each(["memory", "redis"] as const)("both sources at once, %s event log", (kind) => {
  let events: EventLog;
  let gateway: Gateway;
  let hookUrl = "";
  let wsUrl = "";
  beforeAll(async () => {
    // In Redis the pairing is the append script's (`…:count:*`, `…:pair:*`).
    events =
      kind === "memory"
        ? createMemoryEventLog()
        : await createRedisEventLog({ redisUrl: REDIS_URL, scope: `test-${randomUUID()}` });
    gateway = rtmGateway({
      events,
      hooks: { secret: HOOK_SECRET },
      eventSource: { mode: "both", backoff: { initialMs: 10, maxMs: 50 } },
    });
    ({ hookUrl, wsUrl } = await gateway.listen("127.0.0.1", 0));
  });

  it("relays each event once, whichever source brings it first", async () => {
    await rtm(gateway).reached("connected");
    simulator.configure({ hooks: { url: hookUrl, kind: "plugin", secret: HOOK_SECRET } });
    onTestFinished(() => simulator.configure({ hooks: null }));
    const feed = subscribe<{ crispEvents: { name: string; sessionId: string | null } }>(
      wsClient(wsUrl),
      `subscription($w: ID!) { crispEvents(websiteId: $w) { name sessionId } }`,
      { w: W },
    );
    await gateway.openSubscriptions(1);
    await gateway.eventsCaughtUp();
    const start = await events.latest();
    const before = rtm(gateway).status().events;
    const S = sessions[kind === "memory" ? 7 : 8] ?? "";
    const sent = await emitted(async () => {
      await sendMessage(S, "one");
      // The same content twice is two events: both must be relayed.
      await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S}/state`, {
        body: { state: "resolved" },
      });
      await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S}/state`, {
        body: { state: "unresolved" },
      });
      await crispWrite(simulator, "PATCH", `/website/${W}/conversation/${S}/state`, {
        body: { state: "resolved" },
      });
      await sendMessage(S, "two");
    });
    // Every copy has arrived: each hook answered, each socket event handed over.
    await simulator.hooksIdle();
    await rtm(gateway).received(before + sent.length);
    await gateway.eventsCaughtUp();
    const received = await feed.take(sent.length);
    expect(received.map((result) => result.data?.crispEvents.name)).toEqual(
      sent.map((event) => event.event),
    );
    expect(feed.pending()).toBe(0);
    const recorded = await events.range(start === "0-0" ? null : start, 1_000);
    expect(recorded.map((event) => event.name)).toEqual(sent.map((event) => event.event));
    expect(
      simulator.hookDeliveries.filter((delivery) => delivery.status === 200).length,
    ).toBeGreaterThanOrEqual(sent.length);
  });
});

describe("a gap and the response cache", () => {
  it("drops every whole answer cached (entries are not tagged by website): the next read asks Crisp", async () => {
    const gateway = rtmGateway({
      responseCache: { store: createMemoryResponseStore(), ttlMs: 60_000 },
    });
    await gateway.listen("127.0.0.1", 0);
    await rtm(gateway).reached("connected");
    const WEBSITE = `{ website { name } }`;
    await queryGateway(gateway, WEBSITE);
    takeRequests();
    // Served whole from the response cache: nothing loaded, not even from the shared cache.
    expect((await queryGateway(gateway, WEBSITE)).extensions?.cost).toMatchObject({
      crispRequests: 0,
      cacheHits: 0,
    });
    expect(takeRequests()).toEqual([]);
    const down = rtm(gateway).reached("disconnected");
    simulator.rtm.drop();
    await down;
    await rtm(gateway).reached("connected");
    const again = await queryGateway(gateway, WEBSITE);
    expect(again.errors).toBeUndefined();
    expect(takeRequests()).toContain(`GET /website/${W}`);
  });
});

describe("an RTM event the event log could not take", () => {
  it("is caught up as a gap once the log takes events again, without waiting for a reconnect", async () => {
    const redis = await startRedis();
    const reports: { event: string; name: string; wake?: () => void }[] = [];
    const nextReport = (event: "lost" | "back", name: string) =>
      new Promise<void>((wake) => reports.push({ event, name, wake }));
    const events = await createRedisEventLog({
      redisUrl: redis.url,
      scope: `lost-${randomUUID()}`,
      report: (event, name) => {
        for (const waiter of reports.filter((item) => item.event === event && item.name === name)) {
          waiter.wake?.();
          reports.splice(reports.indexOf(waiter), 1);
        }
      },
    });
    onTestFinished(() => events.close());
    const gateway = rtmGateway({ events });
    await gateway.listen("127.0.0.1", 0);
    await rtm(gateway).reached("connected");
    const [S, other] = [sessions[9] ?? "", sessions[10] ?? ""];
    const CONVERSATION = `query($s: ID!) { website { conversation(sessionId: $s) { lastMessage } } }`;
    await queryGateway(gateway, CONVERSATION, { s: S });
    takeRequests();

    const lost = nextReport("lost", "event log");
    await redis.kill();
    await lost;
    const { events: heard, lost: lostBefore, gaps } = rtm(gateway).status();
    const missed = await emitted(() => sendMessage(S, "Sent while the log was away"));
    await rtm(gateway).received(heard + missed.length);
    expect(rtm(gateway).status()).toMatchObject({
      state: "connected",
      lost: lostBefore + missed.length,
      gaps,
    });

    const writerBack = nextReport("back", "event log");
    const readerBack = nextReport("back", "event log reader");
    await redis.restart();
    await Promise.all([writerBack, readerBack]);
    // The socket never dropped: the next event recorded is what tells the log is back.
    const after = await emitted(() => sendMessage(other, "Sent once the log was back"));
    await rtm(gateway).received(heard + missed.length + after.length);
    expect(rtm(gateway).status()).toMatchObject({ state: "connected", gaps: gaps + 1 });
    await gateway.eventsCaughtUp();
    takeRequests();
    const read = await queryGateway<{ website: { conversation: { lastMessage: string } } }>(
      gateway,
      CONVERSATION,
      { s: S },
    );
    // What the gateway held of the website was dropped: Crisp is asked, and has the message.
    expect(takeRequests()).toContain(`GET /website/${W}/conversation/${S}`);
    expect(read.data?.website.conversation.lastMessage).toBe("Sent while the log was away");
  });
});

describe("what an RTM event leaves behind", () => {
  it("no redelivery key: Crisp never sends a socket event twice, so none is stored (in Redis, none piles up)", async () => {
    const scope = `keys-${randomUUID()}`;
    const events = await createRedisEventLog({ redisUrl: REDIS_URL, scope });
    onTestFinished(() => events.close());
    const gateway = rtmGateway({ events });
    await rtm(gateway).reached("connected");
    const before = rtm(gateway).status().events;
    const sent = await emitted(() => sendMessage(sessions[11] ?? "", "Leaves no key"));
    await rtm(gateway).received(before + sent.length);
    await gateway.eventsCaughtUp();
    const redis = new Redis(REDIS_URL);
    onTestFinished(() => redis.disconnect());
    const recorded = await events.range(null, 100);
    expect(recorded.map((event) => event.name)).toEqual(sent.map((event) => event.event));
    // Only the stream and where its history begins: no `…:hook:*` key per socket event.
    expect((await redis.keys(`crisp-gateway:{${scope}}:*`)).sort()).toEqual([
      `crisp-gateway:{${scope}}:events`,
      `crisp-gateway:{${scope}}:events:origin`,
    ]);
  });
});
