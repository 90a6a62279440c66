import { readFileSync } from "node:fs";
import { describe, expect, onTestFinished, test } from "vitest";
import {
  SEED_ANCHOR,
  type Simulator,
  type SimulatorEvent,
  type SimulatorOptions,
  startSimulator,
  type WireConversation,
  type WireMessage,
  type WireOperator,
  type WirePeopleProfile,
  type WireWebsite,
} from "../src/simulator/index.js";
import { crisp, crispData } from "./helpers/simulator-client.js";
import {
  crispWrite,
  newConversation,
  recordEvents,
  userToken,
  websitePath,
} from "./helpers/simulator-write.js";

/** A fixed clock: the write clock then hands out T, T+1, T+2... so timestamps are exact. */
const T = SEED_ANCHOR + 20 * 86_400_000;

/** A fresh simulator (writes change it), closed when the current test ends. */
async function fresh(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = await startSimulator(options);
  onTestFinished(() => simulator.close());
  return simulator;
}

async function conversation(simulator: Simulator, sessionId: string): Promise<WireConversation> {
  return crispData<WireConversation>(
    simulator,
    `${websitePath(simulator)}/conversation/${sessionId}`,
  );
}

async function firstPage(
  simulator: Simulator,
  query: Record<string, string | number> = {},
): Promise<WireConversation[]> {
  return crispData<WireConversation[]>(simulator, `${websitePath(simulator)}/conversations/1`, {
    query,
  });
}

async function messages(simulator: Simulator, sessionId: string): Promise<WireMessage[]> {
  return crispData<WireMessage[]>(
    simulator,
    `${websitePath(simulator)}/conversation/${sessionId}/messages`,
  );
}

function text(content: string, from: "user" | "operator" = "operator"): Record<string, unknown> {
  return { type: "text", from, origin: "chat", content };
}

/** A seeded conversation with messages (empty ones stay out of the default list). */
function seeded(
  simulator: Simulator,
  predicate: (item: WireConversation) => boolean = () => true,
): string {
  const site = simulator.defaultWebsiteId;
  const found = simulator.store
    .conversations(site)
    .find(
      (item) =>
        predicate(item) && (simulator.store.messages(site, item.session_id) ?? []).length > 3,
    );
  if (found === undefined) {
    throw new Error("seeded() found no conversation matching the predicate");
  }
  return found.session_id;
}

const MISSING_SESSION = "session_00000000-0000-4000-8000-000000000000";
const MISSING_PEOPLE = "00000000-0000-4000-8000-000000000000";

describe("POST /website and DELETE /website/{id}", () => {
  test("creates a website with 201 added that the user token then reads", async () => {
    const sim = await fresh();
    const user = userToken(sim);
    const reply = await crispWrite<{ website_id: string }>(sim, "POST", "/website", {
      body: { name: "Acme", domain: "acme.example" },
      auth: user,
    });
    expect(reply.status).toBe(201);
    expect(reply.body?.reason).toBe("added");
    const websiteId = reply.body?.data.website_id ?? "";
    expect(Object.keys(reply.body?.data ?? {})).toEqual(["website_id"]);
    expect(websiteId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const website = await crispData<WireWebsite>(sim, `/website/${websiteId}`, { auth: user });
    expect(website).toMatchObject({ website_id: websiteId, name: "Acme", domain: "acme.example" });
    expect(sim.tokens.find((token) => token.tier === "user")?.websiteIds).toContain(websiteId);
    const found = await crisp(sim, "/website", {
      method: "HEAD",
      query: { domain: "acme.example" },
    });
    expect(found.status).toBe(200);
    // The plugin has not been installed on it.
    expect((await crisp(sim, `/website/${websiteId}`)).body?.reason).toBe("not_subscribed");
    const empty = await crisp(sim, `/website/${websiteId}/conversations/1`, { auth: user });
    expect(empty.body).toEqual({ error: false, reason: "listed", data: [] });
  });

  test("refuses website creation and deletion to a plugin token with 401", async () => {
    const sim = await fresh();
    const created = await crispWrite(sim, "POST", "/website", {
      body: { name: "Acme", domain: "acme.example" },
    });
    expect(created.status).toBe(401);
    expect(created.body).toEqual({ error: true, reason: "restricted_route_tier", data: {} });
    const removed = await crispWrite(sim, "DELETE", websitePath(sim), {
      body: { verify: { method: "password", secret: "demo-password" } },
    });
    expect(removed.status).toBe(401);
    expect(removed.body?.reason).toBe("restricted_route_tier");
    expect(sim.store.websites).toHaveLength(4);
  });

  test("refuses a missing or empty name and an invalid domain with 400 and a message", async () => {
    const sim = await fresh();
    const cases: [unknown, string][] = [
      [{ domain: "acme.example" }, "name"],
      [{ name: "  ", domain: "acme.example" }, "name"],
      [{ name: "Acme", domain: "not a domain" }, "domain"],
      [{ name: "Acme", domain: "localhost" }, "domain"],
      [{ name: "Acme" }, "domain"],
      [{ name: "Acme", domain: "acme.example", plan: "free" }, "plan"],
      [["Acme"], "body"],
      [{ raw: "{nope" }, "JSON"],
    ];
    for (const [body, field] of cases) {
      const reply = await crispWrite<{ message: string }>(sim, "POST", "/website", {
        body,
        auth: userToken(sim),
      });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body?.reason).toBe("invalid_data");
      expect(reply.body?.data.message).toContain(field);
    }
    expect(sim.store.websites).toHaveLength(4);
  });

  test("deletes a website with the account password, after which reads answer 404", async () => {
    const sim = await fresh({ accountPassword: "s3cret" });
    const user = userToken(sim);
    const site = websitePath(sim);
    const wrong = await crispWrite(sim, "DELETE", site, {
      body: { verify: { method: "password", secret: "demo-password" } },
      auth: user,
    });
    expect(wrong.status).toBe(423);
    expect(wrong.body).toEqual({ error: true, reason: "password_unverified", data: {} });
    for (const body of [
      undefined,
      { verify: "s3cret" },
      { verify: { method: "sms", secret: "s3cret" } },
      { verify: { method: "password" } },
    ]) {
      const malformed = await crispWrite(sim, "DELETE", site, { body, auth: user });
      expect(malformed.status, JSON.stringify(body)).toBe(400);
      expect(malformed.body?.reason).toBe("invalid_data");
    }
    expect((await crisp(sim, site)).status).toBe(200);
    const removed = await crispWrite(sim, "DELETE", site, {
      body: { verify: { method: "token", secret: "s3cret" } },
      auth: user,
    });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ error: false, reason: "deleted", data: {} });
    for (const auth of [user, sim.credentials]) {
      const gone = await crisp(sim, `${site}/conversations/1`, { auth });
      expect(gone.status).toBe(404);
      expect(gone.body?.reason).toBe("website_not_found");
    }
    expect(sim.tokens.every((token) => !token.websiteIds.includes(sim.defaultWebsiteId))).toBe(
      true,
    );
    const again = await crispWrite(sim, "DELETE", site, {
      body: { verify: { method: "password", secret: "s3cret" } },
      auth: user,
    });
    expect(again.body?.reason).toBe("website_not_found");
  });
});

