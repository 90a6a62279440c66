/**
 * Exports that stay correct while the inbox moves: keyset cursors on `conversations` and
 * `people`, whole lists streamed with `@stream` and metered page by page, and the example
 * export script (examples/export-workspace.ts) run against the simulator with live activity
 * on, checked for anything missing or repeated.
 */
import { describe, expect, it } from "vitest";
import { type ExportRecord, exportWorkspace } from "../examples/export-workspace.js";
import type { Simulator } from "../src/simulator/index.js";
import { type GraphQLResponse, gatewayOn, startTestGateway } from "./helpers/gateway.js";
import { readEvents, type StreamedResult } from "./helpers/streams.js";

const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const store = t.simulator.store;
const { url } = await t.gateway.listen("127.0.0.1", 0);

/** Resolves with the simulator's next event: proof that the inbox moved. */
function nextEvent(simulator: Simulator): Promise<void> {
  return new Promise((resolve) => {
    const stop = simulator.onEvent(() => {
      stop();
      resolve();
    });
  });
}

/** Runs an operation with incremental delivery over SSE and answers every part. */
async function streamed(query: string, gateway = t.gateway): Promise<StreamedResult[]> {
  const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query }),
  });
  const reader = response.body?.getReader();
  if (reader === undefined) {
    throw new Error("no event stream");
  }
  const parts: StreamedResult[] = [];
  for await (const part of readEvents(reader)) {
    parts.push(part);
  }
  return parts;
}

/** The items a list got across the parts of an incremental answer, in order. */
function streamedItems(parts: StreamedResult[], list: string): Record<string, unknown>[] {
  return parts.flatMap((part) =>
    (
      (part as { incremental?: { items?: Record<string, unknown>[]; path?: unknown[] }[] })
        .incremental ?? []
    )
      .filter((increment) => increment.path?.at(-2) === list)
      .flatMap((increment) => increment.items ?? []),
  );
}

/** Which ids occur more than once. */
const repeated = (ids: readonly string[]) => [
  ...new Set(ids.filter((id, index) => ids.indexOf(id) !== index)),
];

describe("@stream", () => {
  it("streams every conversation, newest created first, a page of Crisp's at a time, metered per page", async () => {
    t.takeRequests();
    const parts = await streamed(
      `{ website { allConversations @stream(initialCount: 0) { sessionId createdAt } } }`,
    );
    const expected = store.listConversations(W, { order: "created" }).map((c) => c.session_id);
    const items = streamedItems(parts, "allConversations");
    expect(items.map((item) => item.sessionId)).toEqual(expected);
    for (const part of parts) {
      expect(part.errors).toBeUndefined();
    }
    const requests = t.takeRequests();
    expect(requests[0]).toBe(`GET /website/${W}`);
    expect(
      requests
        .slice(1)
        .every((request) =>
          new RegExp(
            `^GET /website/${W}/conversations/\\d+\\?per_page=\\d+&order_date_created=1$`,
          ).test(request),
        ),
    ).toBe(true);
    // The estimate is one page; the stream spent more, page by page, and said so at the end.
    const cost = parts.at(-1)?.extensions?.cost as { estimated: number; crispRequests: number };
    expect(cost.estimated).toBe(1 + 4);
    expect(cost.crispRequests).toBe(requests.length);
    expect(cost.crispRequests).toBeGreaterThan(cost.estimated);
    expect((parts.at(-1) as { hasNext?: boolean }).hasNext).toBe(false);
  });

  it("runs a stream under a limit of one page's estimate, every further page on what it adds, run after run", async () => {
    // A limit of exactly one page's estimate, and no cache: each run reads every page from
    // Crisp, every page past the first on what it adds to the budget.
    const gateway = gatewayOn(t.simulator, { maxOperationCost: 1 + 4, cache: false });
    const query = `{ website { allConversations @stream(initialCount: 0) { sessionId } } }`;
    const runs = [await streamed(query, gateway), await streamed(query, gateway)];
    const expected = store.listConversations(W, {}).length;
    for (const parts of runs) {
      expect(parts.flatMap((part) => part.errors ?? [])).toEqual([]);
      expect(streamedItems(parts, "allConversations")).toHaveLength(expected);
    }
    const costs = runs.map(
      (parts) => parts.at(-1)?.extensions?.cost as { estimated: number; crispRequests: number },
    );
    expect(costs[0]?.crispRequests).toBeGreaterThan(1 + 4);
    expect(costs[1]).toEqual(costs[0]);
  });

  it("refuses a whole-list field without @stream with BAD_USER_INPUT and no Crisp request", async () => {
    t.takeRequests();
    const response = await t.query(`{ website { allPeople { email } } }`);
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "allPeople",
    });
    expect(t.takeRequests()).toEqual([]);
  });

  it("streams a deferred fragment after the first part", async () => {
    const parts = await streamed(`{ website { websiteId ... @defer { name } } }`);
    expect(parts[0]?.data).toEqual({ website: { websiteId: W } });
    const deferred = parts.flatMap(
      (part) => (part as { incremental?: { data?: unknown }[] }).incremental ?? [],
    );
    expect(deferred[0]?.data).toEqual({ name: store.website(W)?.name });
  });
});

