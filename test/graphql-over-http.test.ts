import { createHash } from "node:crypto";
import { serverAudits } from "graphql-http";
import { afterAll, describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/auth.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";

/**
 * The GraphQL-over-HTTP audit of the graphql-http package, against the gateway as it runs in
 * production: client authentication, request limits, cost limit, deadline, no GraphiQL.
 */
const KEY = "audit-key-0123456789abcdef";
const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());

async function audit(introspection: boolean) {
  const gateway = gatewayOn(simulator, {
    graphiql: false,
    introspection,
    authenticate: createAuthenticator({
      keys: new Map([
        [
          createHash("sha256").update(KEY).digest("hex"),
          { name: "audit", websites: "*", access: "write" },
        ],
      ]),
    }),
  });
  const { url } = await gateway.listen("127.0.0.1", 0);
  const results: { id: string; name: string; status: string; reason?: string }[] = [];
  const fetchFn = (input: RequestInfo | URL, init?: RequestInit) =>
    fetch(input, {
      ...init,
      headers: {
        ...Object.fromEntries(new Headers(init?.headers).entries()),
        authorization: `Bearer ${KEY}`,
      },
    });
  for (const check of serverAudits({ url, fetchFn })) {
    const result = await check.fn();
    results.push({
      id: check.id,
      name: check.name,
      status: result.status,
      ...(result.status === "ok" ? {} : { reason: result.reason }),
    });
  }
  return results;
}

describe("GraphQL over HTTP compliance (graphql-http serverAudits)", () => {
  it("passes every MUST and SHOULD with introspection enabled; the MAYs it skips are CSRF prevention's GETs", async () => {
    const results = await audit(true);
    expect(results.length).toBeGreaterThan(50);
    const failing = results.filter((result) => result.status !== "ok");
    // GET is a "simple" request a foreign page can make: without a preflight header
    // (x-graphql-yoga-csrf, apollo-require-preflight) CSRF prevention refuses it.
    expect(failing.map((result) => [result.id, result.status])).toEqual([
      ["5A70", "notice"],
      ["D6D5", "notice"],
      ["6A70", "notice"],
    ]);
    expect(failing.every((result) => /GET/.test(result.name))).toBe(true);
  });

  it("with introspection off (the production default), also fails the audits that query __type, only because they do", async () => {
    const failing = (await audit(false)).filter((result) => result.status !== "ok");
    // 28B9 and 2EA1 send `{ __type(name: …) }` with variables, refused by the introspection
    // rule; the three GET ones are refused by CSRF prevention, as above.
    expect(failing.map((result) => result.id).sort()).toEqual([
      "28B9",
      "2EA1",
      "5A70",
      "6A70",
      "D6D5",
    ]);
    expect(
      failing.filter((result) => result.status === "error").map((result) => result.id),
    ).toEqual(["28B9"]);
  });
});
