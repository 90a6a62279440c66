/**
 * Crisp does not say how many items a page of visitors, or of a person's conversations, holds
 * (crisp-api.md §8). The gateway must not care: served pages of 30 by a mocked Crisp, it reads
 * every item exactly once, window after window, and asks for no page it does not need.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createGateway } from "../src/server.js";
import { queryGateway } from "./helpers/gateway.js";
import {
  CRISP_BASE_URL,
  envelope,
  fixtureText,
  IDENTIFIER,
  KEY,
  mockCrisp,
  PEOPLE_ID,
  WEBSITE_ID,
} from "./helpers/mock-crisp.js";

const crisp = mockCrisp();
const take = () => crisp.take().map(({ path }) => path.replace(`/v1/website/${WEBSITE_ID}`, "~"));

const sessionIds = Array.from(
  { length: 65 },
  (_, n) => `session_00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
);
const PAGE = 30;
/** Page `page` of the 65 items, 30 a page, as Crisp would serve it. */
const pageOf = <T>(items: T[], path: string): T[] => {
  const page = Number(/\/(\d+)$/.exec(path.split("?")[0] ?? "")?.[1] ?? 0);
  return items.slice((page - 1) * PAGE, page * PAGE);
};

const answer = (path: string): string => {
  const route = path.split("?")[0] ?? "";
  if (route === `/v1/website/${WEBSITE_ID}`) {
    return fixtureText("website.json");
  }
  if (route.startsWith(`/v1/website/${WEBSITE_ID}/visitors/list/`)) {
    const visitors = sessionIds.map((session_id) => ({ session_id, initiated: false }));
    return envelope("listed", pageOf(visitors, route));
  }
  if (route === `/v1/website/${WEBSITE_ID}/people/profile/${PEOPLE_ID}`) {
    return envelope("resolved", { people_id: PEOPLE_ID, email: "jane@example.com" });
  }
  if (route.startsWith(`/v1/website/${WEBSITE_ID}/people/conversations/${PEOPLE_ID}/list/`)) {
    return envelope("listed", pageOf(sessionIds, route));
  }
  const session = /\/conversation\/(session_[0-9a-f-]+)$/.exec(route)?.[1];
  if (session !== undefined) {
    return envelope("resolved", {
      session_id: session,
      website_id: WEBSITE_ID,
      state: "unresolved",
      created_at: 1,
      updated_at: 1,
    });
  }
  throw new Error(`unexpected Crisp request ${path}`);
};
crisp.pool
  .intercept({ method: "GET", path: () => true })
  .reply(200, (request) => answer(request.path))
  .persist();

const gateway = createGateway({
  crisp: { baseUrl: CRISP_BASE_URL, identifier: IDENTIFIER, key: KEY, dispatcher: crisp.agent },
  defaultWebsiteId: WEBSITE_ID,
  cache: false,
  operationsPerMinute: 0,
});
afterAll(async () => {
  await gateway.stop();
  await crisp.agent.close();
});

interface Page {
  nodes: { sessionId: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Windows of 20 after each other's last cursor, with the Crisp requests each one made. */
async function windows(read: (after: string | null) => Promise<Page | undefined>) {
  const items: string[] = [];
  const requests: string[][] = [];
  let after: string | null = null;
  for (let window = 0; window < 10; window += 1) {
    const page = await read(after);
    requests.push(take());
    items.push(...(page?.nodes.map((node) => node.sessionId) ?? []));
    after = page?.pageInfo.endCursor ?? after;
    if (!page?.pageInfo.hasNextPage) {
      break;
    }
  }
  return { items, requests };
}

describe("routes whose page size Crisp does not state, served 30 a page", () => {
  it("lists every visitor exactly once, reading each page only where a window needs it", async () => {
    const { items, requests } = await windows(async (after) => {
      const { data, errors } = await queryGateway<{ website: { visitors: Page } }>(
        gateway,
        `query($after: String) { website { visitors(first: 20, after: $after) { nodes { sessionId } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      expect(errors).toBeUndefined();
      return data?.website.visitors;
    });
    expect(items).toEqual(sessionIds);
    expect(requests).toEqual([
      ["~", "~/visitors/list/1"],
      ["~", "~/visitors/list/1", "~/visitors/list/2"],
      ["~", "~/visitors/list/2"],
      // The third page is short (5 of 30): the list ends there, with no request for a fourth.
      ["~", "~/visitors/list/3"],
    ]);
  });

  it("lists every conversation of a person exactly once", async () => {
    const { items, requests } = await windows(async (after) => {
      const { data, errors } = await queryGateway<{ website: { person: { conversations: Page } } }>(
        gateway,
        `query($after: String) { website { person(peopleId: "${PEOPLE_ID}") { conversations(first: 20, after: $after) { nodes { sessionId } pageInfo { hasNextPage endCursor } } } } }`,
        { after },
      );
      expect(errors).toBeUndefined();
      return data?.website.person.conversations;
    });
    expect(items).toEqual(sessionIds);
    const lists = requests.map((window) => window.filter((path) => path.includes("/list/")));
    expect(lists).toEqual([
      [`~/people/conversations/${PEOPLE_ID}/list/1`],
      [`~/people/conversations/${PEOPLE_ID}/list/1`, `~/people/conversations/${PEOPLE_ID}/list/2`],
      [`~/people/conversations/${PEOPLE_ID}/list/2`],
      [`~/people/conversations/${PEOPLE_ID}/list/3`],
    ]);
    // Each conversation is read once, in the window that shows it.
    const reads = requests.flat().filter((path) => path.includes("/conversation/session_"));
    expect(reads).toEqual(sessionIds.map((id) => `~/conversation/${id}`));
  });
});
