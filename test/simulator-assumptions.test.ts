import { createServer, type Socket } from "node:net";
import { describe, expect, onTestFinished, test } from "vitest";
import {
  type AssumptionsInput,
  DEFAULT_ASSUMPTIONS,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
  type WireConversation,
  type WireMessage,
} from "../src/simulator/index.js";
import { crisp, crispData } from "./helpers/simulator-client.js";
import { startHookReceiver } from "./helpers/simulator-hook-receiver.js";
import { crispWrite } from "./helpers/simulator-write.js";

/**
 * Every assumption the simulator makes where Crisp documents nothing is a knob
 * (`src/simulator/assumptions.ts`): each test sets one away from its default and checks the
 * simulator answers the other way, black-box over HTTP.
 */

async function fresh(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = await startSimulator(options);
  onTestFinished(() => simulator.close());
  return simulator;
}

function site(simulator: Simulator): string {
  return `/website/${simulator.defaultWebsiteId}`;
}

/** Every page of a list until the first empty one: the sizes of the pages and the statuses. */
async function pages(
  simulator: Simulator,
  path: string,
  query: Record<string, string | number> = {},
): Promise<{ sizes: number[]; statuses: number[]; items: unknown[] }> {
  const sizes: number[] = [];
  const statuses: number[] = [];
  const items: unknown[] = [];
  for (let page = 1; page < 100; page++) {
    const reply = await crisp<unknown[]>(simulator, `${path}/${page}`, { query });
    statuses.push(reply.status);
    const data = reply.body?.data ?? [];
    if (data.length === 0) {
      break;
    }
    sizes.push(data.length);
    items.push(...data);
  }
  return { sizes, statuses, items };
}

/** A person of the default website with at least `count` conversations (the seed skews). */
function busyPerson(simulator: Simulator, count: number): string {
  const counts = new Map<string, number>();
  for (const item of simulator.store.conversations(simulator.defaultWebsiteId)) {
    if (item.people_id !== undefined) {
      counts.set(item.people_id, (counts.get(item.people_id) ?? 0) + 1);
    }
  }
  const found = [...counts].find(([, n]) => n >= count)?.[0];
  if (found === undefined) {
    throw new Error(`the seed has no person with ${count} conversations`);
  }
  return found;
}

describe("page sizes of routes without per_page", () => {
  test("default to 20 for visitors, plugin websites and a person's conversations", () => {
    expect(DEFAULT_ASSUMPTIONS.pageSizes).toEqual({
      visitors: 20,
      pluginWebsites: 20,
      personConversations: 20,
    });
  });

  test("visitors page by the configured size", async () => {
    for (const [size, expected] of [
      [30, [30]],
      [10, [10, 10, 10]],
      [7, [7, 7, 7, 7, 2]],
    ] as const) {
      const sim = await fresh({ assumptions: { pageSizes: { visitors: size } } });
      const { sizes, items } = await pages(sim, `${site(sim)}/visitors/list`);
      expect(sizes).toEqual(expected);
      expect(items).toEqual(sim.store.visitors(sim.defaultWebsiteId));
    }
  });

  test("plugin websites and a person's conversations page by theirs", async () => {
    const sim = await fresh({
      assumptions: { pageSizes: { pluginWebsites: 2, personConversations: 3 } },
    });
    const websites = await pages(sim, "/plugin/connect/websites/all");
    expect(websites.sizes).toEqual([2, 1]);
    const person = busyPerson(sim, 7);
    const sessions = await pages(sim, `${site(sim)}/people/conversations/${person}/list`);
    expect(sessions.sizes.slice(0, 2)).toEqual([3, 3]);
    expect(sessions.items).toEqual(sim.store.personConversations(sim.defaultWebsiteId, person, {}));
  });

  test("configure changes one size and keeps the others", async () => {
    const sim = await fresh();
    sim.configure({ assumptions: { pageSizes: { visitors: 25 } } });
    expect(sim.assumptions.pageSizes).toEqual({
      visitors: 25,
      pluginWebsites: 20,
      personConversations: 20,
    });
    expect((await pages(sim, `${site(sim)}/visitors/list`)).sizes).toEqual([25, 5]);
  });
});

