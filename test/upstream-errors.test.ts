import { describe, expect, it } from "vitest";
import { gatewayOn, queryGateway, startTestGateway } from "./helpers/gateway.js";

const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const LIST = `{ website(id: "${W}") { conversations(first: 5) { nodes { sessionId } } } }`;

/**
 * Until a read succeeds: after a throttling answer the guard lets one probe through and refuses
 * what is sent beside it, and the list is sent beside the website read (issue 12.1), so the
 * next case starts once a probe has found Crisp well again.
 */
async function settleGuard(): Promise<void> {
  for (let attempt = 0; attempt < 1_000; attempt += 1) {
    if ((await t.query(`{ website(id: "${W}") { name } }`)).errors === undefined) {
      return;
    }
  }
  throw new Error("the guard never let a read through again");
}

describe("Crisp failures reach clients as contract error codes", () => {
  it.each([
    [500, undefined, "UPSTREAM_UNAVAILABLE"],
    [503, undefined, "UPSTREAM_UNAVAILABLE"],
    [429, undefined, "RATE_LIMITED"],
    [420, undefined, "RATE_LIMITED"],
    [402, "subscription_upgrade_required", "PLAN_REQUIRED"],
    [403, "not_allowed", "FORBIDDEN"],
    [401, undefined, "UNAUTHENTICATED"],
  ])(
    "Crisp answering %i %s becomes %s with Crisp's reason and nothing else of the answer",
    async (status, reason, code) => {
      t.simulator.configure({ errors: { status, rate: 1, reason, match: /\/conversations\// } });
      try {
        const { data, errors } = await t.query(LIST);
        expect(data).toEqual({ website: null });
        expect(errors).toHaveLength(1);
        const error = errors?.[0];
        expect(error?.path).toEqual(["website", "conversations"]);
        expect(error?.extensions?.code).toBe(code);
        expect(typeof error?.extensions?.crispReason).toBe("string");
        if (code === "RATE_LIMITED") {
          expect(error?.extensions?.retryAfter).toBeGreaterThan(0);
        }
        const text = JSON.stringify(errors);
        expect(text).not.toContain(t.simulator.credentials.key);
        expect(text).not.toContain(t.simulator.credentials.identifier);
        expect(text).not.toContain("127.0.0.1");
        expect(text).not.toContain("/conversations/");
      } finally {
        t.simulator.configure({ errors: null });
        await settleGuard();
      }
    },
  );

  it("keeps the parts of a response that did not fail", async () => {
    t.simulator.configure({ errors: { status: 500, rate: 1, match: /\/operators\/list$/ } });
    try {
      const { data, errors } = await t.query<{
        website: { name: string; conversations: { nodes: { sessionId: string }[] } };
      }>(
        `{ website(id: "${W}") { name conversations(first: 3) { nodes { sessionId } } operators { userId } } }`,
      );
      // operators is non-null, so its failure nulls the nearest nullable parent: website.
      expect(data).toEqual({ website: null });
      expect(errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
      const partial = await t.query<{
        website: {
          name: string;
          conversations: { nodes: { sessionId: string; assignee: unknown }[] };
        };
      }>(
        `{ website(id: "${W}") { name conversations(first: 20) { nodes { sessionId assignee { userId } } } } }`,
      );
      expect(partial.data?.website.name).toBeTruthy();
      expect(partial.data?.website.conversations.nodes).toHaveLength(20);
      expect(partial.data?.website.conversations.nodes.every((n) => n.assignee === null)).toBe(
        true,
      );
      expect(partial.errors?.length).toBeGreaterThan(0);
      expect(
        partial.errors?.every(
          (e) => e.extensions?.code === "UPSTREAM_UNAVAILABLE" && e.path?.at(-1) === "assignee",
        ),
      ).toBe(true);
    } finally {
      t.simulator.configure({ errors: null });
    }
  });

  it("answers GATEWAY_TIMEOUT when Crisp is slower than the configured timeout", async () => {
    const slow = await startTestGateway({ latencyMs: 3_000 }, {});
    const fast = gatewayOn(slow.simulator, { crisp: { timeoutMs: 300 } });
    const body = await queryGateway(fast, "{ website { name } }");
    expect(body.errors?.[0]?.extensions?.code).toBe("GATEWAY_TIMEOUT");
  });

  it("answers UPSTREAM_UNAVAILABLE when nothing listens at the Crisp URL", async () => {
    const closed = await startTestGateway();
    await closed.simulator.close();
    // Its URL, where nothing listens any more.
    const gateway = gatewayOn(closed.simulator, { crisp: { identifier: "i", key: "k" } });
    const body = await queryGateway(gateway, "{ website { name } }");
    expect(body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(body.errors?.[0]?.message).not.toContain("127.0.0.1");
  });

  it("answers UNAUTHENTICATED when Crisp refuses the gateway's credentials", async () => {
    const gateway = gatewayOn(t.simulator, { crisp: { key: "wrong" } });
    const body = await queryGateway(gateway, "{ website { name } }");
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(body.errors?.[0]?.message).not.toContain("wrong");
  });
});

describe("bad GraphQL", () => {
  it("refuses a syntax error and an unknown field with a clear message and no Crisp request", async () => {
    t.takeRequests();
    const syntax = await t.query("{ website { name ");
    expect(syntax.errors?.[0]?.message).toMatch(/Syntax Error/);
    const unknown = await t.query("{ website { nmae } }");
    expect(unknown.errors?.[0]?.message).toMatch(/Cannot query field "nmae"/);
    expect(t.takeRequests()).toEqual([]);
  });

  it("refuses a body that is not JSON with HTTP 400", async () => {
    const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
  });
});

describe("gateway.rateLimitedUntil", () => {
  it("is set after Crisp throttles, and null otherwise", async () => {
    const fresh = await startTestGateway({}, { guard: {} });
    const quiet = await fresh.query<{ gateway: { rateLimitedUntil: string | null } }>(
      "{ gateway { rateLimitedUntil } }",
    );
    expect(quiet.data?.gateway.rateLimitedUntil).toBeNull();
    fresh.simulator.configure({ errors: { status: 429, rate: 1 } });
    await fresh.query("{ website { name } }");
    fresh.simulator.configure({ errors: null });
    const throttled = await fresh.query<{ gateway: { rateLimitedUntil: string | null } }>(
      "{ gateway { rateLimitedUntil } }",
    );
    expect(Date.parse(throttled.data?.gateway.rateLimitedUntil ?? "")).toBeGreaterThan(Date.now());
  });
});
