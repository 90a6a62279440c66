import { Buffer } from "node:buffer";
import { afterEach, beforeEach, describe, expect, onTestFinished, test } from "vitest";
import { OperationBudget } from "../src/budget.js";
import { createCrispDispatcher } from "../src/crisp/client.js";
import { getConversation, listConversations } from "../src/crisp/conversations.js";
import { getMessage, listMessages } from "../src/crisp/messages.js";
import {
  getPeopleProfile,
  listPeopleProfiles,
  listPersonConversations,
} from "../src/crisp/people.js";
import { listConnectedWebsites } from "../src/crisp/plugin.js";
import type { CrispConnectedWebsite } from "../src/crisp/types.js";
import { UpstreamGuard } from "../src/crisp/upstream-guard.js";
import { getWebsite, websiteExists } from "../src/crisp/website.js";
import { ErrorCode, type GatewayError, isGatewayError } from "../src/errors.js";
import {
  CRISP_ORIGIN,
  envelope,
  fixture,
  fixtureData,
  fixtureText,
  IDENTIFIER,
  KEY,
  type MockCrisp,
  mockCrisp,
  OPERATOR_ID,
  PEOPLE_ID,
  SESSION_ID,
  splitPath,
  startSilentServer,
  WEBSITE_ID,
} from "./helpers/mock-crisp.js";

/** Crisp's `data.message` on errors: a detail that must never reach a client. */
const BODY_CANARY = "crisp-internal-detail-canary";

let crisp: MockCrisp;

beforeEach(() => {
  crisp = mockCrisp();
});

afterEach(async () => {
  await crisp.agent.close();
});

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, it resolved");
}

/** The GatewayError `promise` rejects with, after checking it leaks nothing of the exchange. */
async function gatewayErrorOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await rejectionOf(promise);
  if (!isGatewayError(error)) {
    throw error;
  }
  expectNothingLeaked(error);
  return error;
}

/**
 * Neither the message nor what a GraphQL client would receive (toJSON) carries a credential,
 * the URL, or the Crisp body.
 */
function expectNothingLeaked(error: GatewayError): void {
  const basic = Buffer.from(`${IDENTIFIER}:${KEY}`).toString("base64");
  for (const shown of [error.message, JSON.stringify(error)]) {
    for (const secret of [
      KEY,
      IDENTIFIER,
      basic,
      CRISP_ORIGIN,
      "api.crisp.chat",
      "/v1",
      BODY_CANARY,
    ]) {
      expect(shown).not.toContain(secret);
    }
    expect(shown).not.toContain(`/website/${WEBSITE_ID}`);
    expect(shown).not.toMatch(/<html|"error"\s*:|"data"\s*:/i);
  }
  expect(error.message).not.toContain("{");
}

const websitePath = `/v1/website/${WEBSITE_ID}`;
const conversationPath = `${websitePath}/conversation/${SESSION_ID}`;