describe("the /messages batch", () => {
  async function longConversation(sim: Simulator): Promise<string> {
    const found = sim.store
      .conversations(sim.defaultWebsiteId)
      .find(
        (item) => (sim.store.messages(sim.defaultWebsiteId, item.session_id)?.length ?? 0) > 80,
      );
    expect(found).toBeDefined();
    return found?.session_id ?? "";
  }

  test("holds messagesBatch messages, 206 while older ones remain", async () => {
    const sim = await fresh({ assumptions: { messagesBatch: 25 } });
    const sessionId = await longConversation(sim);
    const path = `${site(sim)}/conversation/${sessionId}/messages`;
    const first = await crisp<WireMessage[]>(sim, path);
    expect(first.status).toBe(206);
    expect(first.body?.data).toHaveLength(25);
    const all = sim.store.messages(sim.defaultWebsiteId, sessionId) ?? [];
    expect(first.body?.data).toEqual(all.slice(-25));
  });

  test('"newest-first" reverses each batch, which still holds the newest messages', async () => {
    const sim = await fresh({ assumptions: { messagesBatch: 25, messagesOrder: "newest-first" } });
    const sessionId = await longConversation(sim);
    const reply = await crisp<WireMessage[]>(
      sim,
      `${site(sim)}/conversation/${sessionId}/messages`,
    );
    const all = sim.store.messages(sim.defaultWebsiteId, sessionId) ?? [];
    expect(reply.body?.data).toEqual(all.slice(-25).reverse());
  });
});

describe("timestamp_after", () => {
  test('bounds a batch by default, and changes nothing when "ignored"', async () => {
    const sim = await fresh({ assumptions: { messagesBatch: 25 } });
    const found = sim.store
      .conversations(sim.defaultWebsiteId)
      .find(
        (item) => (sim.store.messages(sim.defaultWebsiteId, item.session_id)?.length ?? 0) > 80,
      );
    const sessionId = found?.session_id ?? "";
    const all = sim.store.messages(sim.defaultWebsiteId, sessionId) ?? [];
    const after = all.at(-10)?.timestamp ?? 0;
    const path = `${site(sim)}/conversation/${sessionId}/messages`;
    const bounded = await crisp<WireMessage[]>(sim, path, { query: { timestamp_after: after } });
    expect([bounded.status, bounded.body?.data]).toEqual([200, all.slice(-9)]);
    sim.configure({ assumptions: { timestampAfter: "ignored" } });
    const ignored = await crisp<WireMessage[]>(sim, path, { query: { timestamp_after: after } });
    expect([ignored.status, ignored.body?.data]).toEqual([206, all.slice(-25)]);
  });
});

describe("per_page outside 20..50", () => {
  const conversations = (sim: Simulator) => `${site(sim)}/conversations/1`;

  test('is clamped by default ("between 20 and 50, defaults to 20")', async () => {
    const sim = await fresh();
    for (const [perPage, size] of [
      [10, 20],
      [99, 50],
      ["abc", 20],
      [35, 35],
    ] as const) {
      const reply = await crisp<WireConversation[]>(sim, conversations(sim), {
        query: { per_page: perPage },
      });
      expect(reply.status).toBe(206);
      expect(reply.body?.data).toHaveLength(size);
    }
  });

  test('is refused with 400 invalid_data when "refuse", on conversations and people', async () => {
    const sim = await fresh({ assumptions: { perPageOutOfRange: "refuse" } });
    for (const path of [conversations(sim), `${site(sim)}/people/profiles/1`]) {
      for (const perPage of [10, 19, 51, 99, "abc", ""]) {
        const reply = await crisp(sim, path, { query: { per_page: perPage } });
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({
          error: true,
          reason: "invalid_data",
          data: { message: "per_page must be between 20 and 50" },
        });
      }
      for (const [perPage, size] of [
        [20, 20],
        [50, 50],
      ] as const) {
        const reply = await crisp<unknown[]>(sim, path, { query: { per_page: perPage } });
        expect(reply.body?.data).toHaveLength(size);
      }
      expect((await crisp<unknown[]>(sim, path)).body?.data).toHaveLength(20);
    }
  });
});

