import { describe, expect, it } from "vitest";
import { encodeGlobalId } from "../src/schema/global-id.js";
import { sorted, startTestGateway } from "./helpers/gateway.js";

const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const store = t.simulator.store;

const DASHBOARD = `{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

interface DashboardData {
  website: {
    name: string;
    conversations: {
      nodes: {
        sessionId: string;
        state: string;
        meta: { nickname: string | null; email: string | null };
        person: { email: string | null; company: { name: string | null } | null } | null;
        assignee: { firstName: string | null } | null;
        messages: {
          nodes: { type: string; text: string | null; from: string; timestamp: string }[];
        };
      }[];
    };
  };
}

describe("the README's dashboard query", () => {
  it("returns the default website's newest conversations with their people, assignees and last messages", async () => {
    t.takeRequests();
    const { data, errors } = await t.query<DashboardData>(DASHBOARD);
    expect(errors).toBeUndefined();
    const website = store.website(W);
    expect(data?.website.name).toBe(website?.name);
    const nodes = data?.website.conversations.nodes ?? [];
    const expected = store.listConversations(W, {}).slice(0, 20);
    expect(nodes.map((n) => n.sessionId)).toEqual(expected.map((c) => c.session_id));
    for (const node of nodes) {
      const conversation = store.conversation(W, node.sessionId);
      expect(node.state).toBe(conversation?.state.toUpperCase());
      expect(node.meta.email).toBe(conversation?.meta.email ?? null);
      const profile = conversation?.people_id
        ? store.profile(W, conversation.people_id)
        : undefined;
      expect(node.person?.email ?? null).toBe(profile?.email ?? null);
      const assigned = conversation?.assigned?.user_id;
      const operator = store.operators(W).find((o) => o.details.user_id === assigned);
      expect(node.assignee?.firstName ?? null).toBe(operator?.details.first_name ?? null);
      const messages = store.messages(W, node.sessionId) ?? [];
      expect(node.messages.nodes.map((m) => new Date(m.timestamp).getTime())).toEqual(
        messages.slice(-5).map((m) => m.timestamp),
      );
    }
  });

  it("costs exactly the minimum Crisp requests: website, one list page, one per distinct person, one operators list, one message batch per conversation", async () => {
    t.takeRequests();
    await t.query(DASHBOARD);
    const page = store.listConversations(W, {}).slice(0, 20);
    const people = [...new Set(page.flatMap((c) => (c.people_id ? [c.people_id] : [])))];
    const anyAssigned = page.some((c) => c.assigned?.user_id);
    expect(sorted(t.takeRequests())).toEqual(
      sorted([
        `GET /website/${W}`,
        `GET /website/${W}/conversations/1?per_page=21`,
        ...people.map((p) => `GET /website/${W}/people/profile/${p}`),
        ...(anyAssigned ? [`GET /website/${W}/operators/list`] : []),
        ...page.map((c) => `GET /website/${W}/conversation/${c.session_id}/messages`),
      ]),
    );
    expect(people.length).toBeLessThan(page.length);
  });
});

describe("batching over a page of 50 conversations", () => {
  const page = () => store.listConversations(W, {}).slice(0, 50);

  it("costs the list call alone for lastMessage, meta and every scalar field", async () => {
    t.takeRequests();
    const { errors } = await t.query(
      `{ website(id: "${W}") { conversations(first: 50) { nodes { sessionId lastMessage meta { nickname segments device { system { browser { name } } } } unread { operator } createdAt } } } }`,
    );
    expect(errors).toBeUndefined();
    expect(t.takeRequests()).toEqual([
      `GET /website/${W}`,
      `GET /website/${W}/conversations/1?per_page=50`,
    ]);
  });

  it("sends one operators request for fifty assignees", async () => {
    t.takeRequests();
    const { data } = await t.query<{
      website: { conversations: { nodes: { assignee: { firstName: string } | null }[] } };
    }>(
      `{ website(id: "${W}") { conversations(first: 50) { nodes { assignee { firstName } mentions { userId } } } } }`,
    );
    expect(
      data?.website.conversations.nodes.filter((n) => n.assignee !== null).length,
    ).toBeGreaterThan(1);
    expect(t.takeRequests()).toEqual([
      `GET /website/${W}`,
      `GET /website/${W}/conversations/1?per_page=50`,
      `GET /website/${W}/operators/list`,
    ]);
  });

  it("sends one profile request per distinct person, however many conversations share them", async () => {
    t.takeRequests();
    await t.query(
      `{ website(id: "${W}") { conversations(first: 50) { nodes { person { email } } } } }`,
    );
    const people = [...new Set(page().flatMap((c) => (c.people_id ? [c.people_id] : [])))];
    expect(sorted(t.takeRequests())).toEqual(
      sorted([
        `GET /website/${W}`,
        `GET /website/${W}/conversations/1?per_page=50`,
        ...people.map((p) => `GET /website/${W}/people/profile/${p}`),
      ]),
    );
  });
});

describe("conversation paging", () => {
  it("walks pages with first/after without gaps or repeats, in Crisp's order", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 3; i += 1) {
      const response: {
        data?: {
          website: {
            conversations: {
              nodes: { sessionId: string }[];
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          };
        } | null;
      } = await t.query(
        `query($after: String) { website { conversations(first: 25, after: $after) { nodes { sessionId } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      const connection = response.data?.website.conversations;
      seen.push(...(connection?.nodes.map((n) => n.sessionId) ?? []));
      expect(connection?.pageInfo.hasNextPage).toBe(true);
      after = connection?.pageInfo.endCursor ?? null;
    }
    expect(seen).toEqual(
      store
        .listConversations(W, {})
        .slice(0, 75)
        .map((c) => c.session_id),
    );
  });

  it("says there is no next page at the end of the list", async () => {
    const total = store.listConversations(W, {}).length;
    const { encodeOffsetCursor } = await import("../src/schema/connection.js");
    const { data } = await t.query<{
      website: { conversations: { nodes: unknown[]; pageInfo: { hasNextPage: boolean } } };
    }>(
      `{ website { conversations(first: 10, after: "${encodeOffsetCursor(total - 6)}") { nodes { sessionId } pageInfo { hasNextPage } } } }`,
    );
    expect(data?.website.conversations.nodes).toHaveLength(5);
    expect(data?.website.conversations.pageInfo.hasNextPage).toBe(false);
  });

  it("passes filters, search and order to Crisp under its own parameter names", async () => {
    t.takeRequests();
    const { data } = await t.query<{ website: { conversations: { nodes: { state: string }[] } } }>(
      `{ website { conversations(first: 30, filter: { resolved: true, unread: false }, orderBy: CREATED) { nodes { state } } } }`,
    );
    expect(new Set(data?.website.conversations.nodes.map((n) => n.state))).toEqual(
      new Set(["RESOLVED"]),
    );
    expect(t.takeRequests()).toContain(
      `GET /website/${W}/conversations/1?per_page=31&filter_unread=0&filter_resolved=1&order_date_created=1`,
    );
    const operator = store.operators(W)[0]?.details.user_id ?? "";
    await t.query(
      `{ website { conversations(filter: { assignedTo: "${operator}", dateStart: "2026-10-01T00:00:00Z" }, search: { query: "vip", type: SEGMENT }) { nodes { sessionId } } } }`,
    );
    expect(t.takeRequests()).toContain(
      `GET /website/${W}/conversations/1?per_page=21&search_query=vip&search_type=segment&filter_assigned=${operator}&filter_date_start=2026-10-01T00%3A00%3A00.000Z`,
    );
  });
});

