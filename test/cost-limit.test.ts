import { parse } from "graphql";
import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import { OperationBudget } from "../src/budget.js";
import { CrispClient } from "../src/crisp/client.js";
import { SharedCache } from "../src/loaders/cache.js";
import { createLoaders } from "../src/loaders/index.js";
import { estimateCost } from "../src/schema/cost.js";
import { schema } from "../src/schema/index.js";
import { UsageCounters } from "../src/usage.js";
import { startTestGateway } from "./helpers/gateway.js";

const t = await startTestGateway({}, { maxOperationCost: 500 });
const W = t.simulator.defaultWebsiteId;

const DASHBOARD = `{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;

describe("estimating an operation's Crisp requests before it runs", () => {
  it("counts the README dashboard at its worst case, never below what it really costs", async () => {
    // website 1 + name 1 + list 2 + 20 × (person 1 + assignee 1 + messages 2)
    expect(estimateCost(schema, parse(DASHBOARD), null, {})).toBe(84);
    t.takeRequests();
    await t.query(DASHBOARD);
    expect(t.takeRequests().length).toBeLessThanOrEqual(84);
  });

  it("reads page sizes from variables and follows fragments", () => {
    const document = parse(`
      query($n: Int) { website { conversations(first: $n) { edges { node { ...C } } pageInfo { hasNextPage } } } }
      fragment C on Conversation { person { email } }
    `);
    expect(estimateCost(schema, document, null, { n: 10 })).toBe(1 + 2 + 10);
    expect(estimateCost(schema, document, null, {})).toBe(1 + 2 + 20);
  });

  it("counts the costliest member of a union or interface", () => {
    const document = parse(
      `{ nodes(ids: ["a", "b"]) { ... on Conversation { person { email } } ... on Person { email } } }`,
    );
    expect(estimateCost(schema, document, null, {})).toBe(2 + 2 * 1);
  });

  it("refuses an operation over the limit with REQUEST_LIMIT_EXCEEDED, naming both numbers, and calls Crisp never", async () => {
    t.takeRequests();
    const bomb = `{ website { conversations(first: 50) { nodes { messages(last: 50) { nodes { conversation { person { conversations(first: 50) { nodes { sessionId } } } } } } } } } }`;
    const answer = await t.query(bomb);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: "REQUEST_LIMIT_EXCEEDED",
      maxCost: 500,
      estimatedCost: expect.any(Number),
    });
    expect(answer.errors?.[0]?.message).toMatch(
      /could cost up to \d+ Crisp requests; the limit is 500/,
    );
    expect(t.takeRequests()).toEqual([]);
  });

  it("lets an operation under the limit run", async () => {
    const answer = await t.query(
      `{ website(id: "${W}") { conversations(first: 50) { nodes { person { email } } } } }`,
    );
    expect(answer.errors).toBeUndefined();
  });
});

describe("the runtime cap", () => {
  it("stops an operation's loaders past its budget, with REQUEST_LIMIT_EXCEEDED", async () => {
    const usage = new UsageCounters();
    const crisp = new CrispClient({
      baseUrl: t.simulator.url,
      ...t.simulator.credentials,
      dispatcher: new Agent(),
    });
    const budget = new OperationBudget(1);
    const loaders = createLoaders({ crisp, usage, cache: new SharedCache("test"), budget });
    t.takeRequests();
    await loaders.website(W);
    await expect(loaders.operators(W)).rejects.toMatchObject({ code: "REQUEST_LIMIT_EXCEEDED" });
    expect(t.takeRequests()).toEqual([`GET /website/${W}`]);
  });
});
