/**
 * Crisp answering what nothing foresaw: every field of a conversation, one of its messages, a
 * person, an operator and the website, one at a time, answered with a value of another type
 * (null, a number, a string, an empty or a filled array or object, a boolean), read through
 * the real server from the simulator's store (so the answer crosses HTTP as Crisp's would).
 * Whatever Crisp answers, no answer is a 5xx or a masked "Unexpected error.": a value its field
 * cannot hold is a coded error at that field (src/http/mask-error.ts), and ids the gateway
 * knows itself (the website asked for) are not taken from the answer.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";

const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const W = simulator.defaultWebsiteId;
const gateway = gatewayOn(simulator, { cache: false, operationsPerMinute: 0 });

const QUERIES = [
  `{ website { name domain logo conversations(first: 5) { nodes { sessionId state isBlocked createdAt updatedAt lastMessage unread { operator visitor } waitingSince meta { nickname email phone segments avatar ip address data device { geolocation { country city } system { os { name } browser { name } } } } person { email nickname company { name } segments } assignee { firstName lastName email role } messages(last: 5) { nodes { fingerprint type text from origin timestamp edited author { nickname userId } } } } } } }`,
  `query($s: ID!) { website { conversation(sessionId: $s) { id sessionId state meta { nickname email segments } messages(last: 20) { nodes { id fingerprint type text from timestamp } pageInfo { hasPreviousPage startCursor } } } } }`,
  `query($p: ID!) { website { person(peopleId: $p) { email nickname segments company { name } } people(first: 5) { nodes { email nickname } } operators { userId firstName email role availability } } }`,
];
const VALUES: unknown[] = [null, 5, "x", [], {}, true, -1, "", { a: 1 }, [1, "a"]];

describe("every field Crisp answers, of every other type", () => {
  it("is answered, never with a 5xx or a masked error", { timeout: 60_000 }, async () => {
    const record = simulator.store.record(W);
    const conversation = simulator.store.listConversations(W, {})[0];
    if (record === undefined || conversation === undefined) {
      throw new Error("the simulator has no seeded website");
    }
    const person =
      record.people.find((item) => item.people_id === conversation.people_id) ?? record.people[0];
    const message = record.messages.get(conversation.session_id)?.at(-1);
    const operator = record.operators[0];
    if (person === undefined || message === undefined || operator === undefined) {
      throw new Error("the seeded website lacks a person, a message or an operator");
    }
    const subjects: [string, object][] = [
      ["conversation", conversation],
      ["person", person],
      ["message", message],
      ["operator", operator],
      ["website", record.website],
    ];
    const ask = async (query: string) => {
      const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query,
          variables: { s: conversation.session_id, p: person.people_id },
        }),
      });
      return { status: response.status, text: await response.text() };
    };
    // Untouched, each query is answered whole: what follows reads every field it names.
    for (const query of QUERIES) {
      const answer = await ask(query);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).not.toHaveProperty("errors");
    }
    const problems: string[] = [];
    let asked = 0;
    for (const [name, subject] of subjects) {
      const object = subject as Record<string, unknown>;
      // Each field, and each field of an object field (meta.nickname, details.user_id…).
      const fields: [Record<string, unknown>, string][] = [];
      for (const [key, value] of Object.entries(object)) {
        fields.push([object, key]);
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
          for (const inner of Object.keys(value)) {
            fields.push([value as Record<string, unknown>, inner]);
          }
        }
      }
      for (const [holder, key] of fields) {
        const had = Object.hasOwn(holder, key);
        const kept = holder[key];
        for (const value of VALUES) {
          holder[key] = value;
          for (const query of QUERIES) {
            asked += 1;
            const { status, text } = await ask(query);
            if (
              status >= 500 ||
              text.includes("Unexpected error.") ||
              text.includes("INTERNAL_SERVER_ERROR")
            ) {
              problems.push(`${name} ${key}=${JSON.stringify(value)}: ${text.slice(0, 200)}`);
            }
          }
        }
        if (had) {
          holder[key] = kept;
        } else {
          delete holder[key];
        }
      }
    }
    expect(asked).toBeGreaterThan(2_000);
    expect(problems).toEqual([]);
  });
});
