import { describe, expect, test } from "vitest";
import type { CrispAssumptions, Simulator, WireVisitor } from "../src/simulator/index.js";
import { type GraphQLResponse, startTestGateway, type TestGateway } from "./helpers/gateway.js";

/**
 * The gateway must not depend on what Crisp leaves undocumented: the page size of lists that
 * take no `per_page`, the `/messages` batch size, what a `per_page` outside 20..50 does, the
 * status of the end of a list. Each case starts a simulator that believes something else
 * (docs/simulator.md, Assumptions), runs the gateway's read path through GraphQL page after
 * page, and checks the gateway returns every item exactly once, in Crisp's order.
 */

type AssumptionsInput = Parameters<Simulator["configure"]>[0]["assumptions"];

/** At most this many GraphQL pages per walk: a gateway that never ends fails instead of hanging. */
const MAX_PAGES = 200;

function data<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  if (response.data === null || response.data === undefined) {
    throw new Error(`no data: ${JSON.stringify(response)}`);
  }
  return response.data;
}

interface ForwardConnection {
  edges: { cursor: string; node: Record<string, string> }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Runs `document` with `after` cursors until `hasNextPage` is false, and answers the `key` of
 * every node served, in order. `path` leads from `data` to the connection.
 */
async function walkConnection(
  query: TestGateway["query"],
  document: string,
  { path, key, variables }: { path: string[]; key: string; variables: Record<string, unknown> },
): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    let value: unknown = data(await query(document, { ...variables, after }));
    for (const step of path) {
      value = (value as Record<string, unknown>)[step];
    }
    const { edges, pageInfo } = value as ForwardConnection;
    ids.push(...edges.map((edge) => edge.node[key] ?? ""));
    if (!pageInfo.hasNextPage) {
      return ids;
    }
    expect(pageInfo.endCursor).not.toBeNull();
    after = pageInfo.endCursor;
  }
  throw new Error(`still more after ${MAX_PAGES} pages`);
}

async function gatewayBelieving(assumptions: AssumptionsInput): Promise<TestGateway> {
  return startTestGateway({ assumptions });
}

/** Requests the simulator refused while the gateway walked (it must never send a bad one). */
function refused(simulator: Simulator): string[] {
  return simulator.requests
    .filter((request) => request.status >= 400)
    .map((request) => `${request.status} ${request.method} ${request.url}`);
}

