import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import {
  type Simulator,
  type SimulatorOptions,
  startSimulator,
  type WireConnectedWebsite,
  type WireConversation,
  type WireMessage,
  type WireOperator,
  type WirePeopleProfile,
  type WireVisitor,
  type WireVisitorCount,
  type WireWebsite,
} from "../src/simulator/index.js";
import { crisp, crispData } from "./helpers/simulator-client.js";
import { crispWrite } from "./helpers/simulator-write.js";

const FIXTURES = new URL("./fixtures/crisp/", import.meta.url);

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
}

/** Starts a simulator that is closed when the current test ends. */
async function simulatorForTest(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = await startSimulator(options);
  onTestFinished(() => simulator.close());
  return simulator;
}

/** Every key path of a JSON value (arrays: the keys of their first item). */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) {
    return value.length > 0 ? keyPaths(value[0], `${prefix}[]`) : [];
  }
  if (typeof value !== "object" || value === null) {
    return [];
  }
  return Object.entries(value).flatMap(([key, inner]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    return [path, ...keyPaths(inner, path)];
  });
}

let sim: Simulator;
let site: string;
const conversationsPath = (): string => `/website/${site}/conversations`;

beforeAll(async () => {
  sim = await startSimulator({ seed: 1 });
  site = sim.defaultWebsiteId;
});

afterAll(async () => {
  await sim.close();
});

/** Every conversation the list route yields for `query`, page after page. */
async function listAll(query: Record<string, string | number> = {}): Promise<WireConversation[]> {
  const all: WireConversation[] = [];
  for (let page = 1; ; page++) {
    const reply = await crisp<WireConversation[]>(sim, `${conversationsPath()}/${page}`, {
      query: { per_page: 50, ...query },
    });
    expect([200, 206]).toContain(reply.status);
    const data = reply.body?.data ?? [];
    if (data.length === 0) {
      expect(reply.status).toBe(200);
      return all;
    }
    all.push(...data);
  }
}

