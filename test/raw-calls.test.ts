/**
 * Raw Crisp calls (`crispRequest`), through the gateway against the simulator, with the exact
 * Crisp requests asserted: who may send them, which paths they may name, and that they go
 * through the same quota, cache and retry rules as every other read or write.
 */
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../src/auth.js";
import { errorCode, startTestGateway } from "./helpers/gateway.js";
import { keysFileOf } from "./helpers/keys.js";

const JWT_SECRET = "a-jwt-secret-of-at-least-32-characters!!";
const KEYS = {
  raw: "raw-admin-0123456789abcdef",
  plain: "plain-admin-0123456789abcdef",
  rawA: "raw-website-a-0123456789abcdef",
  rawReader: "raw-reader-0123456789abcdef",
};

// The websites are known before the gateway starts: the seed is fixed.
const probe = await startTestGateway();
const [A, B] = probe.simulator.store.websites.map((website) => website.website_id);
const WEBSITE_A = A ?? "";
const WEBSITE_B = B ?? "";
const keys = keysFileOf([
  { name: "etl", key: KEYS.raw, websites: ["*"], access: "write", raw: true },
  { name: "dashboard", key: KEYS.plain, websites: ["*"], access: "write" },
  { name: "make-a", key: KEYS.rawA, websites: [WEBSITE_A], access: "write", raw: true },
  { name: "reader", key: KEYS.rawReader, websites: ["*"], access: "read", raw: true },
]);

const t = await startTestGateway(
  {},
  {
    authenticate: createAuthenticator({
      keys: keys,
      jwt: { secret: JWT_SECRET },
    }),
    // Raw GETs are cached like other reads: this file checks it.
    cache: {},
    dailyQuota: 5_000,
  },
);
const store = t.simulator.store;
const SESSION_A =
  store.listConversations(WEBSITE_A, {}).find((c) => c.state !== "resolved")?.session_id ?? "";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const code = errorCode;

const GET = `query($path: String!, $query: JSON) { crispRequest(path: $path, query: $query) { status reason data } }`;
const WRITE = `mutation($method: CrispWriteMethod!, $path: String!, $query: JSON, $body: JSON) { crispRequest(method: $method, path: $path, query: $query, body: $body) { status reason data } }`;

interface Raw {
  crispRequest: { status: number; reason: string | null; data: unknown };
}

