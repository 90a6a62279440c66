import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/auth.js";
import { startTestGateway } from "./helpers/gateway.js";

/**
 * `gateway { … }` shows the whole process's traffic only to credentials that may see every
 * website; any other credentials see their own operations' numbers, so no client learns what
 * another does. The quota and the hold are the token's, shown to everyone.
 */
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const KEYS = {
  admin: "admin-key-0123456789abcdef",
  alice: "alice-key-0123456789abcdef",
  bob: "bob-key-0123456789abcdef00",
};
const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const other = await startTestGateway(
  {},
  {
    authenticate: createAuthenticator({
      keys: new Map([
        [sha256(KEYS.admin), { name: "admin", websites: "*", access: "read" }],
        [sha256(KEYS.alice), { name: "alice", websites: new Set([W]), access: "read" }],
        [sha256(KEYS.bob), { name: "bob", websites: new Set([W]), access: "read" }],
      ]),
    }),
  },
);

interface Status {
  gateway: {
    upstreamRequests: number;
    cacheHits: number;
    cacheMisses: number;
    quotaUsed: number;
    quotaLimit: number | null;
  };
}

async function as(key: string, query: string) {
  const response = await other.gateway.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Status; errors?: unknown[] };
}
const STATUS = "{ gateway { upstreamRequests cacheHits cacheMisses quotaUsed quotaLimit } }";

describe("gateway status", () => {
  it("shows a viewer of every website the process's counters, any other viewer only its own", async () => {
    await as(KEYS.alice, `{ website(id: "${W}") { name operators { userId } } }`);
    const alice = (await as(KEYS.alice, STATUS)).data?.gateway;
    const bob = (await as(KEYS.bob, STATUS)).data?.gateway;
    const admin = (await as(KEYS.admin, STATUS)).data?.gateway;
    expect(alice?.upstreamRequests).toBeGreaterThanOrEqual(2);
    expect(alice?.cacheMisses).toBeGreaterThanOrEqual(2);
    expect(bob).toMatchObject({ upstreamRequests: 0, cacheHits: 0, cacheMisses: 0 });
    expect(admin?.upstreamRequests).toBeGreaterThanOrEqual(alice?.upstreamRequests ?? 0);
    expect(admin?.cacheMisses).toBeGreaterThanOrEqual(alice?.cacheMisses ?? 0);
    // The token's quota is everyone's.
    expect(bob?.quotaUsed).toBe(admin?.quotaUsed);
    expect(bob?.quotaUsed).toBeGreaterThanOrEqual(2);
  });

  it("an open gateway (every viewer sees every website) shows the process's counters", async () => {
    await t.query(`{ website { name } }`);
    const status = await t.query<Status>(STATUS);
    expect(status.data?.gateway.upstreamRequests).toBeGreaterThanOrEqual(1);
  });
});
