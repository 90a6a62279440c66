import { afterAll, describe, expect, it } from "vitest";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";

const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const _W = simulator.defaultWebsiteId;
const gateway = gatewayOn(simulator);
const { url } = await gateway.listen("127.0.0.1", 0);

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: (() => {
      try {
        return JSON.parse(text) as {
          errors?: { message: string; extensions?: { code?: string } }[];
        };
      } catch {
        return undefined;
      }
    })(),
  };
}

const nest = (depth: number): string =>
  depth === 0 ? "sessionId" : `conversation { messages(last: 1) { nodes { ${nest(depth - 1)} } } }`;

describe("abusive requests are refused before any Crisp request", () => {
  it.each([
    [
      "a depth bomb",
      JSON.stringify({
        query: `{ website { conversations(first: 1) { nodes { messages(last: 1) { nodes { ${nest(12)} } } } } } }`,
      }),
      400,
      /depth/i,
      "REQUEST_LIMIT_EXCEEDED",
    ],
    [
      "an alias bomb",
      JSON.stringify({
        query: `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: website { name }`).join(" ")} }`,
      }),
      400,
      /aliases/i,
      "REQUEST_LIMIT_EXCEEDED",
    ],
    [
      "a huge document",
      JSON.stringify({ query: `{ website { ${"name ".repeat(5_000)} } }` }),
      400,
      /token/i,
      "REQUEST_LIMIT_EXCEEDED",
    ],
    [
      "a directive flood",
      JSON.stringify({ query: `{ website { name ${"@include(if: true) ".repeat(50)} } }` }),
      400,
      /directive/i,
      "REQUEST_LIMIT_EXCEEDED",
    ],
    [
      "fragment cycles",
      JSON.stringify({
        query: "{ website { ...A } } fragment A on Website { ...B } fragment B on Website { ...A }",
      }),
      400,
      /cannot spread fragment/i,
      undefined,
    ],
    [
      "a giant variables object",
      JSON.stringify({
        query: "query($v: JSON) { website { name } }",
        variables: { v: "x".repeat(2_000_000) },
      }),
      413,
      /larger than/i,
      "REQUEST_LIMIT_EXCEEDED",
    ],
    [
      "a batch of operations",
      JSON.stringify([{ query: "{ website { name } }" }, { query: "{ website { name } }" }]),
      400,
      /./,
      undefined,
    ],
    ["malformed JSON", '{"query": ', 400, /./, undefined],
    // The access log once read a non-string operationName as text: HTTP 500.
    [
      "a document that does not parse, with an operationName that is not a string",
      JSON.stringify({ query: "Q&EV}", operationName: [[false]] }),
      400,
      /Syntax Error/,
      "GRAPHQL_PARSE_FAILED",
    ],
  ])(
    "refuses %s with its own clear error and no Crisp request",
    async (_name, body, status, message, code) => {
      simulator.clearRequests();
      const answer = await post(body);
      expect(answer.status).toBe(status);
      expect(answer.text).toMatch(message);
      if (code !== undefined) {
        expect(answer.json?.errors?.[0]?.extensions?.code).toBe(code);
      }
      expect(simulator.requests).toEqual([]);
    },
  );

  it("still serves a normal query after all that", async () => {
    const answer = await post(JSON.stringify({ query: "{ website { name } }" }));
    expect(answer.status).toBe(200);
  });
});