describe("visitors, whatever Crisp's page size", () => {
  /** 75 visitors, so pages of 10, 20 or 30 all end on a short page. */
  function addVisitors(simulator: Simulator): string[] {
    const record = simulator.store.record(simulator.defaultWebsiteId);
    const seeded = record?.visitors ?? [];
    const extra: WireVisitor[] = Array.from({ length: 75 - seeded.length }, (_, index) => ({
      ...(seeded[index % seeded.length] as WireVisitor),
      session_id: `session_00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
      initiated: false,
    }));
    record?.visitors.push(...extra);
    return (record?.visitors ?? []).map((visitor) => visitor.session_id);
  }

  const VISITORS = `query ($after: String, $first: Int) {
    website { visitors(first: $first, after: $after) {
      edges { cursor node { sessionId } } pageInfo { hasNextPage endCursor }
    } }
  }`;

  for (const size of [20, 30, 10]) {
    test(`lists every visitor once, in order, when Crisp pages them by ${size}`, async () => {
      const { simulator, query } = await gatewayBelieving({ pageSizes: { visitors: size } });
      const expected = addVisitors(simulator);
      for (const first of [20, 7, 50]) {
        const ids = await walkConnection(query, VISITORS, {
          path: ["website", "visitors"],
          key: "sessionId",
          variables: { first },
        });
        expect({ first, ids }).toEqual({ first, ids: expected });
      }
      expect(refused(simulator)).toEqual([]);
    });
  }
});

describe("a person's conversations, whatever Crisp's page size", () => {
  /** Binds 45 conversations with messages to one person: more than two pages of 20. */
  function busyPerson(simulator: Simulator): { peopleId: string; expected: string[] } {
    const site = simulator.defaultWebsiteId;
    const peopleId = simulator.store.people(site)[0]?.people_id ?? "";
    const withMessages = simulator.store
      .conversations(site)
      .filter((item) => (simulator.store.messages(site, item.session_id)?.length ?? 0) > 0);
    for (const conversation of withMessages.slice(0, 45)) {
      conversation.people_id = peopleId;
    }
    const expected = simulator.store.personConversations(site, peopleId, {}) ?? [];
    expect(expected.length).toBeGreaterThanOrEqual(45);
    return { peopleId, expected };
  }

  const CONVERSATIONS = `query ($peopleId: ID!, $after: String, $first: Int) {
    website { person(peopleId: $peopleId) { conversations(first: $first, after: $after) {
      edges { cursor node { sessionId } } pageInfo { hasNextPage endCursor }
    } } }
  }`;

  for (const size of [20, 30, 10]) {
    test(`lists every conversation once, in order, when Crisp pages them by ${size}`, async () => {
      const { simulator, query } = await gatewayBelieving({
        pageSizes: { personConversations: size },
      });
      const { peopleId, expected } = busyPerson(simulator);
      for (const first of [20, 9]) {
        const ids = await walkConnection(query, CONVERSATIONS, {
          path: ["website", "person", "conversations"],
          key: "sessionId",
          variables: { peopleId, first },
        });
        expect({ first, ids }).toEqual({ first, ids: expected });
      }
      expect(refused(simulator)).toEqual([]);
    });
  }
});

describe("messages, whatever Crisp's /messages batch size", () => {
  const MESSAGES = `query ($sessionId: ID!, $before: String, $last: Int) {
    website { conversation(sessionId: $sessionId) { messages(last: $last, before: $before) {
      edges { cursor node { fingerprint } } pageInfo { hasPreviousPage startCursor }
    } } }
  }`;

  interface BackwardConnection {
    edges: { cursor: string; node: { fingerprint: number } }[];
    pageInfo: { hasPreviousPage: boolean; startCursor: string | null };
  }

  for (const batch of [40, 25, 60]) {
    test(`pages back through every message once, in order, with batches of ${batch}`, async () => {
      const { simulator, query } = await gatewayBelieving({ messagesBatch: batch });
      const site = simulator.defaultWebsiteId;
      const long = simulator.store
        .conversations(site)
        .filter((item) => (simulator.store.messages(site, item.session_id)?.length ?? 0) > 120);
      expect(long.length).toBeGreaterThan(0);
      for (const conversation of long.slice(0, 2)) {
        const expected = (simulator.store.messages(site, conversation.session_id) ?? []).map(
          (message) => message.fingerprint,
        );
        for (const last of [50, 20, 33]) {
          const seen: number[] = [];
          let before: string | null = null;
          for (let page = 0; page < MAX_PAGES; page++) {
            const result: { website: { conversation: { messages: BackwardConnection } } } = data(
              await query<{ website: { conversation: { messages: BackwardConnection } } }>(
                MESSAGES,
                { sessionId: conversation.session_id, before, last },
              ),
            );
            const { edges, pageInfo } = result.website.conversation.messages;
            seen.unshift(...edges.map((edge) => edge.node.fingerprint));
            if (!pageInfo.hasPreviousPage) {
              break;
            }
            before = pageInfo.startCursor;
          }
          expect({ last, seen }).toEqual({ last, seen: expected });
        }
      }
      expect(refused(simulator)).toEqual([]);
    });
  }
});

describe("lists with per_page, whatever Crisp does outside 20..50", () => {
  const CONVERSATIONS = `query ($after: String, $first: Int) {
    website { conversations(first: $first, after: $after) {
      edges { cursor node { sessionId } } pageInfo { hasNextPage endCursor }
    } }
  }`;
  const PEOPLE = `query ($after: String, $first: Int) {
    website { people(first: $first, after: $after) {
      edges { cursor node { peopleId } } pageInfo { hasNextPage endCursor }
    } }
  }`;

  const cases: { name: string; assumptions: Partial<CrispAssumptions> }[] = [
    { name: "clamps it", assumptions: { perPageOutOfRange: "clamp" } },
    { name: "refuses it with 400 invalid_data", assumptions: { perPageOutOfRange: "refuse" } },
    {
      name: "refuses it and answers 206 past the end",
      assumptions: { perPageOutOfRange: "refuse", listEndStatus: 206 },
    },
  ];

  for (const { name, assumptions } of cases) {
    test(`lists every conversation and person once, in order, when Crisp ${name}`, async () => {
      const { simulator, query } = await gatewayBelieving(assumptions);
      const site = simulator.defaultWebsiteId;
      const conversations = simulator.store
        .listConversations(site, { order: "updated" })
        .map((item) => item.session_id);
      const people = simulator.store.listPeople(site, {}).map((item) => item.people_id);
      for (const first of [20, 7, 33, 50]) {
        const listed = await walkConnection(query, CONVERSATIONS, {
          path: ["website", "conversations"],
          key: "sessionId",
          variables: { first },
        });
        expect({ first, listed }).toEqual({ first, listed: conversations });
      }
      for (const first of [20, 45]) {
        const listed = await walkConnection(query, PEOPLE, {
          path: ["website", "people"],
          key: "peopleId",
          variables: { first },
        });
        expect({ first, listed }).toEqual({ first, listed: people });
      }
      expect(refused(simulator)).toEqual([]);
    });
  }
});

describe("the plugin's websites, whatever Crisp's page size", () => {
  for (const size of [1, 2, 20]) {
    test(`lists every website the plugin reaches once, in order, by ${size} a page`, async () => {
      const { simulator, query } = await gatewayBelieving({
        pageSizes: { pluginWebsites: size },
        listEndStatus: size === 2 ? 206 : 200,
      });
      const plugin = simulator.tokens.find((token) => token.tier === "plugin");
      const result = data(
        await query<{ websites: { nodes: { websiteId: string }[] } }>(
          "{ websites(first: 50) { nodes { websiteId } } }",
        ),
      );
      expect(result.websites.nodes.map((node) => node.websiteId)).toEqual(plugin?.websiteIds);
      expect(refused(simulator)).toEqual([]);
    });
  }
});