describe("messages", () => {
  const long = store
    .listConversations(W, { includeEmpty: false })
    .find((c) => (store.messages(W, c.session_id)?.length ?? 0) > 90);
  const sessionId = long?.session_id ?? "";
  const all = store.messages(W, sessionId) ?? [];
  type Page = {
    website: {
      conversation: {
        messages: {
          nodes: { timestamp: string; fingerprint: number }[];
          pageInfo: { hasPreviousPage: boolean; startCursor: string };
        };
      };
    };
  };

  it("pages back in time with last/before until Crisp answers 200, and gathers every message once, oldest first", async () => {
    t.takeRequests();
    const gathered: number[] = [];
    let before: string | null = null;
    let hasPreviousPage = true;
    while (hasPreviousPage) {
      const response: { data?: Page | null } = await t.query(
        `query($s: ID!, $before: String) { website { conversation(sessionId: $s) { messages(last: 30, before: $before) { nodes { timestamp fingerprint } pageInfo { hasPreviousPage startCursor } } } } }`,
        { s: sessionId, before },
      );
      const messages = response.data?.website.conversation.messages;
      gathered.unshift(...(messages?.nodes.map((n) => n.fingerprint) ?? []));
      hasPreviousPage = messages?.pageInfo.hasPreviousPage ?? false;
      before = messages?.pageInfo.startCursor ?? null;
    }
    expect(gathered).toEqual(all.map((m) => m.fingerprint));
    const batches = t.takeRequests().filter((r) => r.includes("/messages"));
    expect(batches[0]).toBe(`GET /website/${W}/conversation/${sessionId}/messages`);
    expect(batches[1]).toMatch(/\/messages\?timestamp_before=\d+$/);
  });

  it("asks Crisp for a second batch only when `last` reaches past the newest 40", async () => {
    t.takeRequests();
    const { data } = await t.query<Page>(
      `{ website { conversation(sessionId: "${sessionId}") { messages(last: 50) { nodes { timestamp fingerprint } pageInfo { hasPreviousPage startCursor } } } } }`,
    );
    expect(data?.website.conversation.messages.nodes.map((n) => n.fingerprint)).toEqual(
      all.slice(-50).map((m) => m.fingerprint),
    );
    const oldestOfFirstBatch = all[all.length - 40]?.timestamp;
    expect(t.takeRequests()).toEqual([
      `GET /website/${W}`,
      `GET /website/${W}/conversation/${sessionId}`,
      `GET /website/${W}/conversation/${sessionId}/messages`,
      `GET /website/${W}/conversation/${sessionId}/messages?timestamp_before=${oldestOfFirstBatch}`,
    ]);
  });

  it("renders every content type into its union member and a plain text", async () => {
    const types = [
      "text",
      "note",
      "file",
      "animation",
      "audio",
      "picker",
      "field",
      "carousel",
      "event",
    ];
    const samples = types.map((type) => {
      for (const conversation of store.conversations(W)) {
        const found = store.messages(W, conversation.session_id)?.find((m) => m.type === type);
        if (found) {
          return encodeGlobalId("Message", `${W}/${conversation.session_id}/${found.fingerprint}`);
        }
      }
      return "";
    });
    const { data, errors } = await t.query<{
      nodes: { type: string; text: string | null; content: { __typename: string } }[];
    }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Message { type text content { __typename ... on TextContent { text } ... on FileContent { name url type } ... on AnimationContent { url } ... on AudioContent { duration } ... on PickerContent { pickerId choices { label selected } } ... on FieldContent { fieldId explain } ... on CarouselContent { targets { title actions { url } } } ... on EventContent { namespace } } } } }`,
      { ids: samples },
    );
    expect(errors).toBeUndefined();
    const nodes = data?.nodes ?? [];
    expect(nodes.map((n) => [n.type, n.content.__typename])).toEqual([
      ["TEXT", "TextContent"],
      ["NOTE", "TextContent"],
      ["FILE", "FileContent"],
      ["ANIMATION", "AnimationContent"],
      ["AUDIO", "AudioContent"],
      ["PICKER", "PickerContent"],
      ["FIELD", "FieldContent"],
      ["CAROUSEL", "CarouselContent"],
      ["EVENT", "EventContent"],
    ]);
    expect(nodes.every((n) => typeof n.text === "string" && n.text.length > 0)).toBe(true);
  });
});

describe("missing objects and bad ids", () => {
  it("resolves a missing conversation or person to null, after one Crisp request", async () => {
    t.takeRequests();
    const missingSession = "session_00000000-0000-4000-8000-000000000000";
    const missingPerson = "00000000-0000-4000-8000-000000000000";
    const { data, errors } = await t.query(
      `{ website { conversation(sessionId: "${missingSession}") { sessionId } person(peopleId: "${missingPerson}") { email } byEmail: person(email: "nobody@nowhere.example") { email } } }`,
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({ website: { conversation: null, person: null, byEmail: null } });
    expect(sorted(t.takeRequests())).toEqual(
      sorted([
        `GET /website/${W}`,
        `GET /website/${W}/conversation/${missingSession}`,
        `GET /website/${W}/people/profile/${missingPerson}`,
        `GET /website/${W}/people/profile/nobody%40nowhere.example`,
      ]),
    );
  });

  it("resolves a website the token does not reach to null", async () => {
    const unreachable = store.websites[store.websites.length - 1]?.website_id;
    const { data, errors } = await t.query(`{ website(id: "${unreachable}") { name } }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({ website: null });
  });

  it.each([
    [
      "a session id without its prefix",
      `{ website(id: "${W}") { conversation(sessionId: "1234") { sessionId } } }`,
      "sessionId",
    ],
    [
      "a path traversal in a session id",
      `{ website(id: "${W}") { conversation(sessionId: "session_../../website") { sessionId } } }`,
      "sessionId",
    ],
    [
      "a people id that is neither a UUID nor an email",
      `{ website(id: "${W}") { person(peopleId: "x/../y") { email } } }`,
      "peopleId",
    ],
    [
      "both a people id and an email",
      `{ website(id: "${W}") { person(peopleId: "${W}", email: "a@b.co") { email } } }`,
      "peopleId",
    ],
    ["a malformed website id", `{ website(id: "not-a-website") { name } }`, "id"],
    ["a node id that is not ours", `{ node(id: "garbage!") { id } }`, "id"],
    [
      "a node id with a bad session id inside",
      `{ node(id: "${encodeGlobalId("Conversation", `${W}/nope`)}") { id } }`,
      "id",
    ],
    [
      "a page larger than 50",
      `{ website(id: "${W}") { conversations(first: 51) { nodes { sessionId } } } }`,
      "first",
    ],
    [
      "a negative page size",
      `{ website(id: "${W}") { people(first: -1) { nodes { email } } } }`,
      "first",
    ],
    [
      "a forged cursor",
      `{ website(id: "${W}") { conversations(after: "bm9wZQ") { nodes { sessionId } } } }`,
      "after",
    ],
    [
      "an operator id that is not a UUID",
      `{ website(id: "${W}") { conversations(filter: { assignedTo: "bob" }) { nodes { sessionId } } } }`,
      "filter.assignedTo",
    ],
    ["a domain that is not one", `{ websiteExists(domain: "not a domain/..") }`, "domain"],
  ])(
    "refuses %s with BAD_USER_INPUT naming the field, and asks Crisp nothing for it",
    async (_name, query, field) => {
      t.takeRequests();
      const { errors } = await t.query(query);
      expect(errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(t.takeRequests().filter((r) => r !== `GET /website/${W}`)).toEqual([]);
    },
  );
});