describe("answers", () => {
  test("an empty page past the end answers listEndStatus", async () => {
    const sim = await fresh({ assumptions: { listEndStatus: 206 } });
    const { statuses } = await pages(sim, `${site(sim)}/visitors/list`);
    expect(statuses).toEqual([206, 206, 206]);
    const people = await crisp(sim, `${site(sim)}/people/profiles/99`);
    expect(people.status).toBe(206);
    expect(people.body).toEqual({ error: false, reason: "listed", data: [] });
  });

  test("not-found and bad-credential reasons are the configured ones", async () => {
    const sim = await fresh({
      assumptions: {
        notFoundReasons: { session: "not_found", people: "profile_not_found" },
        unauthorizedReason: "unauthorized",
      },
    });
    const missingSession = "session_00000000-0000-4000-8000-000000000000";
    const missingPeople = "00000000-0000-4000-8000-000000000000";
    const session = await crisp(sim, `${site(sim)}/conversation/${missingSession}`);
    expect([session.status, session.body?.reason]).toEqual([404, "not_found"]);
    const people = await crisp(sim, `${site(sim)}/people/profile/${missingPeople}`);
    expect([people.status, people.body?.reason]).toEqual([404, "profile_not_found"]);
    const sessionId = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id;
    const message = await crisp(sim, `${site(sim)}/conversation/${sessionId}/message/1`);
    expect([message.status, message.body?.reason]).toEqual([404, "message_not_found"]);
    const denied = await crisp(sim, site(sim), { auth: null });
    expect([denied.status, denied.body?.reason]).toEqual([401, "unauthorized"]);
  });

  test("a rate-limited answer carries the configured reason (Crisp documents none)", async () => {
    const sim = await fresh({
      rateLimit: { requests: 1, windowMs: 60_000, status: 420, reason: "enhance_your_calm" },
    });
    expect((await crisp(sim, site(sim))).status).toBe(200);
    const limited = await crisp(sim, site(sim));
    expect([limited.status, limited.body?.reason]).toEqual([420, "enhance_your_calm"]);
  });

  test("invalid_data answers invalidDataStatus, with its message", async () => {
    const sim = await fresh({ assumptions: { invalidDataStatus: 422 } });
    const reply = await crispWrite(sim, "POST", `${site(sim)}/people/profile`, {
      body: { email: "not an email" },
    });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({
      error: true,
      reason: "invalid_data",
      data: { message: "email must be an email address" },
    });
  });

  test("inferred success answers are the configured ones; Crisp's verified ones are not knobs", async () => {
    const sim = await fresh({
      assumptions: {
        answers: {
          created: { status: 200, reason: "created" },
          dispatched: { status: 201, reason: "sent" },
          updated: { status: 204, reason: "saved" },
        },
      },
    });
    const created = await crispWrite<{ session_id: string }>(
      sim,
      "POST",
      `${site(sim)}/conversation`,
    );
    expect([created.status, created.body?.reason]).toEqual([200, "created"]);
    const path = `${site(sim)}/conversation/${created.body?.data.session_id}`;
    const sent = await crispWrite(sim, "POST", `${path}/message`, {
      body: { type: "text", from: "user", origin: "chat", content: "Hi" },
    });
    expect([sent.status, sent.body?.reason]).toEqual([201, "sent"]);
    const state = await crispWrite(sim, "PATCH", `${path}/state`, { body: { state: "resolved" } });
    expect(state.status).toBe(204);
    const removed = await crispWrite(sim, "DELETE", path);
    expect([removed.status, removed.body?.reason]).toEqual([200, "deleted"]);
  });
});