describe("conversations", () => {
  test("creates an empty pending conversation, listed only with include_empty", async () => {
    const sim = await fresh();
    const reply = await crispWrite<{ session_id: string }>(
      sim,
      "POST",
      `${websitePath(sim)}/conversation`,
    );
    expect(reply.status).toBe(201);
    expect(reply.body?.reason).toBe("added");
    const sessionId = reply.body?.data.session_id ?? "";
    expect(sessionId).toMatch(/^session_[0-9a-f-]{36}$/);
    const created = await conversation(sim, sessionId);
    expect(created).toMatchObject({
      session_id: sessionId,
      website_id: sim.defaultWebsiteId,
      state: "pending",
      status: 0,
      unread: { operator: 0, visitor: 0 },
    });
    expect(created.meta.nickname).toMatch(/^visitor\d{6}$/);
    expect(created.assigned).toBeUndefined();
    expect(await messages(sim, sessionId)).toEqual([]);
    const listed = (await firstPage(sim)).map((item) => item.session_id);
    expect(listed).not.toContain(sessionId);
    const withEmpty = await firstPage(sim, { include_empty: 1 });
    expect(withEmpty[0]?.session_id).toBe(sessionId);
  });

  test("removes a conversation with 200 deleted, then answers 404 session_not_found", async () => {
    const sim = await fresh();
    const sessionId = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id ?? "";
    const path = `${websitePath(sim)}/conversation/${sessionId}`;
    const removed = await crispWrite(sim, "DELETE", path);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ error: false, reason: "deleted", data: {} });
    for (const read of [path, `${path}/messages`]) {
      const gone = await crisp(sim, read);
      expect(gone.status).toBe(404);
      expect(gone.body?.reason).toBe("session_not_found");
    }
    const all = await firstPage(sim, { include_empty: 1, per_page: 50 });
    expect(all.map((item) => item.session_id)).not.toContain(sessionId);
    for (const id of [sessionId, MISSING_SESSION, "nope"]) {
      const again = await crispWrite(sim, "DELETE", `${websitePath(sim)}/conversation/${id}`);
      expect(again.status).toBe(404);
      expect(again.body).toEqual({ error: true, reason: "session_not_found", data: {} });
    }
  });

  test("changes state and status, bumps updated_at and lists it under filter_resolved", async () => {
    const sim = await fresh({ now: () => T });
    const sessionId = seeded(sim, (item) => item.state === "unresolved");
    const before = await conversation(sim, sessionId);
    const reply = await crispWrite(
      sim,
      "PATCH",
      `${websitePath(sim)}/conversation/${sessionId}/state`,
      {
        body: { state: "resolved" },
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ error: false, reason: "updated", data: {} });
    const after = await conversation(sim, sessionId);
    expect(after).toMatchObject({ state: "resolved", status: 2, updated_at: T });
    expect(after.updated_at).toBeGreaterThan(before.updated_at);
    expect((await firstPage(sim, { filter_resolved: 1 }))[0]?.session_id).toBe(sessionId);
    const notResolved = await firstPage(sim, { filter_not_resolved: 1, per_page: 50 });
    expect(notResolved.map((item) => item.session_id)).not.toContain(sessionId);
    await crispWrite(sim, "PATCH", `${websitePath(sim)}/conversation/${sessionId}/state`, {
      body: { state: "pending" },
    });
    expect(await conversation(sim, sessionId)).toMatchObject({
      state: "pending",
      status: 0,
      updated_at: T + 1,
    });
  });

  test("refuses an unknown state with 400 and an unknown conversation with 404", async () => {
    const sim = await fresh();
    const sessionId = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id ?? "";
    const before = await conversation(sim, sessionId);
    for (const body of [{ state: "closed" }, {}, { state: 2 }, "resolved", undefined]) {
      const reply = await crispWrite<{ message: string }>(
        sim,
        "PATCH",
        `${websitePath(sim)}/conversation/${sessionId}/state`,
        { body },
      );
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body?.reason).toBe("invalid_data");
    }
    expect(await conversation(sim, sessionId)).toEqual(before);
    const missing = await crispWrite(
      sim,
      "PATCH",
      `${websitePath(sim)}/conversation/${MISSING_SESSION}/state`,
      {
        body: { state: "resolved" },
      },
    );
    expect(missing.status).toBe(404);
    expect(missing.body?.reason).toBe("session_not_found");
  });

  test("assigns an operator, listed under filter_assigned, and unassigns with null", async () => {
    const sim = await fresh();
    const operators = await crispData<WireOperator[]>(sim, `${websitePath(sim)}/operators/list`);
    const userId = operators[1]?.details.user_id ?? "";
    const sessionId = seeded(sim, (item) => item.assigned === undefined);
    const path = `${websitePath(sim)}/conversation/${sessionId}/routing`;
    const assigned = await crispWrite(sim, "PATCH", path, {
      body: { assigned: { user_id: userId } },
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toEqual({ error: false, reason: "updated", data: {} });
    expect((await conversation(sim, sessionId)).assigned).toEqual({ user_id: userId });
    const mine = await firstPage(sim, { filter_assigned: userId });
    expect(mine[0]?.session_id).toBe(sessionId);
    expect(mine.every((item) => item.assigned?.user_id === userId)).toBe(true);

    const unassigned = await crispWrite(sim, "PATCH", path, { body: { assigned: null } });
    expect(unassigned.status).toBe(200);
    const after = await conversation(sim, sessionId);
    expect("assigned" in after).toBe(false);
    expect((await firstPage(sim, { filter_unassigned: 1 }))[0]?.session_id).toBe(sessionId);
    const stillMine = await firstPage(sim, { filter_assigned: userId, per_page: 50 });
    expect(stillMine.map((item) => item.session_id)).not.toContain(sessionId);
  });

  test("refuses routing to an unknown operator or a malformed body with 400", async () => {
    const sim = await fresh();
    const sessionId = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id ?? "";
    const path = `${websitePath(sim)}/conversation/${sessionId}/routing`;
    for (const body of [
      { assigned: { user_id: MISSING_PEOPLE } },
      { assigned: { user_id: 7 } },
      { assigned: "someone" },
      {},
    ]) {
      const reply = await crispWrite<{ message: string }>(sim, "PATCH", path, { body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body?.reason).toBe("invalid_data");
      expect(reply.body?.data.message).toContain("assigned");
    }
    const missing = await crispWrite(
      sim,
      "PATCH",
      `${websitePath(sim)}/conversation/${MISSING_SESSION}/routing`,
      {
        body: { assigned: null },
      },
    );
    expect(missing.body?.reason).toBe("session_not_found");
  });

  test("merges meta fields, keeping the others, and the reads and searches see them", async () => {
    const sim = await fresh();
    const sessionId = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id ?? "";
    const before = await conversation(sim, sessionId);
    const reply = await crispWrite(
      sim,
      "PATCH",
      `${websitePath(sim)}/conversation/${sessionId}/meta`,
      {
        body: {
          nickname: "Ada Lovelace",
          email: "ada@example.com",
          segments: ["vip-writes"],
          data: { plan: "gold" },
        },
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ error: false, reason: "updated", data: {} });
    const after = await conversation(sim, sessionId);
    expect(after.meta).toEqual({
      ...before.meta,
      nickname: "Ada Lovelace",
      email: "ada@example.com",
      segments: ["vip-writes"],
      data: { plan: "gold" },
    });
    const bySegment = await firstPage(sim, { search_type: "segment", search_query: "vip-writes" });
    expect(bySegment.map((item) => item.session_id)).toEqual([sessionId]);
    const byText = await firstPage(sim, { search_query: "Ada Lovelace" });
    expect(byText.map((item) => item.session_id)).toContain(sessionId);
  });

  test("refuses an invalid meta email or wrong types with 400 naming the field", async () => {
    const sim = await fresh();
    const sessionId = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id ?? "";
    const path = `${websitePath(sim)}/conversation/${sessionId}/meta`;
    const before = await conversation(sim, sessionId);
    const cases: [unknown, string][] = [
      [{ email: "not-an-email" }, "email"],
      [{ nickname: 42 }, "nickname"],
      [{ segments: "vip" }, "segments"],
      [{ segments: [1, 2] }, "segments"],
      [{ data: ["a"] }, "data"],
      [{ phone: null }, "phone"],
      [{ colour: "red" }, "colour"],
    ];
    for (const [body, field] of cases) {
      const reply = await crispWrite<{ message: string }>(sim, "PATCH", path, { body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body?.reason).toBe("invalid_data");
      expect(reply.body?.data.message).toContain(field);
    }
    expect(await conversation(sim, sessionId)).toEqual(before);
    const missing = await crispWrite(
      sim,
      "PATCH",
      `${websitePath(sim)}/conversation/${MISSING_SESSION}/meta`,
      {
        body: { nickname: "x" },
      },
    );
    expect(missing.status).toBe(404);
  });
});

describe("messages", () => {
  test("sends a message with 202 dispatched; the messages list and the conversation see it", async () => {
    const sim = await fresh({ now: () => T });
    const sessionId = seeded(sim);
    const before = await conversation(sim, sessionId);
    const reply = await crispWrite<{ fingerprint: number }>(
      sim,
      "POST",
      `${websitePath(sim)}/conversation/${sessionId}/message`,
      { body: { ...text("Hello from the API", "operator"), user: { nickname: "Bot" } } },
    );
    expect(reply.status).toBe(202);
    expect(reply.body?.reason).toBe("dispatched");
    const fingerprint = reply.body?.data.fingerprint ?? 0;
    expect(Object.keys(reply.body?.data ?? {})).toEqual(["fingerprint"]);
    expect(Number.isSafeInteger(fingerprint) && fingerprint > 0).toBe(true);

    const list = await messages(sim, sessionId);
    const last = list.at(-1);
    expect(last).toMatchObject({
      session_id: sessionId,
      website_id: sim.defaultWebsiteId,
      type: "text",
      from: "operator",
      origin: "chat",
      content: "Hello from the API",
      fingerprint,
      timestamp: T,
      edited: false,
      user: { nickname: "Bot", user_id: sim.credentials.identifier },
    });
    expect((last?.timestamp ?? 0) > (list.at(-2)?.timestamp ?? 0)).toBe(true);
    const one = await crispData<WireMessage>(
      sim,
      `${websitePath(sim)}/conversation/${sessionId}/message/${fingerprint}`,
    );
    expect(one).toEqual(last);

    const after = await conversation(sim, sessionId);
    expect(after.last_message).toBe("Hello from the API");
    expect(after.updated_at).toBe(T);
    expect(after.unread?.visitor).toBe((before.unread?.visitor ?? 0) + 1);
    expect((await firstPage(sim))[0]?.session_id).toBe(sessionId);
  });

  test("a visitor message counts as unread for operators and makes the conversation wait", async () => {
    const sim = await fresh();
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    await crispWrite(sim, "POST", path, { body: text("Hi, anyone?", "user") });
    await crispWrite(sim, "POST", path, { body: text("Hello?", "user") });
    const waiting = await conversation(sim, sessionId);
    expect(waiting.unread).toEqual({ operator: 2, visitor: 0 });
    expect(waiting.waiting_since).toBeTypeOf("number");
    const [first, second] = await messages(sim, sessionId);
    expect(first?.user).toEqual({ nickname: waiting.meta.nickname, user_id: sessionId });
    expect((second?.timestamp ?? 0) > (first?.timestamp ?? 0)).toBe(true);
    expect(first?.fingerprint).not.toBe(second?.fingerprint);
    // Now it has messages, the default list shows it, and the unread filter too.
    expect((await firstPage(sim))[0]?.session_id).toBe(sessionId);
    expect((await firstPage(sim, { filter_unread: 1 }))[0]?.session_id).toBe(sessionId);
    await crispWrite(sim, "POST", path, { body: text("Yes, hello!") });
    const answered = await conversation(sim, sessionId);
    expect(answered.waiting_since).toBeUndefined();
    expect(answered.unread).toEqual({ operator: 2, visitor: 1 });
  });

  test("an operator message sent with the user token is signed by the account owner", async () => {
    const sim = await fresh();
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    const reply = await crispWrite<{ fingerprint: number }>(sim, "POST", path, {
      body: text("From the dashboard"),
      auth: userToken(sim),
    });
    expect(reply.status).toBe(202);
    const owner = sim.store
      .operators(sim.defaultWebsiteId)
      .find((operator) => operator.details.role === "owner");
    const [message] = await messages(sim, sessionId);
    expect(message?.user).toMatchObject({ type: "website", user_id: owner?.details.user_id });
  });

  test("timestamps strictly increase even when the clock stands still", async () => {
    const sim = await fresh({ now: () => T });
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    for (let i = 0; i < 5; i++) {
      expect((await crispWrite(sim, "POST", path, { body: text(`m${i}`) })).status).toBe(202);
    }
    const stamps = (await messages(sim, sessionId)).map((message) => message.timestamp);
    // The conversation creation took T, the messages the next milliseconds.
    expect(stamps).toEqual([T + 1, T + 2, T + 3, T + 4, T + 5]);
    const fingerprints = (await messages(sim, sessionId)).map((message) => message.fingerprint);
    expect(new Set(fingerprints).size).toBe(5);
  });

  test("sending twice with the same fingerprint stores one message and answers the same", async () => {
    const sim = await fresh();
    const events = recordEvents(sim);
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    const first = await crispWrite(sim, "POST", path, {
      body: { ...text("first"), fingerprint: 424242 },
    });
    const second = await crispWrite(sim, "POST", path, {
      body: { ...text("second"), fingerprint: 424242 },
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(first.body?.data).toEqual({ fingerprint: 424242 });
    const list = await messages(sim, sessionId);
    expect(list).toHaveLength(1);
    expect(list[0]?.content).toBe("first");
    expect(events.map((event) => event.event)).toEqual(["message:received"]);
  });

  test("accepts content of every type in its shape and refuses content that does not fit", async () => {
    const sim = await fresh();
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    const good: [string, unknown][] = [
      ["text", "hello"],
      ["note", "internal"],
      ["file", { name: "a.pdf", url: "https://files.example/a.pdf", type: "application/pdf" }],
      ["animation", { url: "https://media.example/a.gif", type: "image/gif" }],
      ["audio", { url: "https://files.example/v.webm", type: "audio/webm", duration: 4 }],
      ["audio", { url: "https://files.example/v.webm", type: "audio/webm" }],
      [
        "picker",
        { id: "p1", text: "Rate us", choices: [{ value: "good", label: "Good", selected: false }] },
      ],
      ["field", { id: "f1", text: "Order number?", explain: "From the email" }],
      [
        "carousel",
        {
          text: "Articles",
          targets: [
            {
              title: "A",
              description: "B",
              actions: [{ label: "Read", url: "https://x.example" }],
            },
          ],
        },
      ],
      ["event", { namespace: "user:navigation" }],
      ["event", { namespace: "user:navigation", text: "Visited pricing" }],
    ];
    for (const [type, content] of good) {
      const reply = await crispWrite(sim, "POST", path, {
        body: { type, from: "operator", origin: "chat", content },
      });
      expect(reply.status, `${type} ${JSON.stringify(content)}`).toBe(202);
    }
    const stored = await messages(sim, sessionId);
    expect(stored.map((message) => [message.type, message.content])).toEqual(good);

    const bad: [string, unknown][] = [
      ["text", { text: "hello" }],
      ["text", ""],
      ["note", 3],
      ["file", "a.pdf"],
      ["file", { name: "a.pdf", url: "https://files.example/a.pdf" }],
      ["animation", { url: "https://media.example/a.gif" }],
      ["audio", { url: "https://files.example/v.webm", type: "audio/webm", duration: "4s" }],
      ["picker", { id: "p1", text: "Rate us" }],
      ["picker", { id: "p1", text: "Rate us", choices: [{ value: "good" }] }],
      ["field", { id: "f1" }],
      ["carousel", { text: "Articles", targets: [{ title: "A" }] }],
      ["event", { text: "no namespace" }],
      ["sticker", "hi"],
    ];
    for (const [type, content] of bad) {
      const reply = await crispWrite(sim, "POST", path, {
        body: { type, from: "operator", origin: "chat", content },
      });
      expect(reply.status, `${type} ${JSON.stringify(content)}`).toBe(400);
      expect(reply.body?.reason).toBe("invalid_data");
    }
    expect(await messages(sim, sessionId)).toHaveLength(good.length);
  });

  test("refuses a malformed message with 400 and an unknown conversation with 404", async () => {
    const sim = await fresh();
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    const cases: [unknown, string][] = [
      [{ ...text("hi"), from: "bot" }, "from"],
      [{ type: "text", from: "user", content: "hi" }, "origin"],
      [{ ...text("hi"), fingerprint: 0 }, "fingerprint"],
      [{ ...text("hi"), fingerprint: 1.5 }, "fingerprint"],
      [{ ...text("hi"), fingerprint: "123" }, "fingerprint"],
      [{ ...text("hi"), mentions: "everyone" }, "mentions"],
      [{ ...text("hi"), user: { nickname: 1 } }, "user.nickname"],
      [{ ...text("hi"), colour: "red" }, "colour"],
    ];
    for (const [body, field] of cases) {
      const reply = await crispWrite<{ message: string }>(sim, "POST", path, { body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body?.data.message).toContain(field);
    }
    expect(await messages(sim, sessionId)).toEqual([]);
    const missing = await crispWrite(
      sim,
      "POST",
      `${websitePath(sim)}/conversation/${MISSING_SESSION}/message`,
      {
        body: text("hi"),
      },
    );
    expect(missing.status).toBe(404);
    expect(missing.body?.reason).toBe("session_not_found");
  });

  test("answers 409 too_many_messages once a conversation holds messageLimit messages", async () => {
    const sim = await fresh({ messageLimit: 2 });
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    expect(
      (await crispWrite(sim, "POST", path, { body: { ...text("1"), fingerprint: 11 } })).status,
    ).toBe(202);
    expect((await crispWrite(sim, "POST", path, { body: text("2") })).status).toBe(202);
    const refused = await crispWrite(sim, "POST", path, { body: text("3") });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: true, reason: "too_many_messages", data: {} });
    // A retry of a message already stored is still acknowledged.
    const retry = await crispWrite(sim, "POST", path, { body: { ...text("1"), fingerprint: 11 } });
    expect(retry.status).toBe(202);
    expect(await messages(sim, sessionId)).toHaveLength(2);
    // A seeded conversation is already past the limit.
    const seeded = sim.store.conversations(sim.defaultWebsiteId)[0]?.session_id ?? "";
    const full = await crispWrite(
      sim,
      "POST",
      `${websitePath(sim)}/conversation/${seeded}/message`,
      {
        body: text("4"),
      },
    );
    expect(full.body?.reason).toBe("too_many_messages");
  });

  test("edits a message's content with 200 updated and marks it edited", async () => {
    const sim = await fresh();
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    await crispWrite(sim, "POST", path, { body: { ...text("helo"), fingerprint: 77 } });
    const reply = await crispWrite(sim, "PATCH", `${path}/77`, { body: { content: "hello" } });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ error: false, reason: "updated", data: {} });
    const edited = await crispData<WireMessage>(sim, `${path}/77`);
    expect(edited).toMatchObject({ content: "hello", edited: true, type: "text" });
    expect((await conversation(sim, sessionId)).last_message).toBe("hello");

    const wrongShape = await crispWrite<{ message: string }>(sim, "PATCH", `${path}/77`, {
      body: { content: { url: "https://x.example", type: "image/gif" } },
    });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body?.reason).toBe("invalid_data");
    expect(wrongShape.body?.data.message).toContain("content");
    expect((await crispData<WireMessage>(sim, `${path}/77`)).content).toBe("hello");
    for (const fingerprint of ["78", "abc"]) {
      const missing = await crispWrite(sim, "PATCH", `${path}/${fingerprint}`, {
        body: { content: "x" },
      });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: true, reason: "message_not_found", data: {} });
    }
  });

  test("removes a message with 200 deleted; last_message falls back to the previous one", async () => {
    const sim = await fresh();
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/message`;
    await crispWrite(sim, "POST", path, { body: { ...text("first"), fingerprint: 1 } });
    await crispWrite(sim, "POST", path, { body: { ...text("second"), fingerprint: 2 } });
    const reply = await crispWrite(sim, "DELETE", `${path}/2`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ error: false, reason: "deleted", data: {} });
    expect((await messages(sim, sessionId)).map((message) => message.fingerprint)).toEqual([1]);
    expect((await crisp(sim, `${path}/2`)).body?.reason).toBe("message_not_found");
    expect((await conversation(sim, sessionId)).last_message).toBe("first");
    const again = await crispWrite(sim, "DELETE", `${path}/2`);
    expect(again.status).toBe(404);
    expect(again.body?.reason).toBe("message_not_found");
  });
});

describe("people profiles", () => {
  const ada = {
    email: "ada@example.com",
    person: { nickname: "Ada Lovelace", phone: "+44 20 7946 0000", locales: ["en"] },
    company: { name: "Analytical Engines", tags: ["math"] },
    segments: ["vip"],
    notepad: "Met at the conference",
  };

  async function createAda(sim: Simulator): Promise<string> {
    const reply = await crispWrite<{ people_id: string }>(
      sim,
      "POST",
      `${websitePath(sim)}/people/profile`,
      {
        body: ada,
      },
    );
    expect(reply.status).toBe(201);
    return reply.body?.data.people_id ?? "";
  }

  test("creates a profile with 201 added, readable by id, by email and first in the list", async () => {
    const sim = await fresh({ now: () => T });
    const reply = await crispWrite<{ people_id: string }>(
      sim,
      "POST",
      `${websitePath(sim)}/people/profile`,
      {
        body: ada,
      },
    );
    expect(reply.status).toBe(201);
    expect(reply.body?.reason).toBe("added");
    const peopleId = reply.body?.data.people_id ?? "";
    expect(Object.keys(reply.body?.data ?? {})).toEqual(["people_id"]);
    const profile = await crispData<WirePeopleProfile>(
      sim,
      `${websitePath(sim)}/people/profile/${peopleId}`,
    );
    expect(profile).toMatchObject({ ...ada, people_id: peopleId, created_at: T, updated_at: T });
    const byEmail = await crispData<WirePeopleProfile>(
      sim,
      `${websitePath(sim)}/people/profile/ADA@example.com`,
    );
    expect(byEmail.people_id).toBe(peopleId);
    const list = await crispData<WirePeopleProfile[]>(sim, `${websitePath(sim)}/people/profiles/1`);
    expect(list[0]?.people_id).toBe(peopleId);
    const search = await crispData<WirePeopleProfile[]>(
      sim,
      `${websitePath(sim)}/people/profiles/1`,
      {
        query: { search_text: "analytical" },
      },
    );
    expect(search.map((item) => item.people_id)).toEqual([peopleId]);
  });

  test("refuses a missing or invalid email with 400 and a used one with 409 people_exists", async () => {
    const sim = await fresh();
    const path = `${websitePath(sim)}/people/profile`;
    const cases: [unknown, string][] = [
      [{ person: { nickname: "No Email" } }, "email"],
      [{ email: "nope" }, "email"],
      [{ email: "a@b.example", person: { nickname: 3 } }, "person.nickname"],
      [{ email: "a@b.example", segments: "vip" }, "segments"],
      [{ email: "a@b.example", company: { metrics: { employees: "many" } } }, "company.metrics"],
      [{ email: "a@b.example", nickname: "top-level" }, "nickname"],
    ];
    for (const [body, field] of cases) {
      const reply = await crispWrite<{ message: string }>(sim, "POST", path, { body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body?.reason).toBe("invalid_data");
      expect(reply.body?.data.message).toContain(field);
    }
    const seeded = sim.store.people(sim.defaultWebsiteId)[0]?.email ?? "";
    const taken = await crispWrite(sim, "POST", path, { body: { email: seeded.toUpperCase() } });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ error: true, reason: "people_exists", data: {} });
    expect(sim.store.people(sim.defaultWebsiteId)).toHaveLength(150);
  });

  test("PATCH deep-merges person and company and replaces the rest", async () => {
    const sim = await fresh();
    const peopleId = await createAda(sim);
    const path = `${websitePath(sim)}/people/profile/${peopleId}`;
    const reply = await crispWrite(sim, "PATCH", path, {
      body: {
        person: { nickname: "Countess Lovelace" },
        company: { domain: "engines.example" },
        segments: ["vip", "math"],
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ error: false, reason: "updated", data: {} });
    const profile = await crispData<WirePeopleProfile>(sim, path);
    expect(profile).toMatchObject({
      email: "ada@example.com",
      person: { nickname: "Countess Lovelace", phone: "+44 20 7946 0000", locales: ["en"] },
      company: { name: "Analytical Engines", domain: "engines.example", tags: ["math"] },
      segments: ["vip", "math"],
      notepad: "Met at the conference",
    });
    const seeded = sim.store.people(sim.defaultWebsiteId)[0]?.email ?? "";
    const taken = await crispWrite(sim, "PATCH", path, { body: { email: seeded } });
    expect(taken.status).toBe(409);
    const invalid = await crispWrite<{ message: string }>(sim, "PATCH", path, {
      body: { email: "broken" },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body?.data.message).toContain("email");
    const missing = await crispWrite(
      sim,
      "PATCH",
      `${websitePath(sim)}/people/profile/${MISSING_PEOPLE}`,
      {
        body: { notepad: "x" },
      },
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: true, reason: "people_not_found", data: {} });
  });

  test("PUT replaces the profile, keeping only Crisp's own fields", async () => {
    const sim = await fresh();
    const peopleId = await createAda(sim);
    const path = `${websitePath(sim)}/people/profile/${peopleId}`;
    const before = await crispData<WirePeopleProfile>(sim, path);
    const reply = await crispWrite(sim, "PUT", path, {
      body: { email: "countess@example.com", person: { nickname: "Countess" } },
    });
    expect(reply.status).toBe(200);
    expect(reply.body?.reason).toBe("updated");
    const profile = await crispData<WirePeopleProfile>(sim, path);
    expect(profile.person).toEqual({ nickname: "Countess" });
    expect(profile.company).toBeUndefined();
    expect(profile).toMatchObject({
      people_id: peopleId,
      email: "countess@example.com",
      segments: [],
      notepad: "",
      created_at: before.created_at,
    });
    const noEmail = await crispWrite(sim, "PUT", path, { body: { person: { nickname: "X" } } });
    expect(noEmail.status).toBe(400);
    const missing = await crispWrite(
      sim,
      "PUT",
      `${websitePath(sim)}/people/profile/${MISSING_PEOPLE}`,
      {
        body: { email: "x@y.example" },
      },
    );
    expect(missing.body?.reason).toBe("people_not_found");
  });

  test("removes a profile with 200 deleted, then answers 404 people_not_found", async () => {
    const sim = await fresh();
    const peopleId = await createAda(sim);
    const path = `${websitePath(sim)}/people/profile/${peopleId}`;
    const reply = await crispWrite(sim, "DELETE", path);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ error: false, reason: "deleted", data: {} });
    expect((await crisp(sim, path)).body?.reason).toBe("people_not_found");
    const again = await crispWrite(sim, "DELETE", path);
    expect(again.status).toBe(404);
    expect(again.body?.reason).toBe("people_not_found");
    // The email is free again.
    expect(
      (await crispWrite(sim, "POST", `${websitePath(sim)}/people/profile`, { body: ada })).status,
    ).toBe(201);
  });
});

describe("events", () => {
  test("each write emits its RTM event with Crisp's data shape", async () => {
    const sim = await fresh({ now: () => T });
    const events = recordEvents(sim);
    const site = sim.defaultWebsiteId;
    const userId = sim.store.operators(site)[1]?.details.user_id ?? "";
    const sessionId = await newConversation(sim); // T, no event
    const conversationPath = `${websitePath(sim)}/conversation/${sessionId}`;
    await crispWrite(sim, "PATCH", `${conversationPath}/state`, { body: { state: "unresolved" } });
    await crispWrite(sim, "PATCH", `${conversationPath}/routing`, {
      body: { assigned: { user_id: userId } },
    });
    await crispWrite(sim, "PATCH", `${conversationPath}/routing`, { body: { assigned: null } });
    await crispWrite(sim, "PATCH", `${conversationPath}/meta`, {
      body: { email: "ada@example.com", nickname: "Ada", ip: "10.0.0.1", data: { a: 1 } },
    });
    await crispWrite(sim, "POST", `${conversationPath}/message`, {
      body: { ...text("Hi", "user"), fingerprint: 5 },
    });
    await crispWrite(sim, "POST", `${conversationPath}/message`, {
      body: { ...text("Hello"), fingerprint: 6 },
    });
    await crispWrite(sim, "PATCH", `${conversationPath}/message/6`, {
      body: { content: "Hello!" },
    });
    await crispWrite(sim, "DELETE", `${conversationPath}/message/5`);
    const created = await crispWrite<{ people_id: string }>(
      sim,
      "POST",
      `${websitePath(sim)}/people/profile`,
      {
        body: { email: "ada@example.com" },
      },
    );
    const peopleId = created.body?.data.people_id ?? "";
    await crispWrite(sim, "PATCH", `${websitePath(sim)}/people/profile/${peopleId}`, {
      body: { person: { nickname: "Ada" } },
    });
    await crispWrite(sim, "PUT", `${websitePath(sim)}/people/profile/${peopleId}`, {
      body: { email: "lovelace@example.com" },
    });
    await crispWrite(sim, "DELETE", `${websitePath(sim)}/people/profile/${peopleId}`);
    await crispWrite(sim, "DELETE", conversationPath);

    // Session-scoped events carry website_id, session_id and inbox_id, nullable (§5.5).
    const session = { website_id: site, session_id: sessionId, inbox_id: null };
    const message = (fingerprint: number, from: "user" | "operator", content: string) =>
      expect.objectContaining({ ...session, fingerprint, from, content, type: "text" });
    expect(events.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: "session:set_state", data: { ...session, state: "unresolved" } },
      // Only what the SDKs type (NODE EventsSessionSetRouting, GO routing_id).
      {
        event: "session:set_routing",
        data: { ...session, routing_id: userId, previous_routing_id: null },
      },
      {
        event: "session:set_routing",
        data: { ...session, routing_id: null, previous_routing_id: userId },
      },
      { event: "session:set_nickname", data: { ...session, nickname: "Ada" } },
      { event: "session:set_email", data: { ...session, email: "ada@example.com" } },
      { event: "session:set_data", data: { ...session, data: { a: 1 } } },
      { event: "message:send", data: message(5, "user", "Hi") },
      { event: "message:received", data: message(6, "operator", "Hello") },
      { event: "message:updated", data: { ...session, fingerprint: 6, content: "Hello!" } },
      { event: "message:removed", data: { ...session, fingerprint: 5 } },
      {
        event: "people:profile:created",
        data: { website_id: site, people_id: peopleId, email: "ada@example.com" },
      },
      {
        event: "people:profile:updated",
        data: {
          website_id: site,
          people_id: peopleId,
          email: "ada@example.com",
          update: { person: { nickname: "Ada" } },
        },
      },
      {
        event: "people:profile:updated",
        data: {
          website_id: site,
          people_id: peopleId,
          email: "lovelace@example.com",
          update: { email: "lovelace@example.com" },
        },
      },
      {
        event: "people:profile:removed",
        data: { website_id: site, people_id: peopleId, email: "lovelace@example.com" },
      },
      { event: "session:removed", data: session },
    ]);
    expect(events.every((event) => event.website_id === site)).toBe(true);
    const stamps = events.map((event) => event.timestamp);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(stamps[0]).toBe(T + 1);
    // The message event carries what the SDKs type for it, in the order of Crisp's
    // message:send sample (test/fixtures/crisp/webhook-message-send.json), not read/delivered.
    const sent = events.find((event) => event.event === "message:send");
    expect(sent?.data).toEqual({
      website_id: site,
      session_id: sessionId,
      inbox_id: null,
      type: "text",
      content: "Hi",
      from: "user",
      origin: "chat",
      mentions: [],
      stamped: true,
      timestamp: sent?.timestamp,
      fingerprint: 5,
      user: { user_id: sessionId, nickname: "Ada" },
      edited: false,
      translated: false,
      automated: false,
    });
    const sample = Object.keys(
      (
        JSON.parse(
          readFileSync(
            new URL("./fixtures/crisp/webhook-message-send.json", import.meta.url),
            "utf8",
          ),
        ) as { data: Record<string, unknown> }
      ).data,
    );
    const sentKeys = Object.keys(sent?.data ?? {});
    expect(sentKeys.filter((key) => sample.includes(key))).toEqual(
      sample.filter((key) => sentKeys.includes(key)),
    );
  });

  test("events of a conversation in an inbox carry its inbox_id", async () => {
    const sim = await fresh();
    const events = recordEvents(sim);
    const site = sim.defaultWebsiteId;
    const inboxed = sim.store
      .conversations(site)
      .find((item) => typeof item.inbox_id === "string" && item.state !== "resolved");
    expect(inboxed).toBeDefined();
    const path = `${websitePath(sim)}/conversation/${inboxed?.session_id}`;
    await crispWrite(sim, "PATCH", `${path}/state`, { body: { state: "resolved" } });
    await crispWrite(sim, "POST", `${path}/message`, { body: text("Done.") });
    await crispWrite(sim, "DELETE", path);
    expect(events.map(({ event, data }) => [event, data.session_id, data.inbox_id])).toEqual([
      ["session:set_state", inboxed?.session_id, inboxed?.inbox_id],
      ["message:received", inboxed?.session_id, inboxed?.inbox_id],
      ["session:removed", inboxed?.session_id, inboxed?.inbox_id],
    ]);
  });

  test("failed writes emit nothing, and an unsubscribed listener hears nothing more", async () => {
    const sim = await fresh();
    const events: SimulatorEvent[] = [];
    const stop = sim.onEvent((event) => events.push(event));
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}`;
    await crispWrite(sim, "PATCH", `${path}/state`, { body: { state: "closed" } });
    await crispWrite(sim, "POST", `${path}/message`, { body: text("") });
    await crispWrite(sim, "DELETE", `${path}/message/1`);
    expect(events).toEqual([]);
    await crispWrite(sim, "PATCH", `${path}/state`, { body: { state: "resolved" } });
    expect(events).toHaveLength(1);
    stop();
    await crispWrite(sim, "PATCH", `${path}/state`, { body: { state: "unresolved" } });
    expect(events).toHaveLength(1);
  });

  test("a listener that throws does not fail the write and is reported as a warning", async () => {
    const sim = await fresh();
    const warned = new Promise<Error>((resolve) => {
      const onWarning = (warning: Error): void => {
        if (warning.name === "SimulatorEventListenerWarning") {
          process.off("warning", onWarning);
          resolve(warning);
        }
      };
      process.on("warning", onWarning);
    });
    onTestFinished(
      sim.onEvent(() => {
        throw new Error("listener bug");
      }),
    );
    const heard: string[] = [];
    onTestFinished(sim.onEvent((event) => heard.push(event.event)));
    const sessionId = await newConversation(sim);
    const reply = await crispWrite(
      sim,
      "PATCH",
      `${websitePath(sim)}/conversation/${sessionId}/state`,
      {
        body: { state: "resolved" },
      },
    );
    expect(reply.status).toBe(200);
    expect(heard).toEqual(["session:set_state"]);
    expect((await conversation(sim, sessionId)).state).toBe("resolved");
    expect((await warned).message).toContain("listener bug");
  });
});