describe("global ids", () => {
  it("loads every node type again through node and nodes", async () => {
    const { data } = await t.query<{
      website: {
        id: string;
        conversations: {
          nodes: {
            id: string;
            person: { id: string } | null;
            assignee: { id: string } | null;
            messages: { nodes: { id: string }[] };
          }[];
        };
      };
    }>(
      `{ website { id conversations(first: 30) { nodes { id person { id } assignee { id } messages(last: 1) { nodes { id } } } } } }`,
    );
    const conversations = data?.website.conversations.nodes ?? [];
    const withPerson = conversations.find((c) => c.person !== null);
    const withAssignee = conversations.find((c) => c.assignee !== null);
    const ids = [
      data?.website.id,
      conversations[0]?.id,
      conversations[0]?.messages.nodes[0]?.id,
      withPerson?.person?.id,
      withAssignee?.assignee?.id,
    ];
    t.takeRequests();
    const { data: loaded, errors } = await t.query<{
      nodes: ({ __typename: string; id: string } | null)[];
    }>(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids });
    expect(errors).toBeUndefined();
    expect(loaded?.nodes.map((n) => n?.__typename)).toEqual([
      "Website",
      "Conversation",
      "Message",
      "Person",
      "Operator",
    ]);
    expect(loaded?.nodes.map((n) => n?.id)).toEqual(ids);
    const fingerprint = Buffer.from(ids[2] ?? "", "base64url")
      .toString()
      .split("/")[2];
    expect(t.takeRequests()).toContain(
      `GET /website/${W}/conversation/${conversations[0]?.id ? Buffer.from(conversations[0].id, "base64url").toString().split("/")[1] : ""}/message/${fingerprint}`,
    );
  });

  it("answers null for a well-formed id of something that does not exist", async () => {
    const id = encodeGlobalId("Conversation", `${W}/session_00000000-0000-4000-8000-000000000000`);
    const { data, errors } = await t.query(`{ node(id: "${id}") { id } }`);
    expect(errors).toBeUndefined();
    expect(data).toEqual({ node: null });
  });
});