describe("queries", () => {
  test("a search_query longer than searchQueryMaxLength is search_query_too_long", async () => {
    const sim = await fresh({ assumptions: { searchQueryMaxLength: 5 } });
    const path = `${site(sim)}/conversations/1`;
    expect((await crisp(sim, path, { query: { search_query: "12345" } })).status).not.toBe(400);
    const long = await crisp(sim, path, { query: { search_query: "123456" } });
    expect([long.status, long.body?.reason]).toEqual([400, "search_query_too_long"]);
  });

  test('filter_assigned=1 means "anyone" by default and a user id under "user-id"', async () => {
    const path = (sim: Simulator) => `${site(sim)}/conversations/1`;
    const byDefault = await fresh();
    const anyone = await crispData<WireConversation[]>(byDefault, path(byDefault), {
      query: { filter_assigned: 1, per_page: 50 },
    });
    expect(anyone.length).toBeGreaterThan(0);
    expect(anyone.every((item) => item.assigned?.user_id !== undefined)).toBe(true);
    const literal = await fresh({ assumptions: { filterAssigned: "user-id" } });
    const none = await crispData<WireConversation[]>(literal, path(literal), {
      query: { filter_assigned: 1 },
    });
    expect(none).toEqual([]);
  });

  test("a profile is found by email unless profileByEmail is false", async () => {
    const sim = await fresh({ assumptions: { profileByEmail: false } });
    const profile = sim.store.people(sim.defaultWebsiteId)[0];
    const byId = await crisp(sim, `${site(sim)}/people/profile/${profile?.people_id}`);
    expect(byId.status).toBe(200);
    const byEmail = await crisp(sim, `${site(sim)}/people/profile/${profile?.email}`);
    expect([byEmail.status, byEmail.body?.reason]).toEqual([404, "people_not_found"]);
  });

  test("{ assigned: null } is refused when unassignWithNull is false", async () => {
    const sim = await fresh({ assumptions: { unassignWithNull: false } });
    const sessionId = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id;
    const reply = await crispWrite(sim, "PATCH", `${site(sim)}/conversation/${sessionId}/routing`, {
      body: { assigned: null },
    });
    expect(reply.status).toBe(400);
    expect(reply.body?.data).toEqual({ message: "assigned must be { user_id }" });
  });
});

describe("null in a profile PATCH", () => {
  test('removes the key by default, and is 400 invalid_data when "refuse"', async () => {
    const sim = await fresh();
    const profile = sim.store.people(sim.defaultWebsiteId)[0];
    const path = `${site(sim)}/people/profile/${profile?.people_id}`;
    const body = { person: { timezone: null }, company: { metrics: { employees: null } } };
    const cleared = await crispWrite(sim, "PATCH", path, { body });
    expect(cleared.status).toBe(200);
    const read = sim.store.profile(sim.defaultWebsiteId, profile?.people_id ?? "");
    expect(read?.person?.timezone).toBeUndefined();
    expect(read?.company?.metrics?.employees).toBeUndefined();
    expect(read?.company?.metrics?.arr).toBeDefined();
    sim.configure({ assumptions: { patchNull: "refuse" } });
    const refused = await crispWrite(sim, "PATCH", path, { body });
    expect([refused.status, refused.body?.reason]).toEqual([400, "invalid_data"]);
  });
});