describe("raw reads", () => {
  it("answers any GET route as Crisp's status, reason and data, with Crisp's parameter names", async () => {
    t.takeRequests();
    const response = await t.query<Raw>(
      GET,
      {
        path: `/website/${WEBSITE_A}/conversations/1`,
        query: { per_page: 20, filter_unread: true },
      },
      bearer(KEYS.raw),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.crispRequest.status).toBe(206);
    expect(response.data?.crispRequest.reason).toBe("listed");
    const expected = store
      .listConversations(WEBSITE_A, { unread: true, order: "updated" })
      .slice(0, 20)
      .map((c) => c.session_id);
    const data = response.data?.crispRequest.data as { session_id: string }[];
    expect(data.map((c) => c.session_id)).toEqual(expected);
    expect(t.takeRequests()).toEqual([
      // In name order: the same call, however written, is one cache entry.
      `GET /website/${WEBSITE_A}/conversations/1?filter_unread=1&per_page=20`,
    ]);
  });

  it("caches a GET like any read: the same call again costs no Crisp request", async () => {
    const path = `/website/${WEBSITE_A}/visitors/count`;
    t.takeRequests();
    const first = await t.query<Raw>(GET, { path }, bearer(KEYS.raw));
    const second = await t.query<Raw>(GET, { path }, bearer(KEYS.raw));
    expect(first.data?.crispRequest).toEqual(second.data?.crispRequest);
    expect(first.data?.crispRequest.data).toMatchObject({ count: expect.any(Number) });
    expect(t.takeRequests()).toEqual([`GET ${path}`]);
    expect(second.extensions?.cost).toMatchObject({ crispRequests: 0, cacheHits: 1 });
  });

  it("counts each raw call against the daily quota", async () => {
    const quota = `{ gateway { quotaUsed } }`;
    const before = await t.query<{ gateway: { quotaUsed: number } }>(quota, {}, bearer(KEYS.raw));
    await t.query(GET, { path: `/website/${WEBSITE_A}/operators/list` }, bearer(KEYS.raw));
    await t.query(GET, { path: `/website/${WEBSITE_B}/operators/list` }, bearer(KEYS.raw));
    const after = await t.query<{ gateway: { quotaUsed: number } }>(quota, {}, bearer(KEYS.raw));
    expect((after.data?.gateway.quotaUsed ?? 0) - (before.data?.gateway.quotaUsed ?? 0)).toBe(2);
  });

  it("retries a GET Crisp fails with 503, as every read", async () => {
    const path = `/website/${WEBSITE_B}/visitors/list/1`;
    t.simulator.configure({ errors: { status: 503, rate: 1, match: /\/visitors\/list\// } });
    try {
      t.takeRequests();
      const response = await t.query(GET, { path }, bearer(KEYS.raw));
      expect(code(response)).toBe("UPSTREAM_UNAVAILABLE");
      expect(t.takeRequests()).toEqual([`GET ${path}`, `GET ${path}`, `GET ${path}`]);
    } finally {
      t.simulator.configure({ errors: null });
    }
  });
});

describe("raw writes", () => {
  it("sends the write once with its body, and later reads show the change", async () => {
    const path = `/website/${WEBSITE_A}/conversation/${SESSION_A}/state`;
    // Loaded first, so a stale cached copy would show if the write did not drop it.
    const read = `query($s: ID!) { website { conversation(sessionId: $s) { state } } }`;
    await t.query(read, { s: SESSION_A }, bearer(KEYS.raw));
    t.simulator.clearRequests();
    const response = await t.query<Raw>(
      WRITE,
      { method: "PATCH", path, body: { state: "resolved" } },
      bearer(KEYS.raw),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.crispRequest).toEqual({ status: 200, reason: "updated", data: {} });
    const sent = t.simulator.requests.map((request) => [
      `${request.method} ${request.url}`,
      request.body,
    ]);
    expect(sent).toEqual([[`PATCH ${path}`, { state: "resolved" }]]);
    const after = await t.query<{ website: { conversation: { state: string } } }>(
      read,
      { s: SESSION_A },
      bearer(KEYS.raw),
    );
    expect(after.data?.website.conversation.state).toBe("RESOLVED");
  });

  it("never retries a write, even when Crisp fails with 503", async () => {
    const path = `/website/${WEBSITE_A}/conversation/${SESSION_A}/meta`;
    t.simulator.configure({ errors: { status: 503, rate: 1, match: /\/meta$/ } });
    try {
      t.takeRequests();
      const response = await t.query(
        WRITE,
        { method: "PATCH", path, body: { subject: "Raw" } },
        bearer(KEYS.raw),
      );
      expect(code(response)).toBe("UPSTREAM_UNAVAILABLE");
      expect(t.takeRequests()).toEqual([`PATCH ${path}`]);
    } finally {
      t.simulator.configure({ errors: null });
    }
  });

  it("refuses a read-only client's raw write with FORBIDDEN and no Crisp request", async () => {
    t.takeRequests();
    const response = await t.query(
      WRITE,
      { method: "DELETE", path: `/website/${WEBSITE_A}/conversation/${SESSION_A}` },
      bearer(KEYS.rawReader),
    );
    expect(code(response)).toBe("FORBIDDEN");
    expect(t.takeRequests()).toEqual([]);
  });
});

describe("who may send raw calls", () => {
  it("refuses a client whose key does not grant raw calls with FORBIDDEN before anything is sent", async () => {
    t.takeRequests();
    const read = await t.query(
      `query($path: String!) { website(id: "${WEBSITE_A}") { name } crispRequest(path: $path) { status } }`,
      { path: `/website/${WEBSITE_A}/visitors/count` },
      bearer(KEYS.plain),
    );
    expect(code(read)).toBe("FORBIDDEN");
    const write = await t.query(
      WRITE,
      { method: "POST", path: `/website/${WEBSITE_A}/conversation` },
      bearer(KEYS.plain),
    );
    expect(code(write)).toBe("FORBIDDEN");
    expect(t.takeRequests()).toEqual([]);
  });

  it("takes a raw: true JWT claim, and refuses a JWT without it", async () => {
    const jwt = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("make")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(JWT_SECRET));
    const path = `/website/${WEBSITE_B}/conversations/2`;
    const granted = await t.query<Raw>(
      GET,
      { path },
      bearer(await jwt({ websites: ["*"], access: "read", raw: true })),
    );
    expect(granted.errors).toBeUndefined();
    expect(granted.data?.crispRequest.status).toBe(206);
    const refused = await t.query(
      GET,
      { path },
      bearer(await jwt({ websites: ["*"], access: "read", raw: "yes" })),
    );
    expect(code(refused)).toBe("FORBIDDEN");
  });

  it("keeps a client to its websites: another website is NOT_FOUND, a path naming none FORBIDDEN, with no request", async () => {
    t.takeRequests();
    const other = await t.query(
      GET,
      { path: `/website/${WEBSITE_B}/visitors/count` },
      bearer(KEYS.rawA),
    );
    expect(code(other)).toBe("NOT_FOUND");
    const settings = await t.query(
      GET,
      { path: `/plugins/subscription/${WEBSITE_B}/${t.simulator.pluginId}/settings` },
      bearer(KEYS.rawA),
    );
    expect(code(settings)).toBe("NOT_FOUND");
    const account = await t.query(
      GET,
      { path: "/plugin/connect/websites/all/1" },
      bearer(KEYS.rawA),
    );
    expect(code(account)).toBe("FORBIDDEN");
    expect(t.takeRequests()).toEqual([]);
    const own = await t.query<Raw>(
      GET,
      { path: `/website/${WEBSITE_A}/operators/list` },
      bearer(KEYS.rawA),
    );
    expect(own.errors).toBeUndefined();
  });
});

describe("what a raw path may be", () => {
  it.each([
    ["another host", "https://evil.example/v1/website"],
    ["a protocol-relative host", "//evil.example/website"],
    ["no leading slash", `website/${WEBSITE_A}`],
    ["a parent segment", `/website/${WEBSITE_A}/../../user/account`],
    ["a dot segment", `/website/./${WEBSITE_A}`],
    ["percent-encoding", `/website/${WEBSITE_A}%2F..%2Fuser`],
    ["an encoded dot segment", "/website/%2e%2e/user"],
    ["a query in the path", `/website/${WEBSITE_A}?domain=x`],
    ["a fragment", `/website/${WEBSITE_A}#x`],
    ["an empty segment", `/website//${WEBSITE_A}`],
    ["a backslash", `/website\\${WEBSITE_A}`],
    ["the /v1 prefix", `/v1/website/${WEBSITE_A}`],
    ["a website id of the wrong shape", "/website/not-a-website/conversations/1"],
    ["a session id of the wrong shape", `/website/${WEBSITE_A}/conversation/session_x/messages`],
    [
      "a fingerprint of the wrong shape",
      `/website/${WEBSITE_A}/conversation/${SESSION_A}/message/12ab`,
    ],
    ["a people id of the wrong shape", `/website/${WEBSITE_A}/people/profile/nobody`],
  ])("refuses %s with BAD_USER_INPUT and no Crisp request", async (_name, path) => {
    t.takeRequests();
    const response = await t.query(GET, { path }, bearer(KEYS.raw));
    expect(code(response)).toBe("BAD_USER_INPUT");
    expect(response.errors?.[0]?.extensions?.field).toBe("path");
    expect(t.takeRequests()).toEqual([]);
  });

  it("refuses query values that are not strings, numbers or booleans, and a body that is not JSON data", async () => {
    t.takeRequests();
    const nested = await t.query(
      GET,
      { path: `/website/${WEBSITE_A}/conversations/1`, query: { per_page: { $gt: 1 } } },
      bearer(KEYS.raw),
    );
    expect(code(nested)).toBe("BAD_USER_INPUT");
    expect(nested.errors?.[0]?.extensions?.field).toBe("query.per_page");
    const text = await t.query(
      WRITE,
      { method: "POST", path: `/website/${WEBSITE_A}/conversation`, body: "not an object" },
      bearer(KEYS.raw),
    );
    expect(code(text)).toBe("BAD_USER_INPUT");
    expect(t.takeRequests()).toEqual([]);
  });
});
