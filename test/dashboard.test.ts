import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { launchChromium } from "./helpers/chromium.js";

/**
 * The example dashboard (examples/dashboard: React, Apollo Client 4, InMemoryCache with only
 * relayStylePagination) in Debian's Chromium, served the way `npm run dashboard` serves it:
 * the demo gateway and Vite's dev server (a development build, so Apollo's and React's
 * warnings are on). Live demo activity is off, so only the test changes anything.
 */
let serve: ChildProcess;
let output = "";
let dashboardUrl = "";
let gatewayUrl = "";
let browser: Browser;

beforeAll(async () => {
  serve = spawn(process.execPath, ["--import", "tsx", "examples/dashboard/serve.ts"], {
    cwd: new URL("..", import.meta.url),
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      DASHBOARD_PORT: "0",
      DEMO_ACTIVITY_MS: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const printed = new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Dashboard: (http:\/\/\S+) \(gateway (http:\/\/\S+\/graphql)\)/.exec(output);
      if (match !== null) {
        resolve(match);
      }
    };
    serve.stdout?.on("data", onData);
    serve.stderr?.on("data", onData);
    serve.once("exit", (code) => reject(new Error(`serve.ts exited (${code}):\n${output}`)));
  });
  const [launched, match] = await Promise.all([launchChromium(), printed]);
  browser = launched;
  dashboardUrl = match[1] ?? "";
  gatewayUrl = match[2] ?? "";
  // A child process starting Vite's dev server and the demo gateway, both compiled by tsx.
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (serve !== undefined && serve.exitCode === null) {
    // The one command stops as a whole: the gateway first, then the dev server, exit 0.
    serve.kill("SIGTERM");
    const [code] = await once(serve, "exit");
    expect(code).toBe(0);
    await expect(fetch(gatewayUrl)).rejects.toThrow();
  }
  // Chromium, then the dev server and the gateway, each stopping as a process does.
}, 30_000);

interface Dashboard {
  page: Page;
  /** Operation names of the GraphQL requests the page sent over HTTP, in order. */
  operations: string[];
  /** Console warnings and errors, and uncaught exceptions, of the page. */
  problems: string[];
  /** The errors the page shows (queries, mutations and subscriptions). */
  shownErrors(): Promise<string[]>;
  /** graphql-ws `next` payloads the page received. */
  pushed: { id: string; payload: { data?: Record<string, unknown> } }[];
  /** Resolves with the first pushed payload `predicate` accepts (past or future). */
  pushedWhere(predicate: (data: Record<string, unknown>) => boolean): Promise<void>;
}

/**
 * A fresh page of the dashboard, its conversations listed. `offline`: its WebSockets are
 * answered by Playwright and closed at once, so no subscription can update the page.
 */