describe("envelope and statuses", () => {
  test("answers a website with 200 resolved in compact JSON", async () => {
    const reply = await crisp<WireWebsite>(sim, `/website/${site}`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(reply.text).not.toMatch(/\n|": /);
    expect(reply.body?.error).toBe(false);
    expect(reply.body?.reason).toBe("resolved");
    const websiteFixture = fixture("website.json") as { data: object };
    expect(Object.keys(reply.body?.data ?? {})).toEqual(
      expect.arrayContaining(Object.keys(websiteFixture.data)),
    );
    expect(reply.body?.data.website_id).toBe(site);
  });

  test("lists a conversation page with 206 listed and past the end with 200 and []", async () => {
    const first = await crisp<WireConversation[]>(sim, `${conversationsPath()}/1`);
    expect(first.status).toBe(206);
    expect(first.body?.reason).toBe("listed");
    expect(first.body?.data).toHaveLength(20);
    const past = await crisp<WireConversation[]>(sim, `${conversationsPath()}/500`);
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ error: false, reason: "listed", data: [] });
  });

  test("answers HEAD /website?domain with 200 or 404 and no body", async () => {
    const domain = sim.store.website(site)?.domain ?? "";
    const found = await crisp(sim, "/website", { method: "HEAD", query: { domain } });
    expect(found.status).toBe(200);
    expect(found.text).toBe("");
    const missing = await crisp(sim, "/website", {
      method: "HEAD",
      query: { domain: "nowhere.example" },
    });
    expect(missing.status).toBe(404);
    expect(missing.text).toBe("");
  });

  test("answers an unknown route with 404 not_found and a wrong method with 405", async () => {
    const unknown = await crisp(sim, `/website/${site}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: true, reason: "not_found", data: {} });
    const wrongMethod = await crisp(sim, `/website/${site}/conversations/1`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body?.reason).toBe("method_not_allowed");
  });

  test("refuses a page number that is not a positive integer with 400 invalid_data", async () => {
    for (const page of ["0", "-1", "abc", "1.5"]) {
      const reply = await crisp(sim, `${conversationsPath()}/${page}`);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ error: true, reason: "invalid_data", data: {} });
    }
  });
});

describe("conversations", () => {
  test("serve every key of Crisp's published conversation object", async () => {
    const published = fixture("conversation-list.json") as { data: unknown[] };
    const expected = keyPaths(published.data[0]);
    const page = await crispData<WireConversation[]>(sim, `${conversationsPath()}/1`);
    const bound = page.find((item) => item.people_id !== undefined && item.assigned);
    expect(bound).toBeDefined();
    expect(keyPaths(bound)).toEqual(expect.arrayContaining(expected));
    // Every conversation carries the keys Crisp always sends.
    const always = expected.filter(
      (path) =>
        !path.startsWith("people_id") &&
        !path.startsWith("assigned") &&
        !path.startsWith("participants") &&
        path !== "meta.email",
    );
    for (const item of page) {
      expect(keyPaths(item)).toEqual(expect.arrayContaining(always));
      expect(item.status).toBe({ pending: 0, unresolved: 1, resolved: 2 }[item.state]);
    }
  });

  test("clamp per_page to 20..50", async () => {
    const cases: [string, number][] = [
      ["5", 20],
      ["500", 50],
      ["35", 35],
      ["lots", 20],
    ];
    for (const [perPage, size] of cases) {
      const data = await crispData<WireConversation[]>(sim, `${conversationsPath()}/1`, {
        query: { per_page: perPage },
      });
      expect(data).toHaveLength(size);
    }
  });

  test("are ordered by last update, newest first, unless asked otherwise", async () => {
    const byUpdate = await listAll();
    const updated = byUpdate.map((item) => item.updated_at);
    expect(updated).toEqual([...updated].sort((a, b) => b - a));
    const byCreation = (await listAll({ order_date_created: 1 })).map((item) => item.created_at);
    expect(byCreation).toEqual([...byCreation].sort((a, b) => b - a));
    // order_date_waiting lists only the conversations waiting for an answer (Crisp's List
    // Conversations docs), the longest-waiting first.
    const byWaiting = await listAll({ order_date_waiting: 1 });
    const waiting = byUpdate.filter((item) => item.waiting_since !== undefined);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.length).toBeLessThan(byUpdate.length);
    expect(byWaiting.map((item) => item.session_id).sort()).toEqual(
      waiting.map((item) => item.session_id).sort(),
    );
    const since = byWaiting.map((item) => item.waiting_since ?? 0);
    expect(since).toEqual([...since].sort((a, b) => a - b));
  });

  test("hide conversations without messages unless include_empty=1", async () => {
    const stored = sim.store.conversations(site);
    const empty = stored.filter((item) => sim.store.messages(site, item.session_id)?.length === 0);
    expect(empty.length).toBeGreaterThan(0);
    const listed = await listAll();
    expect(listed).toHaveLength(stored.length - empty.length);
    const withEmpty = await listAll({ include_empty: 1 });
    expect(withEmpty).toHaveLength(stored.length);
  });

  test("filter by state, assignment, unread, mention and inbox", async () => {
    const total = (await listAll()).length;
    const resolved = await listAll({ filter_resolved: 1 });
    expect(resolved.length).toBeGreaterThan(0);
    expect(resolved.every((item) => item.state === "resolved")).toBe(true);
    const open = await listAll({ filter_not_resolved: 1 });
    expect(open.every((item) => item.state !== "resolved")).toBe(true);
    expect(resolved.length + open.length).toBe(total);

    const unassigned = await listAll({ filter_unassigned: 1 });
    expect(unassigned.length).toBeGreaterThan(0);
    expect(unassigned.every((item) => item.assigned === undefined)).toBe(true);
    const operator = sim.store.operators(site)[1]?.details.user_id ?? "";
    const assigned = await listAll({ filter_assigned: operator });
    expect(assigned.length).toBeGreaterThan(0);
    expect(assigned.every((item) => item.assigned?.user_id === operator)).toBe(true);

    const unread = await listAll({ filter_unread: 1 });
    expect(unread.length).toBeGreaterThan(0);
    expect(unread.every((item) => (item.unread?.operator ?? 0) > 0)).toBe(true);
    const mentioned = await listAll({ filter_mention: 1 });
    expect(mentioned.length).toBeGreaterThan(0);
    expect(mentioned.every((item) => (item.mentions ?? []).length > 0)).toBe(true);
    const inbox = sim.store.record(site)?.inboxes[0] ?? "";
    const inInbox = await listAll({ filter_inbox_id: inbox });
    expect(inInbox.length).toBeGreaterThan(0);
    expect(inInbox.every((item) => item.inbox_id === inbox)).toBe(true);
  });

  test("filter by update date range, inclusive", async () => {
    const all = await listAll();
    const start = all[40]?.updated_at ?? 0;
    const end = all[10]?.updated_at ?? 0;
    const ranged = await listAll({
      filter_date_start: new Date(start).toISOString(),
      filter_date_end: new Date(end).toISOString(),
    });
    expect(ranged).toHaveLength(31);
    expect(ranged.every((item) => item.updated_at >= start && item.updated_at <= end)).toBe(true);
    const bad = await crisp(sim, `${conversationsPath()}/1`, {
      query: { filter_date_start: "last tuesday" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body?.reason).toBe("invalid_data");
  });

  test("search by segment, by text and by filter", async () => {
    const segment = await listAll({ search_type: "segment", search_query: "vip" });
    expect(segment.length).toBeGreaterThan(0);
    expect(segment.every((item) => item.meta.segments?.includes("vip"))).toBe(true);

    const someone = (await listAll()).find((item) => item.meta.email !== undefined);
    const email = someone?.meta.email ?? "";
    const text = await listAll({ search_type: "text", search_query: email.toUpperCase() });
    expect(text.length).toBeGreaterThan(0);
    expect(text.every((item) => item.meta.email === email)).toBe(true);

    const words = await listAll({ search_query: "invoice" });
    expect(words.length).toBeGreaterThan(0);
    for (const item of words) {
      const messages = sim.store.messages(site, item.session_id) ?? [];
      const haystack = [item.meta.subject, item.last_message, ...messages.map((m) => m.content)];
      expect(haystack.some((value) => typeof value === "string" && /invoice/i.test(value))).toBe(
        true,
      );
    }

    const filter = JSON.stringify([
      { model: "session", criterion: "meta.segments", operator: "eq", query: ["lead"] },
      { model: "session", criterion: "state", operator: "neq", query: ["resolved"] },
    ]);
    const filtered = await listAll({ search_type: "filter", search_query: filter });
    expect(filtered.length).toBeGreaterThan(0);
    expect(
      filtered.every((item) => item.meta.segments?.includes("lead") && item.state !== "resolved"),
    ).toBe(true);
    const either = await listAll({
      search_type: "filter",
      search_operator: "or",
      search_query: filter,
    });
    expect(either.length).toBeGreaterThan(filtered.length);
    const hasEmail = JSON.stringify([
      { model: "session", criterion: "meta.email", operator: "has", query: ["@gmail.com"] },
    ]);
    const gmail = await listAll({ search_type: "filter", search_query: hasEmail });
    expect(gmail.length).toBeGreaterThan(0);
    expect(gmail.every((item) => item.meta.email?.endsWith("@gmail.com"))).toBe(true);
  });

  test("refuse a malformed filter and an over-long search query", async () => {
    for (const searchQuery of ["not json", '{"model":"session"}', '[{"model":"session"}]']) {
      const reply = await crisp(sim, `${conversationsPath()}/1`, {
        query: { search_type: "filter", search_query: searchQuery },
      });
      expect(reply.status).toBe(400);
      expect(reply.body?.reason).toBe("invalid_data");
    }
    const long = await crisp(sim, `${conversationsPath()}/1`, {
      query: { search_query: "x".repeat(501) },
    });
    expect(long.status).toBe(400);
    expect(long.body).toEqual(fixture("error-search-query-too-long.json"));
  });

  test("resolve one conversation and answer 404 session_not_found otherwise", async () => {
    const first = sim.store.conversations(site)[0];
    const one = await crisp<WireConversation>(
      sim,
      `/website/${site}/conversation/${first?.session_id}`,
    );
    expect(one.status).toBe(200);
    expect(one.body?.reason).toBe("resolved");
    expect(one.body?.data).toEqual(first);
    for (const id of ["session_00000000-0000-4000-8000-000000000000", "not-a-session"]) {
      const missing = await crisp(sim, `/website/${site}/conversation/${id}`);
      expect(missing.status).toBe(404);
      expect(missing.body?.reason).toBe("session_not_found");
    }
  });
});

describe("messages", () => {
  test("page back with timestamp_before to the oldest message, 206 then 200", async () => {
    const long = sim.store
      .conversations(site)
      .find((item) => (sim.store.messages(site, item.session_id)?.length ?? 0) > 80);
    const path = `/website/${site}/conversation/${long?.session_id}/messages`;
    const stored = sim.store.messages(site, long?.session_id ?? "") ?? [];
    const collected: WireMessage[] = [];
    const statuses: number[] = [];
    let before: number | undefined;
    for (;;) {
      const reply = await crisp<WireMessage[]>(sim, path, {
        query: before === undefined ? {} : { timestamp_before: before },
      });
      statuses.push(reply.status);
      expect(reply.body?.reason).toBe("resolved");
      const batch = reply.body?.data ?? [];
      expect(batch.length).toBeLessThanOrEqual(40);
      const stamps = batch.map((message) => message.timestamp);
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
      collected.unshift(...batch);
      if (reply.status === 200) {
        break;
      }
      before = batch[0]?.timestamp;
    }
    expect(statuses.slice(0, -1).every((status) => status === 206)).toBe(true);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.length).toBe(Math.ceil(stored.length / 40));
    const fingerprints = collected.map((message) => message.fingerprint);
    expect(new Set(fingerprints).size).toBe(stored.length);
    expect(collected).toEqual(stored);
  });

  test("answer 200 for a conversation that fits in one batch", async () => {
    const short = sim.store
      .conversations(site)
      .find((item) => (sim.store.messages(site, item.session_id)?.length ?? 0) === 3);
    const reply = await crisp<WireMessage[]>(
      sim,
      `/website/${site}/conversation/${short?.session_id}/messages`,
    );
    expect(reply.status).toBe(200);
    expect(reply.body?.data).toHaveLength(3);
  });

  test("refuse a non-numeric timestamp_before with 400 invalid_data", async () => {
    const first = sim.store.conversations(site)[0];
    const reply = await crisp(sim, `/website/${site}/conversation/${first?.session_id}/messages`, {
      query: { timestamp_before: "yesterday" },
    });
    expect(reply.status).toBe(400);
    expect(reply.body?.reason).toBe("invalid_data");
  });

  test("cover every message type and both senders, with unique fingerprints", () => {
    const messages = sim.store
      .conversations(site)
      .flatMap((item) => sim.store.messages(site, item.session_id) ?? []);
    const types = new Set(messages.map((message) => message.type));
    expect([...types].sort()).toEqual(
      ["animation", "audio", "carousel", "event", "field", "file", "note", "picker", "text"].sort(),
    );
    expect(new Set(messages.map((message) => message.from))).toEqual(new Set(["user", "operator"]));
    const fingerprints = messages.map((message) => message.fingerprint);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    expect(fingerprints.every((value) => Number.isSafeInteger(value) && value > 1e14)).toBe(true);
    for (const message of messages.filter((item) => item.from === "operator")) {
      expect(message.user?.type).toBe("website");
    }
  });

  test("resolve one message by fingerprint and answer 404 message_not_found otherwise", async () => {
    const first = sim.store.conversations(site)[0];
    const message = sim.store.messages(site, first?.session_id ?? "")?.[2];
    const base = `/website/${site}/conversation/${first?.session_id}/message`;
    const one = await crisp<WireMessage>(sim, `${base}/${message?.fingerprint}`);
    expect(one.status).toBe(200);
    expect(one.body?.data).toEqual(message);
    for (const fingerprint of ["123", "abc"]) {
      const missing = await crisp(sim, `${base}/${fingerprint}`);
      expect(missing.status).toBe(404);
      expect(missing.body?.reason).toBe("message_not_found");
    }
  });
});

describe("people", () => {
  test("list profiles newest first with per_page, search and sorting", async () => {
    const first = await crisp<WirePeopleProfile[]>(sim, `/website/${site}/people/profiles/1`);
    expect(first.status).toBe(206);
    expect(first.body?.reason).toBe("listed");
    const created = (first.body?.data ?? []).map((item) => item.created_at ?? 0);
    expect(created).toHaveLength(20);
    expect(created).toEqual([...created].sort((a, b) => b - a));

    const big = await crispData<WirePeopleProfile[]>(sim, `/website/${site}/people/profiles/1`, {
      query: { per_page: 50, sort_field: "nickname", sort_order: "ascending" },
    });
    const names = big.map((item) => item.person?.nickname?.toLowerCase() ?? "");
    expect(names).toHaveLength(50);
    expect(names).toEqual([...names].sort());

    const company = big[0]?.company?.name ?? "";
    const found = await crispData<WirePeopleProfile[]>(sim, `/website/${site}/people/profiles/1`, {
      query: { search_text: company.toLowerCase(), per_page: 50 },
    });
    expect(found.length).toBeGreaterThan(0);
    expect(
      found.every((item) =>
        [item.email, item.person?.nickname, item.company?.name].some((value) =>
          value?.toLowerCase().includes(company.toLowerCase()),
        ),
      ),
    ).toBe(true);

    const past = await crisp(sim, `/website/${site}/people/profiles/99`);
    expect(past.status).toBe(200);
    expect(past.body?.data).toEqual([]);
  });

  test("resolve a profile by id or email and answer 404 people_not_found otherwise", async () => {
    const profile = sim.store.people(site)[0];
    const byId = await crisp<WirePeopleProfile>(
      sim,
      `/website/${site}/people/profile/${profile?.people_id}`,
    );
    expect(byId.status).toBe(200);
    expect(byId.body?.data).toEqual(profile);
    const byEmail = await crispData<WirePeopleProfile>(
      sim,
      `/website/${site}/people/profile/${encodeURIComponent(profile?.email ?? "")}`,
    );
    expect(byEmail.people_id).toBe(profile?.people_id);
    const missing = await crisp(
      sim,
      `/website/${site}/people/profile/00000000-0000-4000-8000-000000000000`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body?.reason).toBe("people_not_found");
  });

  test("list a person's conversations as session ids, newest first", async () => {
    const counts = new Map<string, number>();
    for (const item of sim.store.conversations(site)) {
      if (item.people_id !== undefined) {
        counts.set(item.people_id, (counts.get(item.people_id) ?? 0) + 1);
      }
    }
    expect(counts.size).toBeLessThan(sim.store.conversations(site).length);
    const [busiest] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    const path = `/website/${site}/people/conversations/${busiest?.[0]}/list`;
    const reply = await crisp<string[]>(sim, `${path}/1`);
    expect(reply.status).toBe(206);
    const sessions = reply.body?.data ?? [];
    expect(sessions.length).toBe(Math.min(20, busiest?.[1] ?? 0));
    for (const sessionId of sessions) {
      expect(sim.store.conversation(site, sessionId)?.people_id).toBe(busiest?.[0]);
    }
    const unknown = await crisp(
      sim,
      `/website/${site}/people/conversations/00000000-0000-4000-8000-000000000000/list/1`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body?.reason).toBe("people_not_found");
  });
});

describe("visitors and operators", () => {
  test("list visitors by 20 and count them consistently", async () => {
    const first = await crisp<WireVisitor[]>(sim, `/website/${site}/visitors/list/1`);
    const second = await crisp<WireVisitor[]>(sim, `/website/${site}/visitors/list/2`);
    const third = await crisp<WireVisitor[]>(sim, `/website/${site}/visitors/list/3`);
    expect([first.status, second.status, third.status]).toEqual([206, 206, 200]);
    const visitors = [...(first.body?.data ?? []), ...(second.body?.data ?? [])];
    expect(first.body?.data).toHaveLength(20);
    const count = await crispData<WireVisitorCount>(sim, `/website/${site}/visitors/count`);
    expect(count).toEqual({
      count: visitors.length,
      active: visitors.filter((visitor) => visitor.active).length,
      limited: false,
    });
    const initiated = visitors.filter((visitor) => visitor.initiated);
    expect(initiated.length).toBeGreaterThan(0);
    for (const visitor of initiated) {
      expect(sim.store.conversation(site, visitor.session_id)).toBeDefined();
    }
  });

  test("list operators with their details", async () => {
    const reply = await crisp<WireOperator[]>(sim, `/website/${site}/operators/list`);
    expect(reply.status).toBe(200);
    expect(reply.body?.reason).toBe("resolved");
    const operators = reply.body?.data ?? [];
    expect(operators.length).toBeGreaterThanOrEqual(4);
    expect(operators.length).toBeLessThanOrEqual(7);
    for (const operator of operators) {
      expect(operator.type).toBe("website");
      expect(Object.keys(operator.details).sort()).toEqual(
        [
          "availability",
          "avatar",
          "email",
          "first_name",
          "has_token",
          "last_name",
          "role",
          "title",
          "user_id",
        ].sort(),
      );
    }
    expect(operators.filter((item) => item.details.role === "owner")).toHaveLength(1);
  });
});

describe("plugin connect", () => {
  test("lists the websites the plugin token reaches, with plans on request", async () => {
    const reply = await crisp<WireConnectedWebsite[]>(sim, "/plugin/connect/websites/all/1");
    expect(reply.status).toBe(206);
    const websites = reply.body?.data ?? [];
    expect(websites.map((item) => item.website_id)).toEqual(
      sim.store.websites.slice(0, -1).map((item) => item.website_id),
    );
    expect(websites.every((item) => item.plan === undefined)).toBe(true);
    const withPlan = await crispData<WireConnectedWebsite[]>(
      sim,
      "/plugin/connect/websites/all/1",
      { query: { include_plan: 1 } },
    );
    expect(withPlan.every((item) => typeof item.plan?.name === "string")).toBe(true);
    const configured = await crispData<WireConnectedWebsite[]>(
      sim,
      "/plugin/connect/websites/all/1",
      { query: { filter_configured: 1 } },
    );
    expect(configured.some((item) => item.website_id === site)).toBe(true);
    expect(configured.every((item) => Object.keys(item.settings).length > 0)).toBe(true);
    const past = await crisp(sim, "/plugin/connect/websites/all/2");
    expect(past.status).toBe(200);
    expect(past.body?.data).toEqual([]);
  });

  test("refuses the user token with 401 restricted_route_tier", async () => {
    const user = sim.tokens.find((token) => token.tier === "user");
    const reply = await crisp(sim, "/plugin/connect/websites/all/1", { auth: user ?? null });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ error: true, reason: "restricted_route_tier", data: {} });
  });
});

describe("authentication and access", () => {
  test("refuses a missing header, a wrong key and a wrong tier with 401 invalid_session", async () => {
    const { identifier, key } = sim.credentials;
    const attempts = [
      null,
      { identifier, key: `${key.slice(0, -1)}0`, tier: "plugin" },
      { identifier, key, tier: "user" },
      { identifier, key, tier: "" },
    ];
    for (const auth of attempts) {
      const reply = await crisp(sim, `/website/${site}`, { auth });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ error: true, reason: "invalid_session", data: {} });
    }
  });

  test("answers 404 not_subscribed for a website without the plugin", async () => {
    const last = sim.store.websites.at(-1);
    const reply = await crisp(sim, `/website/${last?.website_id}/conversations/1`);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual(fixture("error-not-subscribed.json"));
    const user = sim.tokens.find((token) => token.tier === "user");
    const asUser = await crisp(sim, `/website/${last?.website_id}`, { auth: user ?? null });
    expect(asUser.status).toBe(200);
  });

  test("answers 404 website_not_found for a website that does not exist", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const reply = await crisp(sim, `/website/${id}`);
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(fixture("error-website-not-found.json"));
    }
  });
});

describe("determinism", () => {
  test("serves identical data for the same seed and different data for another", async () => {
    const twin = await simulatorForTest({ seed: 1 });
    const other = await simulatorForTest({ seed: 2 });
    expect(twin.credentials).toEqual(sim.credentials);
    expect(twin.defaultWebsiteId).toBe(site);
    const paths = [
      `/website/${site}/conversations/3`,
      `/website/${site}/people/profiles/2`,
      `/website/${site}/visitors/list/1`,
    ];
    for (const path of paths) {
      expect((await crisp(twin, path)).text).toBe((await crisp(sim, path)).text);
    }
    const first = sim.store.conversations(site)[0]?.session_id;
    const messages = `/website/${site}/conversation/${first}/messages`;
    expect((await crisp(twin, messages)).text).toBe((await crisp(sim, messages)).text);
    expect(other.defaultWebsiteId).not.toBe(site);
    expect(other.credentials.key).not.toBe(sim.credentials.key);
  });

  test("seeds a simulator quickly", async () => {
    const started = performance.now();
    await simulatorForTest({ seed: 7 });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("knobs", () => {
  test("latency delays every answer", async () => {
    const slow = await simulatorForTest({ latencyMs: 150 });
    const started = performance.now();
    const reply = await crisp(slow, `/website/${slow.defaultWebsiteId}`);
    expect(reply.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test("latency is a round trip: a request is handled halfway, its answer leaves at the end", async () => {
    const slow = await simulatorForTest({ latencyMs: 400 });
    const W = slow.defaultWebsiteId;
    const session = slow.store.listConversations(W, {})[0]?.session_id ?? "";
    const state =
      slow.store.conversation(W, session)?.state === "resolved" ? "pending" : "resolved";
    // As the write is applied (its event is emitted then), a read is sent: it arrives while the
    // write's answer is still travelling. Handled only at the end, the write would be answered
    // in the same turn, before any other request could arrive.
    let read: Promise<unknown> | undefined;
    const stop = slow.onEvent(() => {
      stop();
      read = crisp(slow, `/website/${W}`);
    });
    const write = await crispWrite(slow, "PATCH", `/website/${W}/conversation/${session}/state`, {
      body: { state },
    });
    await read;
    expect(write.status).toBe(200);
    const [patched, got] = slow.requests;
    expect(got?.method).toBe("GET");
    expect(got?.arrived ?? 0).toBeLessThan(patched?.answered ?? 0);
    expect(slow.store.conversation(W, session)?.state).toBe(state);
  });

  test("an error rate of 1 answers the injected status on matching routes only", async () => {
    const flaky = await simulatorForTest({
      errors: { status: 503, rate: 1, match: /\/conversations\// },
    });
    const base = `/website/${flaky.defaultWebsiteId}`;
    const failed = await crisp(flaky, `${base}/conversations/1`);
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ error: true, reason: "service_unavailable", data: {} });
    expect((await crisp(flaky, base)).status).toBe(200);
    flaky.configure({ errors: { status: 402, rate: 1 } });
    const upgrade = await crisp(flaky, base);
    expect(upgrade.status).toBe(402);
    expect(upgrade.body).toEqual(fixture("error-subscription-upgrade-required.json"));
    flaky.configure({ errors: { status: 500, rate: 1, reason: "boom" } });
    expect((await crisp(flaky, base)).body?.reason).toBe("boom");
  });

  test("a partial error rate fails the same requests on every run", async () => {
    const statuses = async (): Promise<number[]> => {
      const flaky = await simulatorForTest({ errors: { status: 500, rate: 0.5 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        out.push((await crisp(flaky, `/website/${flaky.defaultWebsiteId}`)).status);
      }
      return out;
    };
    const first = await statuses();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await statuses()).toEqual(first);
  });

  test("the rate limit answers 429 past N requests in the window, or 420 when asked", async () => {
    const limited = await simulatorForTest({ rateLimit: { requests: 3, windowMs: 60_000 } });
    const path = `/website/${limited.defaultWebsiteId}`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await crisp(limited, path)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await crisp(limited, path)).headers.get("retry-after")).toBeNull();
    // Another token has its own window.
    const user = limited.tokens.find((token) => token.tier === "user");
    expect((await crisp(limited, path, { auth: user ?? null })).status).toBe(200);
    limited.configure({ rateLimit: { requests: 3, windowMs: 60_000, status: 420 } });
    const calm = await crisp(limited, path);
    expect(calm.status).toBe(420);
    expect(calm.body?.reason).toBe("rate_limited");
    limited.configure({ rateLimit: null });
    expect((await crisp(limited, path)).status).toBe(200);
  });

  test("the daily quota answers 423 quota_limit_exceeded until resetQuota", async () => {
    const quota = await simulatorForTest({ dailyQuota: 2 });
    const path = `/website/${quota.defaultWebsiteId}`;
    expect((await crisp(quota, path)).status).toBe(200);
    expect((await crisp(quota, path)).status).toBe(200);
    const refused = await crisp(quota, path);
    expect(refused.status).toBe(423);
    expect(refused.body).toEqual(fixture("error-quota-limit-exceeded.json"));
    quota.resetQuota();
    expect((await crisp(quota, path)).status).toBe(200);
  });

  test("the request log records method, path, query, status and reason", async () => {
    const logged = await simulatorForTest();
    const base = `/website/${logged.defaultWebsiteId}`;
    await crisp(logged, `${base}/conversations/1`, { query: { per_page: 30 } });
    await crisp(logged, base, { auth: null });
    await crisp(logged, "/website", { method: "HEAD", query: { domain: "nowhere.example" } });
    // One after the other: each arrived after the answer before it, on one sequence.
    expect(logged.requests.flatMap((request) => [request.arrived, request.answered])).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(
      logged.requests.map(({ at: _at, arrived: _arrived, answered: _answered, ...rest }) => rest),
    ).toEqual([
      {
        method: "GET",
        path: `${base}/conversations/1`,
        query: { per_page: "30" },
        url: `${base}/conversations/1?per_page=30`,
        status: 206,
        reason: "listed",
        tier: "plugin",
      },
      {
        method: "GET",
        path: base,
        query: {},
        url: base,
        status: 401,
        reason: "invalid_session",
        tier: null,
      },
      {
        method: "HEAD",
        path: "/website",
        query: { domain: "nowhere.example" },
        url: "/website?domain=nowhere.example",
        status: 404,
        reason: "website_not_found",
        tier: "plugin",
      },
    ]);
    logged.clearRequests();
    expect(logged.requests).toEqual([]);
  });

  test("close ends keep-alive connections", async () => {
    const closing = await startSimulator();
    await crisp(closing, `/website/${closing.defaultWebsiteId}`);
    await closing.close();
    await expect(fetch(`${closing.url}/website/${closing.defaultWebsiteId}`)).rejects.toThrow();
  });
});
