import { createHash } from "node:crypto";
import { createSchema, createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { createAuthenticator, type Viewer } from "../src/auth.js";
import { OperationBudget } from "../src/budget.js";
import { ErrorCode, GatewayError } from "../src/errors.js";
import { createLogger } from "../src/logger.js";
import { useAccessLog } from "../src/plugins/use-access-log.js";
import { startTestGateway } from "./helpers/gateway.js";

/** A pino logger writing into an array: each line as the log shipper would see it. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => lines.push(line) });
  const operations = () =>
    lines
      .map((line) => JSON.parse(line) as { msg: string; level: number; operation?: unknown })
      .filter((line) => line.msg === "graphql operation");
  return { logger, lines, operations };
}

const SECRET = "hunter2-never-logged";

describe("useAccessLog alone", () => {
  const { logger, lines, operations } = capturedLogger();
  const budget = new OperationBudget(10);
  const yoga = createYoga<{ viewer: Viewer; budget: OperationBudget }>({
    schema: createSchema({
      typeDefs: `type Query { hello(name: String): String missing: String broken: String }`,
      resolvers: {
        Query: {
          hello: (_root: unknown, args: { name?: string }) => `hello ${args.name ?? ""}`,
          missing: () => {
            throw new GatewayError(ErrorCode.NOT_FOUND, "No such thing.");
          },
          broken: () => {
            throw new Error(`internal detail ${SECRET}`);
          },
        },
      },
    }),
    plugins: [useAccessLog({ logger })],
    context: () => {
      budget.crispRequests = 3;
      budget.loads = 5;
      budget.misses = 3;
      return { viewer: { name: "dashboard-key", websites: "*", access: "read" }, budget };
    },
    logging: false,
  });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    yoga.fetch("http://yoga.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("writes one info line per operation: name, type, duration, status, cost and client", async () => {
    await post(
      {
        query: `query Greeting($name: String) { hello(name: $name) }`,
        variables: { name: SECRET },
      },
      { "apollographql-client-name": "inbox-web", "apollographql-client-version": "1.4.0" },
    );
    expect(operations()).toEqual([
      {
        level: 30,
        msg: "graphql operation",
        time: expect.any(Number),
        pid: expect.any(Number),
        hostname: expect.any(String),
        operation: {
          name: "Greeting",
          type: "query",
          durationMs: expect.any(Number),
          status: "ok",
          crispRequests: 3,
          cacheHits: 2,
          client: { viewer: "dashboard-key", name: "inbox-web", version: "1.4.0" },
        },
      },
    ]);
  });

  it("names the error codes of an operation that failed, an unexpected error as INTERNAL", async () => {
    lines.length = 0;
    await post({ query: `{ missing broken hello }` });
    expect(operations()[0]?.operation).toMatchObject({
      name: null,
      type: "query",
      status: "errors",
      errors: ["NOT_FOUND", "INTERNAL"],
    });
  });

  it("logs documents refused before they run, with the reason's code", async () => {
    lines.length = 0;
    await post({ query: `query Broken { hello(`, operationName: "Broken" });
    await post({ query: `query Unknown { nothing }` });
    expect(operations().map((line) => line.operation)).toMatchObject([
      { name: "Broken", status: "errors", errors: ["GRAPHQL_PARSE_FAILED"] },
      { name: "Unknown", type: "query", status: "errors", errors: ["GRAPHQL_VALIDATION_FAILED"] },
    ]);
  });

  it("never writes a variable, the document or an error's message", () => {
    expect(lines.join("\n")).not.toContain(SECRET);
    expect(lines.join("\n")).not.toContain("hello(");
  });
});

describe("the gateway's access log", async () => {
  const { logger, lines, operations } = capturedLogger();
  const KEY = "access-log-test-key-0123456789";
  const viewer: Viewer = { name: "ops-dashboard", websites: "*", access: "write" };
  const t = await startTestGateway(
    {},
    {
      logger,
      authenticate: createAuthenticator({
        keys: new Map([[createHash("sha256").update(KEY).digest("hex"), viewer]]),
      }),
    },
  );
  const W = t.simulator.defaultWebsiteId;
  const post = async (query: string, variables?: Record<string, unknown>) => {
    const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${KEY}`,
        "apollographql-client-name": "ops",
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { extensions?: { cost?: Record<string, number> } };
  };

  it("says what each operation cost Crisp, as its response does, and who asked", async () => {
    const answer = await post(
      `query Inbox($w: ID!) { website(id: $w) { name conversations(first: 3) { nodes { person { email } } } } }`,
      { w: W },
    );
    const [line] = operations();
    expect(line?.operation).toEqual({
      name: "Inbox",
      type: "query",
      durationMs: expect.any(Number),
      status: "ok",
      crispRequests: answer.extensions?.cost?.crispRequests,
      cacheHits: answer.extensions?.cost?.cacheHits,
      client: { viewer: "ops-dashboard", name: "ops" },
    });
    expect(answer.extensions?.cost?.crispRequests).toBeGreaterThan(0);
  });

  it("logs a refused mutation with its code, and neither its secret nor the API key", async () => {
    lines.length = 0;
    await post(`mutation Delete($input: WebsiteDeletionInput!) { deleteWebsite(input: $input) }`, {
      input: { websiteId: W, method: "password", secret: SECRET },
    });
    expect(operations()[0]?.operation).toMatchObject({
      name: "Delete",
      type: "mutation",
      status: "errors",
      errors: ["FORBIDDEN"],
      crispRequests: 0,
    });
    expect(lines.join("\n")).not.toContain(SECRET);
    expect(lines.join("\n")).not.toContain(KEY);
  });

  it("logs a streamed query once, when its last part is sent, with what the whole stream cost", async () => {
    lines.length = 0;
    const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${KEY}`,
      },
      body: JSON.stringify({
        query: `query Export($w: ID!) { website(id: $w) { allPeople @stream(initialCount: 0) { email } } }`,
        variables: { w: W },
      }),
    });
    const text = await response.text();
    const last = text
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map(
        (line) =>
          JSON.parse(line.slice(6)) as { extensions?: { cost?: { crispRequests: number } } },
      )
      .at(-1);
    expect(operations().map((line) => line.operation)).toEqual([
      {
        name: "Export",
        type: "query",
        durationMs: expect.any(Number),
        status: "ok",
        crispRequests: last?.extensions?.cost?.crispRequests,
        cacheHits: expect.any(Number),
        client: { viewer: "ops-dashboard" },
      },
    ]);
    expect(last?.extensions?.cost?.crispRequests).toBeGreaterThan(1);
  });

  it("logs a subscription once, when it ends, with the events it delivered", async () => {
    lines.length = 0;
    const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${KEY}`,
      },
      body: JSON.stringify({
        query: `subscription Live($w: ID!) { crispEvents(websiteId: $w) { name } }`,
        variables: { w: W },
      }),
    });
    const reader = response.body?.getReader();
    await reader?.read();
    expect(operations()).toEqual([]);
    await reader?.cancel();
    expect(operations().map((line) => line.operation)).toEqual([
      {
        name: "Live",
        type: "subscription",
        durationMs: expect.any(Number),
        status: "ok",
        crispRequests: 0,
        cacheHits: 0,
        events: 0,
        client: { viewer: "ops-dashboard" },
      },
    ]);
  });
});
