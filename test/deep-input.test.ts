import { describe, expect, it } from "vitest";
import { startTestGateway } from "./helpers/gateway.js";

/**
 * Deeply nested input is refused with BAD_USER_INPUT before anything recurses over it (a
 * RangeError from JSON.stringify once reached clients as "Unexpected error."), and costs no
 * Crisp request. Bodies are written by hand: JSON.stringify itself cannot nest this deep.
 */
const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const S = t.simulator.store.listConversations(W, {})[0]?.session_id ?? "";
const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const lists = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;
const META = "mutation($i: ConversationMetaInput!) { updateConversationMeta(input: $i) { id } }";

async function send(body: string) {
  const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

describe("deeply nested input", () => {
  it.each([
    ["objects 20,000 deep", objects(20_000)],
    ["lists 20,000 deep", `{"x":${lists(20_000)}}`],
    ["objects 40 deep", objects(40)],
  ])("updateConversationMeta data of %s: BAD_USER_INPUT, no Crisp request", async (_name, data) => {
    t.takeRequests();
    const answer = await send(
      `{"query":${JSON.stringify(META)},"variables":{"i":{"websiteId":"${W}","sessionId":"${S}","data":${data}}}}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.body.errors?.[0]?.message).toMatch(/nest/);
    expect(t.takeRequests()).toEqual([]);
  });

  it("data nested 20 deep in the document itself: BAD_USER_INPUT naming the field, no Crisp request", async () => {
    t.takeRequests();
    const literal = `${"{a: ".repeat(20)}1${"}".repeat(20)}`;
    const answer = await send(
      JSON.stringify({
        query: `mutation { updateConversationMeta(input: { websiteId: "${W}", sessionId: "${S}", data: ${literal} }) { id } }`,
      }),
    );
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.body.errors?.[0]?.message).toMatch(/^input\.data: at most 16 levels of nesting/);
    expect(t.takeRequests()).toEqual([]);
  });

  it("data nested a few levels still goes to Crisp", async () => {
    t.takeRequests();
    const answer = await send(
      `{"query":${JSON.stringify(META)},"variables":{"i":{"websiteId":"${W}","sessionId":"${S}","data":{"plan":{"tier":{"name":"gold"}}}}}}`,
    );
    expect(answer.body.errors).toBeUndefined();
    expect(t.takeRequests()).toContain(`PATCH /website/${W}/conversation/${S}/meta`);
  });

  it("any variable nested past the limit is refused before graphql-js coerces it", async () => {
    const answer = await send(
      `{"query":"query($i: [ID!]!) { nodes(ids: $i) { id } }","variables":{"i":${lists(100_000)}}}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]).toMatchObject({
      message: "The variables nest more than 32 levels deep.",
      extensions: { code: "BAD_USER_INPUT" },
    });
  });
});