describe("request signing", () => {
  test("signs GET, HEAD and POST with Basic identifier:key, the plugin tier, a user agent and accept json", async () => {
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });
    crisp.reply({ method: "HEAD", pathname: "/v1/website", status: 200 });
    crisp.reply({
      method: "POST",
      pathname: "/v1/website",
      status: 201,
      body: fixtureText("website-create.json"),
    });

    await getWebsite(crisp.client, WEBSITE_ID);
    await websiteExists(crisp.client, "crisp.chat");
    const created = await crisp.client.request({
      method: "POST",
      path: "/website",
      body: { name: "x", domain: "y.com" },
    });

    expect(created).toEqual({
      status: 201,
      reason: "added",
      data: fixtureData("website-create.json"),
    });
    const basic = `Basic ${Buffer.from(`${IDENTIFIER}:${KEY}`).toString("base64")}`;
    expect(crisp.seen.map((seen) => seen.method)).toEqual(["GET", "HEAD", "POST"]);
    for (const { headers } of crisp.seen) {
      expect(headers).toMatchObject({
        authorization: basic,
        "x-crisp-tier": "plugin",
        accept: "application/json",
      });
      expect(headers["user-agent"]).toMatch(/\S/);
    }
    crisp.agent.assertNoPendingInterceptors();
  });

  test("sends a POST body as JSON with an application/json content type, and none on a GET", async () => {
    crisp.reply({
      method: "POST",
      pathname: "/v1/website",
      status: 201,
      body: fixtureText("website-create.json"),
    });
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });

    await crisp.client.request({
      method: "POST",
      path: "/website",
      body: { name: "x", domain: "y.com" },
    });
    await getWebsite(crisp.client, WEBSITE_ID);

    const [post, get] = crisp.seen;
    expect(post?.headers["content-type"]).toMatch(/^application\/json(;|$)/);
    expect(JSON.parse(post?.body ?? "")).toEqual({ name: "x", domain: "y.com" });
    expect(get?.headers["content-type"]).toBeUndefined();
    expect(get?.body).toBeUndefined();
    crisp.agent.assertNoPendingInterceptors();
  });

  test("sends the configured tier and user agent", async () => {
    const client = crisp.clientWith({ tier: "website", userAgent: "acme-gateway/2.0" });
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });

    await getWebsite(client, WEBSITE_ID);

    expect(crisp.seen[0]?.headers).toMatchObject({
      "x-crisp-tier": "website",
      "user-agent": "acme-gateway/2.0",
    });
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("response envelope", () => {
  test("unwraps data of a 200 resolved answer and returns the website as Crisp sent it", async () => {
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });

    const website = await getWebsite(crisp.client, WEBSITE_ID);
    const raw = await crisp.client.request({ method: "GET", path: `/website/${WEBSITE_ID}` });

    expect(website).toEqual(fixtureData("website.json"));
    expect(raw).toEqual({ status: 200, reason: "resolved", data: fixtureData("website.json") });
    crisp.agent.assertNoPendingInterceptors();
  });

  test("unwraps data of a 206 listed answer and returns the conversations as Crisp sent them", async () => {
    const pathname = `${websitePath}/conversations/1`;
    crisp.reply({ pathname, status: 206, body: fixtureText("conversation-list.json") });
    crisp.reply({ pathname, status: 206, body: fixtureText("conversation-list.json") });

    const conversations = await listConversations(crisp.client, WEBSITE_ID, {
      page: 1,
      perPage: 20,
    });
    const raw = await crisp.client.request({
      method: "GET",
      path: `/website/${WEBSITE_ID}/conversations/1`,
    });

    expect(conversations).toEqual(fixtureData("conversation-list.json"));
    expect(raw).toEqual({
      status: 206,
      reason: "listed",
      data: fixtureData("conversation-list.json"),
    });
    crisp.agent.assertNoPendingInterceptors();
  });

  test("gives an empty object for a success answer without data", async () => {
    crisp.reply({ method: "DELETE", pathname: websitePath, body: envelope("deleted", null) });

    const deleted = await crisp.client.request({
      method: "DELETE",
      path: `/website/${WEBSITE_ID}`,
    });

    expect(deleted).toEqual({ status: 200, reason: "deleted", data: {} });
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("query strings", () => {
  test("sends every conversation filter under Crisp's name, booleans as 1/0 and the assignee as a user id", async () => {
    crisp.reply({
      pathname: `${websitePath}/conversations/2`,
      status: 206,
      body: envelope("listed", []),
    });

    await listConversations(crisp.client, WEBSITE_ID, {
      page: 2,
      perPage: 50,
      searchQuery: "refund please",
      searchType: "text",
      searchOperator: "or",
      includeEmpty: false,
      filterInboxId: "inbox-1",
      filterUnread: true,
      filterResolved: false,
      filterNotResolved: true,
      filterMention: true,
      filterAssigned: OPERATOR_ID,
      filterUnassigned: false,
      filterDateStart: "2018-03-01T17:00:00.000Z",
      filterDateEnd: "2018-04-01T00:00:00.000Z",
      order: "updated",
    });

    expect(crisp.seen.map((seen) => splitPath(seen.path))).toEqual([
      {
        pathname: `${websitePath}/conversations/2`,
        query: [
          ["filter_assigned", OPERATOR_ID],
          ["filter_date_end", "2018-04-01T00:00:00.000Z"],
          ["filter_date_start", "2018-03-01T17:00:00.000Z"],
          ["filter_inbox_id", "inbox-1"],
          ["filter_mention", "1"],
          ["filter_not_resolved", "1"],
          ["filter_resolved", "0"],
          ["filter_unassigned", "0"],
          ["filter_unread", "1"],
          ["include_empty", "0"],
          ["order_date_updated", "1"],
          ["per_page", "50"],
          ["search_operator", "or"],
          ["search_query", "refund please"],
          ["search_type", "text"],
        ],
      },
    ]);
    crisp.agent.assertNoPendingInterceptors();
  });

  test.for([
    { order: "created", param: "order_date_created" },
    { order: "waiting", param: "order_date_waiting" },
  ] as const)("sends order $order as $param=1", async ({ order, param }) => {
    crisp.reply({
      pathname: `${websitePath}/conversations/1`,
      status: 206,
      body: envelope("listed", []),
    });

    await listConversations(crisp.client, WEBSITE_ID, { page: 1, perPage: 20, order });

    expect(splitPath(crisp.seen[0]?.path ?? "").query).toEqual([
      [param, "1"],
      ["per_page", "20"],
    ]);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("sends only per_page when no conversation filter is given", async () => {
    crisp.reply({
      pathname: `${websitePath}/conversations/1`,
      status: 206,
      body: envelope("listed", []),
    });

    await listConversations(crisp.client, WEBSITE_ID, { page: 1, perPage: 20 });

    expect(crisp.seen.map((seen) => seen.path)).toEqual([
      `${websitePath}/conversations/1?per_page=20`,
    ]);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("sends per_page, sort_field, sort_order and search_text for people profiles, and nothing absent", async () => {
    const pathname = `${websitePath}/people/profiles/3`;
    crisp.reply({ pathname, status: 206, body: envelope("listed", []) });
    crisp.reply({ pathname, status: 206, body: envelope("listed", []) });

    await listPeopleProfiles(crisp.client, WEBSITE_ID, {
      page: 3,
      perPage: 40,
      sortField: "nickname",
      sortOrder: "descending",
      searchText: "jane doe",
    });
    await listPeopleProfiles(crisp.client, WEBSITE_ID, { page: 3, perPage: 20 });

    expect(crisp.seen.map((seen) => splitPath(seen.path))).toEqual([
      {
        pathname,
        query: [
          ["per_page", "40"],
          ["search_text", "jane doe"],
          ["sort_field", "nickname"],
          ["sort_order", "descending"],
        ],
      },
      { pathname, query: [["per_page", "20"]] },
    ]);
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("messages", () => {
  /** The closest verbatim message shape Crisp publishes (crisp-api.md §4.6), minus its ids. */
  function messageWithoutIds(): Record<string, unknown> {
    const hook = fixture("webhook-message-send.json") as { data: Record<string, unknown> };
    const { website_id: _website, session_id: _session, ...message } = hook.data;
    return message;
  }

  test("reports older messages on 206, sends timestamp_before and fills each message's ids", async () => {
    const message = messageWithoutIds();
    crisp.reply({
      pathname: `${conversationPath}/messages`,
      status: 206,
      body: envelope("listed", [message, { ...message, fingerprint: 150698569649424 }]),
    });

    const batch = await listMessages(crisp.client, WEBSITE_ID, SESSION_ID, 1506985696616);

    expect(batch.hasOlder).toBe(true);
    expect(batch.messages).toEqual([
      { ...message, website_id: WEBSITE_ID, session_id: SESSION_ID },
      { ...message, fingerprint: 150698569649424, website_id: WEBSITE_ID, session_id: SESSION_ID },
    ]);
    expect(crisp.seen.map((seen) => seen.path)).toEqual([
      `${conversationPath}/messages?timestamp_before=1506985696616`,
    ]);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("reports no older messages on 200 and sends no query without a timestamp", async () => {
    const message = messageWithoutIds();
    crisp.reply({
      pathname: `${conversationPath}/messages`,
      status: 200,
      body: envelope("listed", [message]),
    });

    const batch = await listMessages(crisp.client, WEBSITE_ID, SESSION_ID, undefined);

    expect(batch).toEqual({
      hasOlder: false,
      messages: [{ ...message, website_id: WEBSITE_ID, session_id: SESSION_ID }],
    });
    expect(crisp.seen.map((seen) => seen.path)).toEqual([`${conversationPath}/messages`]);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("fills the ids of a single message from the path", async () => {
    const message = messageWithoutIds();
    crisp.reply({
      pathname: `${conversationPath}/message/150698569649423`,
      body: envelope("resolved", message),
    });

    const read = await getMessage(crisp.client, WEBSITE_ID, SESSION_ID, 150698569649423);

    expect(read).toEqual({ ...message, website_id: WEBSITE_ID, session_id: SESSION_ID });
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("error mapping", () => {
  const errorEnvelope = (reason: string) => envelope(reason, { message: BODY_CANARY }, true);

  test.for([
    {
      status: 401,
      body: "401 Unauthorized",
      code: ErrorCode.UNAUTHENTICATED,
      crispReason: undefined,
    },
    {
      status: 401,
      body: errorEnvelope("invalid_session"),
      code: ErrorCode.UNAUTHENTICATED,
      crispReason: "invalid_session",
    },
    {
      status: 402,
      body: fixtureText("error-subscription-upgrade-required.json"),
      code: ErrorCode.PLAN_REQUIRED,
      crispReason: "subscription_upgrade_required",
    },
    {
      status: 403,
      body: fixtureText("error-not-allowed.json"),
      code: ErrorCode.FORBIDDEN,
      crispReason: "not_allowed",
    },
    {
      status: 404,
      body: fixtureText("error-not-subscribed.json"),
      code: ErrorCode.NOT_FOUND,
      crispReason: "not_subscribed",
    },
    {
      status: 404,
      body: fixtureText("error-website-not-found.json"),
      code: ErrorCode.NOT_FOUND,
      crispReason: "website_not_found",
    },
    {
      status: 404,
      body: errorEnvelope("session_not_found"),
      code: ErrorCode.NOT_FOUND,
      crispReason: "session_not_found",
    },
    {
      status: 400,
      body: errorEnvelope("invalid_data"),
      code: ErrorCode.BAD_USER_INPUT,
      crispReason: "invalid_data",
    },
    {
      status: 400,
      body: fixtureText("error-search-query-too-long.json"),
      code: ErrorCode.BAD_USER_INPUT,
      crispReason: "search_query_too_long",
    },
    {
      status: 409,
      body: errorEnvelope("too_many_messages"),
      code: ErrorCode.CONFLICT,
      crispReason: "too_many_messages",
    },
    {
      status: 423,
      body: fixtureText("error-quota-limit-exceeded.json"),
      code: ErrorCode.QUOTA_EXCEEDED,
      crispReason: "quota_limit_exceeded",
    },
    {
      status: 500,
      body: errorEnvelope("server_error"),
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      crispReason: "server_error",
    },
    {
      status: 502,
      body: "<html><body>502 Bad Gateway</body></html>",
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      crispReason: undefined,
    },
    {
      status: 503,
      body: `Service Unavailable ${BODY_CANARY}`,
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      crispReason: undefined,
    },
  ])("maps HTTP $status $crispReason to $code", async ({ status, body, code, crispReason }) => {
    // Reads are retried on 5xx: Crisp sees the request three times.
    const attempts = status >= 500 ? 3 : 1;
    for (let i = 0; i < attempts; i += 1) {
      crisp.reply({ pathname: conversationPath, status, body });
    }

    const error = await gatewayErrorOf(
      crisp.client.request({
        method: "GET",
        path: `/website/${WEBSITE_ID}/conversation/${SESSION_ID}`,
      }),
    );

    expect(error.code).toBe(code);
    expect(error.extensions).toEqual({
      code,
      ...(crispReason === undefined ? {} : { crispReason }),
      // A 423 holds its scope back for a minute or more: the caller is told how long.
      ...(status === 423 ? { retryAfter: expect.toSatisfy((s: number) => s >= 60) } : {}),
    });
    expect(crisp.exchanges).toHaveLength(attempts);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("does not take a 423 password_unverified for a spent quota", async () => {
    crisp.reply({
      method: "DELETE",
      pathname: websitePath,
      status: 423,
      body: fixtureText("error-password-unverified.json"),
    });

    const error = await gatewayErrorOf(
      crisp.client.request({
        method: "DELETE",
        path: `/website/${WEBSITE_ID}`,
        body: { verify: {} },
      }),
    );

    expect(error.code).not.toBe(ErrorCode.QUOTA_EXCEEDED);
    expect(error.extensions.crispReason).toBe("password_unverified");
    crisp.agent.assertNoPendingInterceptors();
  });

  test.for([420, 429])(
    "maps HTTP %i to RATE_LIMITED with a positive retryAfter although Crisp sends no Retry-After",
    async (status) => {
      crisp.reply({ pathname: conversationPath, status, body: `Enhance Your Calm ${BODY_CANARY}` });

      const error = await gatewayErrorOf(getConversation(crisp.client, WEBSITE_ID, SESSION_ID));

      expect(error.code).toBe(ErrorCode.RATE_LIMITED);
      expect(error.extensions.retryAfter).toEqual(expect.any(Number));
      expect(error.extensions.retryAfter).toBeGreaterThan(0);
      crisp.agent.assertNoPendingInterceptors();
    },
  );

  test("honours a Retry-After header in seconds or as an HTTP date", async () => {
    crisp.reply({
      pathname: conversationPath,
      status: 429,
      body: envelope("rate_limited", {}, true),
      headers: { "retry-after": "7" },
    });
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    crisp.reply({
      pathname: conversationPath,
      status: 420,
      body: "",
      headers: { "retry-after": inTwoMinutes },
    });

    const inSeconds = await gatewayErrorOf(getConversation(crisp.client, WEBSITE_ID, SESSION_ID));
    // The first client now holds back for 7 s (its guard honours Retry-After): ask with another.
    const atDate = await gatewayErrorOf(
      getConversation(crisp.clientWith({}), WEBSITE_ID, SESSION_ID),
    );

    expect(inSeconds.extensions).toEqual({
      code: ErrorCode.RATE_LIMITED,
      crispReason: "rate_limited",
      retryAfter: 7,
    });
    expect(atDate.code).toBe(ErrorCode.RATE_LIMITED);
    expect(atDate.extensions.retryAfter).toBeGreaterThanOrEqual(118);
    expect(atDate.extensions.retryAfter).toBeLessThanOrEqual(120);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("maps a 200 answer whose body is not JSON to UPSTREAM_UNAVAILABLE", async () => {
    crisp.reply({
      pathname: websitePath,
      status: 200,
      body: `<html><body>Maintenance ${BODY_CANARY}</body></html>`,
      headers: { "content-type": "text/html" },
    });

    const error = await gatewayErrorOf(getWebsite(crisp.client, WEBSITE_ID));

    expect(error.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(error.extensions).toEqual({ code: ErrorCode.UPSTREAM_UNAVAILABLE });
    crisp.agent.assertNoPendingInterceptors();
  });

  // `JSON.parse("null")` is valid JSON but no envelope: it must not surface as a TypeError.
  test("maps a 200 answer whose JSON is not an envelope (null) to UPSTREAM_UNAVAILABLE", async () => {
    crisp.reply({ pathname: websitePath, status: 200, body: "null" });

    const error = await gatewayErrorOf(getWebsite(crisp.client, WEBSITE_ID));

    expect(error.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("maps a network error to UPSTREAM_UNAVAILABLE without its message", async () => {
    crisp.pool
      .intercept({ path: websitePath })
      .replyWithError(new Error(`boom ${CRISP_ORIGIN}${websitePath} ${BODY_CANARY}`));

    const error = await gatewayErrorOf(getWebsite(crisp.client, WEBSITE_ID));

    expect(error.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(error.message).not.toContain("boom");
    crisp.agent.assertNoPendingInterceptors();
  });

  test("maps a Crisp that sends no headers within headersTimeoutMs to GATEWAY_TIMEOUT (production dispatcher, real socket)", async () => {
    // MockAgent ignores `headersTimeout`, so this runs the production Agent against a loopback
    // server that never answers. undici's headers timer ticks at ~1 s, hence the short wait.
    const server = await startSilentServer();
    onTestFinished(() => server.close());
    const dispatcher = createCrispDispatcher();
    onTestFinished(() => dispatcher.destroy());
    const client = crisp.clientWith({ baseUrl: server.baseUrl, dispatcher, headersTimeoutMs: 50 });

    const error = await gatewayErrorOf(getWebsite(client, WEBSITE_ID));

    expect(error.code).toBe(ErrorCode.GATEWAY_TIMEOUT);
    // The server may parse the request after the client gave up on a busy machine.
    await server.received(1);
    expect(server.requests.map(({ method, url }) => ({ method, url }))).toEqual([
      { method: "GET", url: websitePath },
    ]);
    expect(crisp.exchanges).toEqual([
      { method: "GET", path: `/website/${WEBSITE_ID}`, status: 0, durationMs: expect.any(Number) },
    ]);
  });

  // A dispatcher may ignore `headersTimeout` (MockAgent, custom interceptors): the client keeps
  // its own deadline.
  test("maps a reply delayed past headersTimeoutMs to GATEWAY_TIMEOUT whatever the dispatcher", async () => {
    const client = crisp.clientWith({ headersTimeoutMs: 50 });
    crisp.pool.intercept({ path: websitePath }).reply(200, fixtureText("website.json")).delay(500);

    const error = await gatewayErrorOf(getWebsite(client, WEBSITE_ID));

    expect(error.code).toBe(ErrorCode.GATEWAY_TIMEOUT);
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("not found", () => {
  test.for([
    { name: "not_subscribed", body: fixtureText("error-not-subscribed.json") },
    { name: "website_not_found", body: fixtureText("error-website-not-found.json") },
    { name: "session_not_found", body: envelope("session_not_found", {}, true) },
  ])("resolves single-object reads to null on a 404 $name", async ({ body }) => {
    crisp.reply({ pathname: websitePath, status: 404, body });
    crisp.reply({ pathname: conversationPath, status: 404, body });
    crisp.reply({ pathname: `${websitePath}/people/profile/${PEOPLE_ID}`, status: 404, body });
    crisp.reply({
      pathname: `${websitePath}/people/profile/jane.doe%40acme-inc.com`,
      status: 404,
      body,
    });
    crisp.reply({ pathname: `${conversationPath}/message/150698569649423`, status: 404, body });

    expect(await getWebsite(crisp.client, WEBSITE_ID)).toBeNull();
    expect(await getConversation(crisp.client, WEBSITE_ID, SESSION_ID)).toBeNull();
    expect(await getPeopleProfile(crisp.client, WEBSITE_ID, PEOPLE_ID)).toBeNull();
    expect(await getPeopleProfile(crisp.client, WEBSITE_ID, "jane.doe@acme-inc.com")).toBeNull();
    expect(await getMessage(crisp.client, WEBSITE_ID, SESSION_ID, 150698569649423)).toBeNull();
    crisp.agent.assertNoPendingInterceptors();
  });

  test("does not turn other failures of a single-object read into null", async () => {
    crisp.reply({
      pathname: websitePath,
      status: 403,
      body: fixtureText("error-not-allowed.json"),
    });

    const error = await gatewayErrorOf(getWebsite(crisp.client, WEBSITE_ID));

    expect(error.code).toBe(ErrorCode.FORBIDDEN);
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("HEAD checks", () => {
  test("says a website exists on 200 and not on 404, asking Crisp with ?domain=", async () => {
    crisp.reply({ method: "HEAD", pathname: "/v1/website", status: 200 });
    crisp.reply({ method: "HEAD", pathname: "/v1/website", status: 404 });

    expect(await websiteExists(crisp.client, "crisp.chat")).toBe(true);
    expect(await websiteExists(crisp.client, "unknown-shop.example.com")).toBe(false);

    expect(crisp.seen.map(({ method, path }) => ({ method, path }))).toEqual([
      { method: "HEAD", path: "/v1/website?domain=crisp.chat" },
      { method: "HEAD", path: "/v1/website?domain=unknown-shop.example.com" },
    ]);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("treats a HEAD failure other than 404 as an error, not as missing", async () => {
    crisp.reply({ method: "HEAD", pathname: "/v1/website", status: 503 });

    const error = await gatewayErrorOf(websiteExists(crisp.client, "crisp.chat"));

    expect(error.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    crisp.agent.assertNoPendingInterceptors();
  });

  test.for(["not a domain", "crisp.chat/../v1", "crisp.chat?x=1", "localhost", ""])(
    "rejects the domain %j as BAD_USER_INPUT without asking Crisp",
    async (domain) => {
      const error = await gatewayErrorOf(websiteExists(crisp.client, domain));

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.extensions.field).toBe("domain");
      expect(crisp.exchanges).toEqual([]);
      crisp.agent.assertNoPendingInterceptors();
    },
  );
});

describe("id validation", () => {
  const cases: { name: string; field: string; call: (c: MockCrisp) => Promise<unknown> }[] = [
    {
      name: "a website id with ../",
      field: "websiteId",
      call: (c) => getConversation(c.client, "../../x", SESSION_ID),
    },
    {
      name: "a website id with an encoded slash",
      field: "websiteId",
      call: (c) => getWebsite(c.client, `${WEBSITE_ID}%2F..%2Fplugin`),
    },
    {
      name: "a website id with a query",
      field: "websiteId",
      call: (c) => getWebsite(c.client, `${WEBSITE_ID}?admin=1`),
    },
    {
      name: "a website id with a fragment",
      field: "websiteId",
      call: (c) => listMessages(c.client, `${WEBSITE_ID}#x`, SESSION_ID, undefined),
    },
    {
      name: "a session id without session_",
      field: "sessionId",
      call: (c) => getConversation(c.client, WEBSITE_ID, SESSION_ID.slice("session_".length)),
    },
    {
      name: "a session id with an encoded slash",
      field: "sessionId",
      call: (c) => getConversation(c.client, WEBSITE_ID, "session_x%2F..%2F.."),
    },
    {
      name: "a session id with a query",
      field: "sessionId",
      call: (c) =>
        listMessages(c.client, WEBSITE_ID, `${SESSION_ID}?timestamp_before=1`, undefined),
    },
    {
      name: "a people id neither UUID nor email",
      field: "peopleId",
      call: (c) => getPeopleProfile(c.client, WEBSITE_ID, "jane"),
    },
    {
      name: "a people email with a path",
      field: "peopleId",
      call: (c) => getPeopleProfile(c.client, WEBSITE_ID, "jane@acme.com/../../x"),
    },
    {
      name: "a people email with a query",
      field: "peopleId",
      call: (c) => getPeopleProfile(c.client, WEBSITE_ID, "jane@acme.com?x=1"),
    },
    {
      name: "an email where only a people UUID fits",
      field: "peopleId",
      call: (c) => listPersonConversations(c.client, WEBSITE_ID, "jane@acme.com", 1),
    },
    {
      name: "an assignee that is a flag, not a user id",
      field: "assignedTo",
      call: (c) =>
        listConversations(c.client, WEBSITE_ID, { page: 1, perPage: 20, filterAssigned: "1" }),
    },
    {
      name: "a fingerprint of 0 (Crisp's are signed, never 0)",
      field: "fingerprint",
      call: (c) => getMessage(c.client, WEBSITE_ID, SESSION_ID, 0),
    },
    {
      name: "a fractional fingerprint",
      field: "fingerprint",
      call: (c) => getMessage(c.client, WEBSITE_ID, SESSION_ID, 1.5),
    },
  ];

  test.for(cases)(
    "rejects $name as BAD_USER_INPUT without any request",
    async ({ field, call }) => {
      const error = await gatewayErrorOf(call(crisp));

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.extensions.field).toBe(field);
      expect(crisp.exchanges).toEqual([]);
      expect(crisp.seen).toEqual([]);
      crisp.agent.assertNoPendingInterceptors();
    },
  );
});

describe("connected websites", () => {
  const connected = (n: number): CrispConnectedWebsite => ({
    website_id: `00000000-0000-4000-8000-00000000000${n}`,
    token: `token-${n}`,
    settings: { message: `hello ${n}` },
  });

  test("walks pages until Crisp answers an empty page", async () => {
    crisp.reply({
      pathname: "/v1/plugin/connect/websites/all/1",
      body: envelope("listed", [connected(1), connected(2)]),
    });
    crisp.reply({
      pathname: "/v1/plugin/connect/websites/all/2",
      body: envelope("listed", [connected(3)]),
    });
    crisp.reply({ pathname: "/v1/plugin/connect/websites/all/3", body: envelope("listed", []) });

    const websites = await listConnectedWebsites(crisp.client);

    expect(websites).toEqual([connected(1), connected(2), connected(3)]);
    expect(crisp.seen.map((seen) => seen.path)).toEqual([
      "/v1/plugin/connect/websites/all/1?filter_configured=0&include_plan=0",
      "/v1/plugin/connect/websites/all/2?filter_configured=0&include_plan=0",
      "/v1/plugin/connect/websites/all/3?filter_configured=0&include_plan=0",
    ]);
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("charging an operation's budget", () => {
  test("charges every attempt, retries and each page of a walk included", async () => {
    crisp.reply({ pathname: websitePath, status: 503, body: "" });
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });
    crisp.reply({
      pathname: "/v1/plugin/connect/websites/all/1",
      body: envelope("listed", [{ website_id: WEBSITE_ID, token: "t", settings: {} }]),
    });
    crisp.reply({ pathname: "/v1/plugin/connect/websites/all/2", body: envelope("listed", []) });
    crisp.reply({ method: "HEAD", pathname: "/v1/website", status: 200 });
    const budget = new OperationBudget(10);
    const operation = crisp.client.forOperation(budget);

    await getWebsite(operation, WEBSITE_ID);
    expect(budget.crispRequests).toBe(2);
    await listConnectedWebsites(operation);
    expect(budget.crispRequests).toBe(4);
    await websiteExists(operation, "crisp.chat");
    expect(budget.crispRequests).toBe(5);
    expect(crisp.exchanges).toHaveLength(5);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("sends nothing past the budget; a retry it cannot afford ends with Crisp's own answer", async () => {
    crisp.reply({ pathname: websitePath, status: 503, body: "" });
    const budget = new OperationBudget(1);
    const operation = crisp.client.forOperation(budget);

    const retried = await gatewayErrorOf(getWebsite(operation, WEBSITE_ID));
    expect(retried.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    const refused = await gatewayErrorOf(getWebsite(operation, WEBSITE_ID));
    expect(refused.code).toBe(ErrorCode.REQUEST_LIMIT_EXCEEDED);
    expect(budget.crispRequests).toBe(1);
    expect(crisp.seen).toHaveLength(1);
    crisp.agent.assertNoPendingInterceptors();
  });

  test("does not charge a request the guard refuses", async () => {
    const guard = new UpstreamGuard({ dailyQuota: 0 });
    const budget = new OperationBudget(5);
    const operation = crisp.clientWith({ guard }).forOperation(budget);

    const refused = await gatewayErrorOf(getWebsite(operation, WEBSITE_ID));
    expect(refused.code).toBe(ErrorCode.QUOTA_EXCEEDED);
    expect(budget.crispRequests).toBe(0);
    expect(crisp.seen).toEqual([]);
  });
});

describe("exchange reporting", () => {
  test("reports each HTTP request once, answered, failed or unanswered (status 0)", async () => {
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });
    crisp.reply({
      pathname: conversationPath,
      status: 404,
      body: envelope("session_not_found", {}, true),
    });
    crisp.reply({ method: "HEAD", pathname: "/v1/website", status: 200 });
    crisp.reply({ pathname: `${websitePath}/operators/list`, status: 429, body: "" });
    crisp.pool
      .intercept({ path: `${websitePath}/visitors/count` })
      .replyWithError(new Error("boom"));

    await getWebsite(crisp.client, WEBSITE_ID);
    await getConversation(crisp.client, WEBSITE_ID, SESSION_ID);
    await websiteExists(crisp.client, "crisp.chat");
    // A network failure is retried (three attempts); a 429 is not, the client backs off.
    await rejectionOf(
      crisp.client.request({ method: "GET", path: `/website/${WEBSITE_ID}/visitors/count` }),
    );
    await rejectionOf(
      crisp.client.request({ method: "GET", path: `/website/${WEBSITE_ID}/operators/list` }),
    );

    expect(crisp.exchanges).toEqual([
      {
        method: "GET",
        path: `/website/${WEBSITE_ID}`,
        status: 200,
        durationMs: expect.any(Number),
      },
      {
        method: "GET",
        path: `/website/${WEBSITE_ID}/conversation/${SESSION_ID}`,
        status: 404,
        durationMs: expect.any(Number),
      },
      { method: "HEAD", path: "/website", status: 200, durationMs: expect.any(Number) },
      ...[1, 2, 3].map(() => ({
        method: "GET",
        path: `/website/${WEBSITE_ID}/visitors/count`,
        status: 0,
        durationMs: expect.any(Number),
      })),
      {
        method: "GET",
        path: `/website/${WEBSITE_ID}/operators/list`,
        status: 429,
        durationMs: expect.any(Number),
      },
    ]);
    for (const { durationMs } of crisp.exchanges) {
      expect(durationMs).toBeGreaterThanOrEqual(0);
    }
    crisp.agent.assertNoPendingInterceptors();
  });
});

describe("cancellation", () => {
  test("rejects with the reason of an already aborted signal and sends nothing", async () => {
    crisp.reply({ pathname: websitePath, body: fixtureText("website.json") });
    const controller = new AbortController();
    const reason = new Error("the GraphQL client went away");
    controller.abort(reason);

    await expect(getWebsite(crisp.client, WEBSITE_ID, controller.signal)).rejects.toBe(reason);

    // undici hands the request to the dispatcher and aborts it at connect, before any byte is
    // written; the mock's reply never runs.
    expect(crisp.seen).toEqual([]);
  });

  test("rejects when aborted mid-request and sends no further page", async () => {
    const controller = new AbortController();
    const reason = new Error("the GraphQL client went away");
    crisp.reply({
      pathname: "/v1/plugin/connect/websites/all/1",
      body: envelope("listed", [{ website_id: WEBSITE_ID, token: "t", settings: {} }]),
    });
    crisp.reply({
      pathname: "/v1/plugin/connect/websites/all/2",
      body: envelope("listed", [{ website_id: WEBSITE_ID, token: "t", settings: {} }]),
      // Crisp has the request but has not answered yet.
      onRequest: () => controller.abort(reason),
    });
    crisp.reply({ pathname: "/v1/plugin/connect/websites/all/3", body: envelope("listed", []) });

    await expect(listConnectedWebsites(crisp.client, controller.signal)).rejects.toBe(reason);

    expect(crisp.seen.map((seen) => splitPath(seen.path).pathname)).toEqual([
      "/v1/plugin/connect/websites/all/1",
      "/v1/plugin/connect/websites/all/2",
    ]);
    expect(crisp.exchanges.map(({ path, status }) => ({ path, status }))).toEqual([
      { path: "/plugin/connect/websites/all/1", status: 200 },
      { path: "/plugin/connect/websites/all/2", status: 0 },
    ]);
    expect(crisp.agent.pendingInterceptors()).toHaveLength(1);
  });
});
