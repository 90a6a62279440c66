/**
 * Malformed arguments are BAD_USER_INPUT with no Crisp request at all, wherever they stand in
 * the operation (as the README promises): each field's own argument check runs in the cost
 * estimate, before anything executes, with the arguments its resolver would get.
 */
import { describe, expect, it } from "vitest";
import { encodeGlobalId } from "../src/schema/global-id.js";
import { startTestGateway } from "./helpers/gateway.js";

const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const S = t.simulator.store.listConversations(W, {})[0]?.session_id ?? "";

describe("arguments checked before Crisp", () => {
  it.each([
    [
      "a malformed conversation filter (assignedTo not an operator id)",
      `{ website { name conversations(filter: { assignedTo: "bob" }) { nodes { id } } } }`,
      {},
      "filter.assignedTo",
    ],
    [
      "a FILTER search that is not Crisp's JSON criteria",
      `{ website { name conversations(search: { type: FILTER, query: "state is open" }) { nodes { id } } } }`,
      {},
      "search.query",
    ],
    [
      "a FILTER criterion with a field Crisp does not know",
      `query($q: String!) { website { conversations(search: { type: FILTER, query: $q }) { nodes { id } } } }`,
      {
        q: JSON.stringify([
          { model: "session", criterion: "state", operator: "eq", query: ["open"], drop: 1 },
        ]),
      },
      "search.query[0].drop",
    ],
    [
      "a search operator outside a FILTER search",
      `{ website { conversations(search: { query: "refund", operator: OR }) { nodes { id } } } }`,
      {},
      "search.operator",
    ],
    [
      "conversations(first: 100)",
      `{ website { name conversations(first: 100) { nodes { id } } } }`,
      {},
      "first",
    ],
    [
      "conversations(first: $n) with n = 100",
      `query($n: Int) { website { conversations(first: $n) { nodes { id } } } }`,
      { n: 100 },
      "first",
    ],
    [
      "a cursor that is not one",
      `{ website { conversations(after: "bm90IGEgY3Vyc29y") { nodes { id } } } }`,
      {},
      "after",
    ],
    [
      "messages(last: 100)",
      `query($s: ID!) { website { conversation(sessionId: $s) { messages(last: 100) { nodes { text } } } } }`,
      { s: S },
      "last",
    ],
    [
      "messages(last: 100) on a node reached by id",
      `query($id: ID!) { node(id: $id) { ... on Conversation { messages(last: 100) { nodes { text } } } } }`,
      { id: encodeGlobalId("Conversation", `${W}/${S}`) },
      "last",
    ],
    ["people(first: 51)", `{ website { people(first: 51) { nodes { email } } } }`, {}, "first"],
    [
      "a malformed session id",
      `{ website { name conversation(sessionId: "session_nope") { state } } }`,
      {},
      "sessionId",
    ],
    [
      "a person asked for by both id and email",
      `{ website { person(peopleId: "${"0".repeat(8)}-0000-4000-8000-000000000000", email: "a@b.example") { email } } }`,
      {},
      "peopleId",
    ],
  ])(
    "refuses %s with BAD_USER_INPUT and zero Crisp requests",
    async (_name, query, variables, field) => {
      t.takeRequests();
      const response = await t.query(query, variables);
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(response.data ?? null).toBeNull();
      expect(response.extensions?.cost).toEqual({ estimated: 0, crispRequests: 0, cacheHits: 0 });
      expect(t.takeRequests()).toEqual([]);
    },
  );

  it("lets the same operation run once its arguments are valid", async () => {
    t.takeRequests();
    const response = await t.query(
      `{ website { name conversations(first: 50) { nodes { id } } } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(t.takeRequests()).toHaveLength(2);
  });
});
