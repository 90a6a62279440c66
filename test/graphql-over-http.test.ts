import { createHash } from "node:crypto";
import { serverAudits } from "graphql-http";
import { afterAll, describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/auth.js";
import { createGateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";

/**
 * The GraphQL-over-HTTP audit of the graphql-http package, against the gateway as it runs in
 * production: client authentication, request limits, cost limit, deadline, no GraphiQL.
 */
const KEY = "audit-key-0123456789abcdef";
const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());

async function audit(introspection: boolean) {
  const gateway = createGateway({
    crisp: { baseUrl: simulator.url, ...simulator.credentials },
    defaultWebsiteId: simulator.defaultWebsiteId,
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
  afterAll(() => gateway.stop());
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
  it("passes every MUST, SHOULD and MAY with introspection enabled", async () => {
    const results = await audit(true);
    expect(results.length).toBeGreaterThan(50);
    expect(results.filter((result) => result.status !== "ok")).toEqual([]);
  });

  it("with introspection off (the production default), fails only the audits that query __type, and only because they do", async () => {
    const failing = (await audit(false)).filter((result) => result.status !== "ok");
    // These four send `{ __type(name: …) }` with variables: refused by the introspection rule.
    expect(failing.map((result) => result.id).sort()).toEqual(["28B9", "2EA1", "6A70", "D6D5"]);
    expect(failing.every((result) => /variables/.test(result.name))).toBe(true);
  });
});