describe("keyset cursors while the inbox moves", () => {
  const WINDOW = `query($after: String) { website { conversations(first: 20, after: $after, orderBy: CREATED) { nodes { sessionId } pageInfo { hasNextPage endCursor } } } }`;
  interface Window {
    website: {
      conversations: {
        nodes: { sessionId: string }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
  }

  it("pages conversations(orderBy: CREATED) to the end returning every conversation that existed exactly once", async () => {
    const existing = store.listConversations(W, { order: "created" }).map((c) => c.session_id);
    const seen: string[] = [];
    t.simulator.configure({ liveActivity: { intervalMs: 1 } });
    try {
      let after: string | null = null;
      for (let window = 0; window < 100; window += 1) {
        const response: GraphQLResponse<Window> = await t.query<Window>(WINDOW, {
          after,
        });
        expect(response.errors).toBeUndefined();
        const page = response.data?.website.conversations;
        seen.push(...(page?.nodes.map((node) => node.sessionId) ?? []));
        if (page?.pageInfo.hasNextPage !== true) {
          break;
        }
        after = page.pageInfo.endCursor;
        // The inbox moves between every two windows.
        await nextEvent(t.simulator);
      }
    } finally {
      t.simulator.configure({ liveActivity: null });
    }
    expect(store.conversations(W).length).toBeGreaterThan(existing.length);
    expect(repeated(seen)).toEqual([]);
    expect(existing.filter((id) => !seen.includes(id))).toEqual([]);
  });

  interface People {
    website: {
      people: {
        nodes: { peopleId: string }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
  }

  it("pages people to the end returning every profile that existed exactly once while profiles are created", async () => {
    const existing = store.listPeople(W, {}).map((p) => p.people_id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let window = 0; window < 100; window += 1) {
      const response: GraphQLResponse<People> = await t.query<People>(
        `query($after: String) { website { people(first: 25, after: $after) { nodes { peopleId } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      expect(response.errors).toBeUndefined();
      const page = response.data?.website.people;
      seen.push(...(page?.nodes.map((node) => node.peopleId) ?? []));
      if (page?.pageInfo.hasNextPage !== true) {
        break;
      }
      after = page.pageInfo.endCursor;
      // Three new profiles at the top shift every offset between two windows.
      for (let index = 0; index < 3; index += 1) {
        const created = await t.query(
          `mutation($input: PersonInput!) { createPerson(input: $input) { peopleId } }`,
          { input: { websiteId: W, email: `moving-${window}-${index}@export.example` } },
        );
        expect(created.errors).toBeUndefined();
      }
    }
    expect(repeated(seen)).toEqual([]);
    expect(existing.filter((id) => !seen.includes(id))).toEqual([]);
  });
});

// Exports the whole seeded workspace (every conversation, message and person, thousands of
// records) through the gateway: seconds on a busy 2-core machine.
describe("the example export script (examples/export-workspace.ts)", { timeout: 20_000 }, () => {
  it("writes every conversation, message and person that existed when it began exactly once, with live activity on", async () => {
    const conversations = store.listConversations(W, {}).map((c) => c.session_id);
    const messages = conversations.flatMap((sessionId) =>
      (store.messages(W, sessionId) ?? []).map((m) => `${sessionId}/${m.fingerprint}`),
    );
    const people = store.people(W).map((p) => p.people_id);
    const records: ExportRecord[] = [];
    let events = 0;
    const stop = t.simulator.onEvent(() => {
      events += 1;
    });
    t.simulator.configure({ liveActivity: { intervalMs: 1 } });
    let summary: Awaited<ReturnType<typeof exportWorkspace>>;
    try {
      summary = await exportWorkspace({ url, write: (record) => void records.push(record) });
    } finally {
      t.simulator.configure({ liveActivity: null });
      stop();
    }
    // The inbox moved while the export ran.
    expect(events).toBeGreaterThan(0);
    const ids = (kind: ExportRecord["kind"], key: (record: ExportRecord) => string) =>
      records.filter((record) => record.kind === kind).map(key);
    const exportedConversations = ids("conversation", (r) => String(r.sessionId));
    const exportedMessages = ids(
      "message",
      (r) => `${String(r.sessionId)}/${String(r.fingerprint)}`,
    );
    const exportedPeople = ids("person", (r) => String(r.peopleId));
    expect(repeated(exportedConversations)).toEqual([]);
    expect(repeated(exportedMessages)).toEqual([]);
    expect(repeated(exportedPeople)).toEqual([]);
    expect(conversations.filter((id) => !exportedConversations.includes(id))).toEqual([]);
    const exportedMessageSet = new Set(exportedMessages);
    expect(messages.filter((id) => !exportedMessageSet.has(id))).toEqual([]);
    expect(people.filter((id) => !exportedPeople.includes(id))).toEqual([]);
    expect(summary.conversations).toBe(exportedConversations.length);
    expect(summary.messages).toBe(exportedMessages.length);
    const person = records.find((record) => record.kind === "person");
    expect(person).toMatchObject({ data: expect.any(Object) });
  });
});