describe("knobs and the request log", () => {
  test("the request log records the parsed body of each write, refused ones included", async () => {
    const sim = await fresh();
    const sessionId = await newConversation(sim);
    sim.clearRequests();
    const path = `${websitePath(sim)}/conversation/${sessionId}`;
    await crispWrite(sim, "PATCH", `${path}/state`, { body: { state: "resolved" } });
    await crispWrite(sim, "POST", "/website", { body: { name: "Acme", domain: "acme.example" } });
    await crispWrite(sim, "PATCH", `${path}/meta`, { body: { raw: "{broken" } });
    await crispWrite(sim, "DELETE", path);
    expect(
      sim.requests.map(({ at: _at, arrived: _arrived, answered: _answered, ...rest }) => rest),
    ).toEqual([
      {
        method: "PATCH",
        path: `${path}/state`,
        query: {},
        url: `${path}/state`,
        status: 200,
        reason: "updated",
        tier: "plugin",
        body: { state: "resolved" },
      },
      {
        method: "POST",
        path: "/website",
        query: {},
        url: "/website",
        status: 401,
        reason: "restricted_route_tier",
        tier: "plugin",
        body: { name: "Acme", domain: "acme.example" },
      },
      {
        method: "PATCH",
        path: `${path}/meta`,
        query: {},
        url: `${path}/meta`,
        status: 400,
        reason: "invalid_data",
        tier: "plugin",
      },
      {
        method: "DELETE",
        path,
        query: {},
        url: path,
        status: 200,
        reason: "deleted",
        tier: "plugin",
      },
    ]);
    expect("body" in (sim.requests[3] ?? {})).toBe(false);
  });

  test("injected errors refuse writes before they change anything", async () => {
    const sim = await fresh({ errors: { status: 503, rate: 1, match: /\/message$/ } });
    const events = recordEvents(sim);
    const sessionId = await newConversation(sim);
    const reply = await crispWrite(
      sim,
      "POST",
      `${websitePath(sim)}/conversation/${sessionId}/message`,
      {
        body: text("hi"),
      },
    );
    expect(reply.status).toBe(503);
    expect(await messages(sim, sessionId)).toEqual([]);
    expect(events).toEqual([]);
  });

  test("writes count against the rate limit and the daily quota", async () => {
    const sim = await fresh({ dailyQuota: 2 });
    const sessionId = await newConversation(sim);
    const path = `${websitePath(sim)}/conversation/${sessionId}/state`;
    expect((await crispWrite(sim, "PATCH", path, { body: { state: "resolved" } })).status).toBe(
      200,
    );
    const refused = await crispWrite(sim, "PATCH", path, { body: { state: "pending" } });
    expect(refused.status).toBe(423);
    expect(refused.body?.reason).toBe("quota_limit_exceeded");
    sim.resetQuota();
    expect((await conversation(sim, sessionId)).state).toBe("resolved");

    sim.configure({ dailyQuota: null, rateLimit: { requests: 1, windowMs: 60_000 } });
    expect(
      (await crispWrite(sim, "DELETE", `${websitePath(sim)}/conversation/${sessionId}`)).status,
    ).toBe(200);
    expect((await createConversationReply(sim)).status).toBe(429);
  });

  test("writes to a website the plugin is not installed on answer 404 not_subscribed", async () => {
    const sim = await fresh();
    const last = sim.store.websites.at(-1)?.website_id ?? "";
    const reply = await crispWrite(sim, "POST", `/website/${last}/conversation`);
    expect(reply.status).toBe(404);
    expect(reply.body?.reason).toBe("not_subscribed");
    const asUser = await crispWrite(sim, "POST", `/website/${last}/conversation`, {
      auth: userToken(sim),
    });
    expect(asUser.status).toBe(201);
  });
});

async function createConversationReply(simulator: Simulator) {
  return crispWrite(simulator, "POST", `${websitePath(simulator)}/conversation`);
}