describe("websites, people, visitors and operators", () => {
  it("lists the websites the plugin token reaches, walking Crisp's pages to the end", async () => {
    t.takeRequests();
    const { data } = await t.query<{ websites: { nodes: { websiteId: string }[] } }>(
      `{ websites { nodes { websiteId } } }`,
    );
    const reachable = t.simulator.credentials.identifier
      ? t.simulator.tokens.find((token) => token.identifier === t.simulator.credentials.identifier)
          ?.websiteIds
      : [];
    expect(data?.websites.nodes.map((n) => n.websiteId).sort()).toEqual(
      [...(reachable ?? [])].sort(),
    );
    expect(t.takeRequests()).toEqual([
      "GET /plugin/connect/websites/all/1?filter_configured=0&include_plan=0",
      "GET /plugin/connect/websites/all/2?filter_configured=0&include_plan=0",
    ]);
  });

  it("checks whether a domain has a website with one HEAD request", async () => {
    const domain = store.website(W)?.domain ?? "";
    t.takeRequests();
    const { data } = await t.query(
      `{ yes: websiteExists(domain: "${domain}") no: websiteExists(domain: "unknown-domain.example") }`,
    );
    expect(data).toEqual({ yes: true, no: false });
    expect(sorted(t.takeRequests())).toEqual(
      sorted([`HEAD /website?domain=${domain}`, "HEAD /website?domain=unknown-domain.example"]),
    );
  });

  it("searches and sorts people with Crisp's parameter names and returns full profiles", async () => {
    t.takeRequests();
    const { data, errors } = await t.query<{
      website: {
        people: {
          nodes: {
            email: string;
            employment: { title: string } | null;
            company: { name: string } | null;
            geolocation: { country: string } | null;
            segments: string[];
          }[];
        };
      };
    }>(
      `{ website { people(first: 25, search: "a", sort: { field: "nickname", order: ASCENDING }) { nodes { email nickname employment { title } company { name employees } geolocation { country } segments } } } }`,
    );
    expect(errors).toBeUndefined();
    expect(data?.website.people.nodes.length).toBeGreaterThan(0);
    expect(data?.website.people.nodes.some((p) => p.company?.name && p.employment?.title)).toBe(
      true,
    );
    expect(t.takeRequests()).toContain(
      `GET /website/${W}/people/profiles/1?per_page=26&sort_field=nickname&sort_order=ascending&search_text=a`,
    );
  });

  it("reads a person's conversations through Crisp's session id list", async () => {
    const person = store
      .people(W)
      .find((p) => (store.personConversations(W, p.people_id, {})?.length ?? 0) > 1);
    const { data, errors } = await t.query<{
      website: { person: { conversations: { nodes: { sessionId: string }[] } } };
    }>(
      `{ website { person(peopleId: "${person?.people_id}") { conversations(first: 5) { nodes { sessionId person { peopleId } } } } } }`,
    );
    expect(errors).toBeUndefined();
    expect(data?.website.person.conversations.nodes.map((n) => n.sessionId)).toEqual(
      store.personConversations(W, person?.people_id ?? "", {})?.slice(0, 5),
    );
  });

  it("lists live visitors, their count and the conversation of those who started one", async () => {
    t.takeRequests();
    const { data, errors } = await t.query<{
      website: {
        visitorCount: { count: number };
        visitors: { nodes: { initiated: boolean; conversation: { sessionId: string } | null }[] };
      };
    }>(
      `{ website { visitorCount { count active limited } visitors(first: 30) { nodes { sessionId initiated lastPage { url } geolocation { city } conversation { sessionId } } } } }`,
    );
    expect(errors).toBeUndefined();
    expect(data?.website.visitors.nodes).toHaveLength(store.visitors(W).length);
    expect(data?.website.visitorCount.count).toBe(store.visitors(W).length);
    const initiated = data?.website.visitors.nodes.filter((v) => v.initiated) ?? [];
    expect(initiated.length).toBeGreaterThan(0);
    expect(initiated.every((v) => v.conversation !== null)).toBe(true);
    expect(t.takeRequests().filter((r) => r.includes("/visitors/"))).toEqual(
      expect.arrayContaining([
        `GET /website/${W}/visitors/count`,
        `GET /website/${W}/visitors/list/1`,
        `GET /website/${W}/visitors/list/2`,
      ]),
    );
  });
});

describe("gateway status", () => {
  it("counts every Crisp request the simulator served", async () => {
    t.takeRequests();
    const before = await t.query<{ gateway: { upstreamRequests: number; quotaUsed: number } }>(
      `{ gateway { upstreamRequests quotaUsed } }`,
    );
    await t.query(DASHBOARD);
    const served = t.takeRequests().length;
    const after = await t.query<{
      gateway: {
        upstreamRequests: number;
        quotaUsed: number;
        quotaLimit: number;
        demo: boolean;
        cacheHits: number;
      };
    }>(`{ gateway { upstreamRequests quotaUsed quotaLimit demo cacheHits cacheMisses version } }`);
    expect(
      (after.data?.gateway.upstreamRequests ?? 0) - (before.data?.gateway.upstreamRequests ?? 0),
    ).toBe(served);
    expect((after.data?.gateway.quotaUsed ?? 0) - (before.data?.gateway.quotaUsed ?? 0)).toBe(
      served,
    );
    expect(after.data?.gateway).toMatchObject({ quotaLimit: 5000, demo: true });
    expect(after.data?.gateway.cacheHits).toBeGreaterThan(0);
  });
});