async function openDashboard({ offline = false } = {}): Promise<Dashboard> {
  const context = await browser.newContext();
  onTestFinished(() => context.close());
  if (offline) {
    await context.routeWebSocket(gatewayUrl.replace("http://", "ws://"), (socket) =>
      socket.close({ code: 1013, reason: "no subscriptions in this test" }),
    );
  }
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const dashboard: Dashboard = {
    page,
    operations: [],
    problems: [],
    shownErrors: () => page.getByRole("alert").allTextContents(),
    pushed: [],
    pushedWhere: (predicate) =>
      new Promise((resolve) => {
        const check = () => {
          if (dashboard.pushed.some(({ payload }) => payload.data && predicate(payload.data))) {
            resolve();
            return true;
          }
          return false;
        };
        if (!check()) {
          waiters.push(check);
        }
      }),
  };
  const waiters: (() => boolean)[] = [];
  page.on("console", (message) => {
    if (message.type() === "warning" || message.type() === "error") {
      dashboard.problems.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => dashboard.problems.push(`uncaught: ${error.message}`));
  page.on("request", (request) => {
    if (request.url() === gatewayUrl && request.method() === "POST") {
      const body = JSON.parse(request.postData() ?? "{}") as { operationName?: string };
      dashboard.operations.push(body.operationName ?? "(anonymous)");
    }
  });
  page.on("websocket", (socket) => {
    socket.on("framereceived", ({ payload }) => {
      const message = JSON.parse(payload.toString()) as {
        type: string;
        id: string;
        payload: { data?: Record<string, unknown> };
      };
      if (message.type === "next") {
        dashboard.pushed.push({ id: message.id, payload: message.payload });
        for (let i = waiters.length - 1; i >= 0; i -= 1) {
          if (waiters[i]?.()) {
            waiters.splice(i, 1);
          }
        }
      }
    });
  });
  await page.goto(dashboardUrl);
  await page.locator(".conversations [data-session-id]").first().waitFor();
  return dashboard;
}

/** The session ids the list shows, in order. */
function listedSessions(page: Page): Promise<string[]> {
  return page
    .locator(".conversations [data-session-id]")
    .evaluateAll((buttons) =>
      buttons.map((button) => button.getAttribute("data-session-id") ?? ""),
    );
}

function listItem(page: Page, sessionId: string) {
  return page.locator(`.conversations [data-session-id="${sessionId}"]`);
}

async function gatewayQuery<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data as T;
}

/** The first page of unresolved conversations, as the gateway lists them. */
async function unresolvedSessions(): Promise<string[]> {
  const data = await gatewayQuery<{
    website: { conversations: { edges: { node: { sessionId: string; state: string } }[] } };
  }>("{ website { conversations(first: 20) { edges { node { id sessionId state } } } } }");
  return data.website.conversations.edges
    .map(({ node }) => node)
    .filter((node) => node.state === "UNRESOLVED")
    .map((node) => node.sessionId);
}

/** graphql-ws subscriptions the gateway holds open (its /metrics gauge). */
async function openSubscriptions(): Promise<number> {
  const metrics = await (await fetch(gatewayUrl.replace("/graphql", "/metrics"))).text();
  return Number(/^gateway_open_subscriptions (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

// Each test drives Chromium through a development build of React and Apollo Client.
describe("the example dashboard in Chromium", { timeout: 30_000 }, () => {
  it("pages twice with load more: the gateway's first 60 conversations, in order, each once, without a warning", async () => {
    const { page, operations, problems, shownErrors } = await openDashboard();
    const loadMore = page.getByRole("button", { name: "Load more", exact: true });
    await loadMore.click();
    await page.locator(".conversations li:nth-child(40)").waitFor();
    await loadMore.click();
    await page.locator(".conversations li:nth-child(60)").waitFor();

    const first = await gatewayQuery<{
      website: {
        conversations: {
          edges: { node: { sessionId: string } }[];
          pageInfo: { endCursor: string };
        };
      };
    }>(
      "{ website { conversations(first: 50) { edges { node { id sessionId } } pageInfo { endCursor } } } }",
    );
    const rest = await gatewayQuery<{
      website: { conversations: { edges: { node: { sessionId: string } }[] } };
    }>(
      "query($after: String) { website { conversations(first: 10, after: $after) { edges { node { id sessionId } } } } }",
      { after: first.website.conversations.pageInfo.endCursor },
    );
    const expected = [
      ...first.website.conversations.edges,
      ...rest.website.conversations.edges,
    ].map(({ node }) => node.sessionId);
    const listed = await listedSessions(page);
    expect(new Set(listed).size).toBe(60);
    expect(listed).toEqual(expected);
    expect(operations).toEqual(["Conversations", "Conversations", "Conversations"]);
    expect(problems).toEqual([]);
    expect(await shownErrors()).toEqual([]);
  });

  it("shows a reply and a resolve in the list from the mutations' results alone, sending no query after either", async () => {
    const [sessionId] = await unresolvedSessions();
    if (sessionId === undefined) {
      throw new Error("the demo's first page holds no unresolved conversation");
    }
    // No subscription: the list can only learn of the changes from the mutations' results.
    const { page, operations, problems, shownErrors } = await openDashboard({ offline: true });
    await listItem(page, sessionId).click();
    const conversation = page.locator(
      `[data-testid="conversation"][data-session-id="${sessionId}"]`,
    );
    await conversation.locator(".messages li").first().waitFor();
    expect(operations).toEqual(["Conversations", "Conversation"]);

    const reply = `Your order shipped today (${Date.now()}).`;
    await conversation.getByLabel("Reply").fill(reply);
    await conversation.getByRole("button", { name: "Send", exact: true }).click();
    await listItem(page, sessionId).getByTestId("last-message").getByText(reply).waitFor();
    await conversation.locator(".message.from-operator .text", { hasText: reply }).waitFor();
    expect(operations).toEqual(["Conversations", "Conversation", "SendReply"]);

    await conversation.getByRole("button", { name: "Resolve", exact: true }).click();
    await listItem(page, sessionId)
      .getByTestId("state")
      .getByText("RESOLVED", { exact: true })
      .waitFor();
    await conversation.getByRole("button", { name: "Reopen", exact: true }).waitFor();
    expect(operations).toEqual([
      "Conversations",
      "Conversation",
      "SendReply",
      "SetConversationState",
    ]);
    expect(await page.getByTestId("live-status").textContent()).not.toBe("live");
    expect(problems).toEqual([]);
    expect(await shownErrors()).toEqual([]);
  });

  it("shows a visitor's message live in the open conversation and the list, and its own reply's echo once", async () => {
    const [sessionId] = await unresolvedSessions();
    if (sessionId === undefined) {
      throw new Error("the demo's first page holds no unresolved conversation");
    }
    const { page, operations, problems, shownErrors, pushedWhere } = await openDashboard();
    await listItem(page, sessionId).click();
    const conversation = page.locator(
      `[data-testid="conversation"][data-session-id="${sessionId}"]`,
    );
    await conversation.locator(".messages li").first().waitFor();
    // messageAdded and conversationUpdated, and no other page's (closed with its test).
    await expect.poll(openSubscriptions).toBe(2);

    // The gateway relays the reply's own hook (message:received) back to the page.
    const reply = `Let me check (${Date.now()}).`;
    await conversation.getByLabel("Reply").fill(reply);
    await conversation.getByRole("button", { name: "Send", exact: true }).click();
    await pushedWhere(
      (data) => (data.messageAdded as { text?: string } | undefined)?.text === reply,
    );
    // The mutation's result may come after its echo; it carries the conversation as it was
    // then, and would overwrite a newer lastMessage pushed meanwhile (the cache keeps the last
    // write). Real inboxes see that race too; here the visitor writes once the page has
    // handled the reply's result (it empties the reply box then).
    await conversation.getByLabel("Reply").and(page.locator(":placeholder-shown")).waitFor();

    const { website } = await gatewayQuery<{ website: { websiteId: string } }>(
      "{ website { id websiteId } }",
    );
    const text = `Is my order on its way? (${Date.now()})`;
    await gatewayQuery(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`,
      {
        input: {
          websiteId: website.websiteId,
          sessionId,
          type: "TEXT",
          from: "USER",
          content: text,
        },
      },
    );
    await conversation.locator(".message.from-user .text", { hasText: text }).waitFor();
    await listItem(page, sessionId).getByTestId("last-message").getByText(text).waitFor();
    // The echo came over the same socket before the visitor's message: it was handled, once.
    expect(await conversation.locator(".message .text", { hasText: reply }).count()).toBe(1);
    expect(operations).toEqual(["Conversations", "Conversation", "SendReply"]);
    expect(problems).toEqual([]);
    expect(await shownErrors()).toEqual([]);
  });
});