describe("web hook assumptions", () => {
  async function newConversation(sim: Simulator): Promise<string> {
    const reply = await crispWrite<{ session_id: string }>(
      sim,
      "POST",
      `${site(sim)}/conversation`,
    );
    return reply.body?.data.session_id ?? "";
  }

  test("hookAttemptLimit sets the attempts and X-Delivery-Attempt-Limit", async () => {
    const target = await startHookReceiver();
    onTestFinished(() => target.close());
    target.answer(500, 500, 500, 500);
    const sim = await fresh({
      hooks: { url: target.url, kind: "plugin", secret: "s" },
      assumptions: { hookAttemptLimit: 2, hookRetryDelaysMs: [1] },
    });
    const sessionId = await newConversation(sim);
    await crispWrite(sim, "PATCH", `${site(sim)}/conversation/${sessionId}/state`, {
      body: { state: "resolved" },
    });
    await sim.hooksIdle();
    expect(target.received.map((hook) => hook.headers["x-delivery-attempt-limit"])).toEqual([
      "2",
      "2",
    ]);
    expect(sim.hookDeliveries.map((item) => [item.attempt, item.status])).toEqual([
      [1, 500],
      [2, 500],
    ]);
  });

  test("website hooks are not retried when retryWebsiteHooks is false, and get only websiteHookEvents", async () => {
    const target = await startHookReceiver();
    onTestFinished(() => target.close());
    target.answer(500);
    const sim = await fresh({
      hooks: { url: target.url, kind: "website", key: "k" },
      assumptions: {
        retryWebsiteHooks: false,
        websiteHookEvents: ["message:send", "session:set_state"],
        hookRetryDelaysMs: [1],
      },
    });
    const sessionId = await newConversation(sim);
    const path = `${site(sim)}/conversation/${sessionId}`;
    await crispWrite(sim, "PATCH", `${path}/meta`, { body: { nickname: "Ada" } });
    await crispWrite(sim, "POST", `${path}/message`, {
      body: { type: "text", from: "user", origin: "chat", content: "Hi" },
    });
    await crispWrite(sim, "PATCH", `${path}/state`, { body: { state: "resolved" } });
    await sim.hooksIdle();
    expect(sim.hookDeliveries.map((item) => [item.event, item.attempt, item.status])).toEqual([
      ["message:send", 1, 500],
      ["session:set_state", 1, 200],
    ]);
    expect(target.received[0]?.headers["x-delivery-attempt-limit"]).toBe("1");
  });

  test("an attempt that outlasts hookTimeoutMs fails and is retried", async () => {
    // A receiver that accepts connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    onTestFinished(async () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise((resolve) => silent.close(resolve));
    });
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const sim = await fresh({
      hooks: { url: `http://127.0.0.1:${port}/hooks`, kind: "plugin", secret: "s" },
      assumptions: { hookTimeoutMs: 50, hookAttemptLimit: 2, hookRetryDelaysMs: [1] },
    });
    const sessionId = await newConversation(sim);
    await crispWrite(sim, "PATCH", `${site(sim)}/conversation/${sessionId}/state`, {
      body: { state: "resolved" },
    });
    await sim.hooksIdle();
    expect(sim.hookDeliveries.map((item) => [item.attempt, item.status])).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });
});

describe("setting assumptions", () => {
  test("a value outside a knob's contract is refused, naming it, and changes nothing", async () => {
    await expect(startSimulator({ assumptions: { messagesBatch: 0 } })).rejects.toThrow(
      "assumptions.messagesBatch must be a positive integer; received 0",
    );
    const sim = await fresh({ assumptions: { pageSizes: { visitors: 30 } } });
    for (const [input, message] of [
      [
        { pageSizes: { visitors: 2.5 } },
        "assumptions.pageSizes.visitors must be a positive integer",
      ],
      [{ listEndStatus: 204 }, "assumptions.listEndStatus must be one of 200, 206; received 204"],
      [
        { perPageOutOfRange: "reject" },
        'assumptions.perPageOutOfRange must be one of "clamp", "refuse"',
      ],
      [
        { answers: { created: { status: 404, reason: "x" } } },
        "assumptions.answers.created.status",
      ],
      [
        { hookRetryDelaysMs: [-1] },
        "assumptions.hookRetryDelaysMs must be a list of finite delays",
      ],
    ] as const) {
      // The same call also sets a daily quota of 0: applied, it would refuse the next request.
      const knobs = { assumptions: input as unknown as AssumptionsInput, dailyQuota: 0 };
      expect(() => sim.configure(knobs)).toThrow(message);
    }
    expect(sim.assumptions).toEqual({
      ...DEFAULT_ASSUMPTIONS,
      pageSizes: { ...DEFAULT_ASSUMPTIONS.pageSizes, visitors: 30 },
    });
    expect((await crisp(sim, site(sim))).status).toBe(200);
  });
});
