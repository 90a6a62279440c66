import { Writable } from "node:stream";
import { MockAgent } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { createLogger } from "../src/logger.js";
import { createGateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn, queryGateway } from "./helpers/gateway.js";

const WEBSITE = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc";
const IDENTIFIER = "5f1c2d7e-0000-4000-8000-000000000001";
const KEY = "super-secret-crisp-key-that-must-never-leak";
const BODY_CANARY = "crisp-body-canary-7f3a";

describe("unexpected errors", () => {
  it("reach clients as 'Unexpected error.' only, and logs carry no credential, URL or Crisp body", async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "development";
    const agent = new MockAgent();
    agent.disableNetConnect();
    const crisp = agent.get("https://api.crisp.chat");
    crisp.intercept({ path: `/v1/website/${WEBSITE}` }).reply(
      200,
      JSON.stringify({
        error: false,
        reason: "resolved",
        data: { website_id: WEBSITE, name: "Acme", domain: "acme.example" },
      }),
    );
    // A well-formed envelope whose data breaks the resolvers: an unexpected failure.
    crisp
      .intercept({ path: (path) => path.startsWith(`/v1/website/${WEBSITE}/conversations/1`) })
      .reply(
        206,
        JSON.stringify({
          error: false,
          reason: BODY_CANARY,
          data: [null, { session_id: 42, meta: BODY_CANARY }],
        }),
      );
    const lines: string[] = [];
    const gateway = createGateway({
      crisp: {
        baseUrl: "https://api.crisp.chat/v1",
        identifier: IDENTIFIER,
        key: KEY,
        dispatcher: agent,
      },
      cache: false,
      logging: true,
      logger: createLogger(
        "debug",
        new Writable({
          write(chunk: Buffer, _e, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      ),
    });
    onTestFinished(async () => {
      process.env.NODE_ENV = previous;
      await gateway.stop();
      await agent.close();
    });
    const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `{ website(id: "${WEBSITE}") { websiteId conversations { nodes { sessionId meta { nickname } } } } }`,
      }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as {
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    };
    expect(body.errors?.map((error) => error.message)).toContain("Unexpected error.");
    for (const secret of [
      KEY,
      IDENTIFIER,
      BODY_CANARY,
      "api.crisp.chat",
      "TypeError",
      "    at ",
      "stack",
      "originalError",
    ]) {
      expect(text).not.toContain(secret);
    }
    const logs = lines.join("");
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [
      KEY,
      IDENTIFIER,
      Buffer.from(`${IDENTIFIER}:${KEY}`).toString("base64"),
      BODY_CANARY,
      "api.crisp.chat",
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe("a value Crisp answers that its field cannot hold", () => {
  it("is a coded UPSTREAM_UNAVAILABLE at that field, not 'Unexpected error.', and is logged without the value", async () => {
    const simulator = await startSimulator({ seed: 1 });
    onTestFinished(() => simulator.close());
    const W = simulator.defaultWebsiteId;
    const lines: string[] = [];
    const gateway = gatewayOn(simulator, {
      cache: false,
      operationsPerMinute: 0,
      logging: true,
      logger: createLogger("warn", { write: (line: string) => lines.push(line) }),
    });
    const conversation = simulator.store.listConversations(W, {})[0];
    const newest = simulator.store.messages(W, conversation?.session_id ?? "")?.at(-1);
    if (conversation === undefined || newest === undefined) {
      throw new Error("the seeded conversation has no message");
    }
    const refused = (path: (string | number)[]) => ({
      locations: expect.any(Array),
      message:
        "Crisp answered a value this field cannot hold: one newer than this gateway knows, or a malformed answer.",
      path,
      extensions: { code: "UPSTREAM_UNAVAILABLE" },
    });
    const ask = (selection: string) =>
      queryGateway<{ website: { conversation: Record<string, unknown> | null } }>(
        gateway,
        `query($s: ID!) { website { conversation(sessionId: $s) { ${selection} } } }`,
        { s: conversation.session_id },
      );

    // A malformed answer (an object for a nickname): that field is null, its siblings stand.
    Object.assign(conversation.meta, { nickname: { canary: "nickname-canary" } });
    const nickname = await ask("meta { nickname email }");
    expect(nickname.errors).toEqual([refused(["website", "conversation", "meta", "nickname"])]);
    expect(nickname.data?.website.conversation).toEqual({
      meta: { nickname: null, email: conversation.meta.email ?? null },
    });

    // A message type newer than this gateway: the message cannot be told (its type is non-null).
    Object.assign(newest, { type: "hologram-canary" });
    const message = await ask("messages(last: 1) { nodes { fingerprint type } }");
    expect(message.errors).toEqual([
      refused(["website", "conversation", "messages", "nodes", 0, "type"]),
    ]);

    // A state newer than this gateway: the conversation cannot be told either.
    Object.assign(conversation, { state: "archived-canary" });
    const state = await ask("sessionId state");
    expect(state.errors).toEqual([refused(["website", "conversation", "state"])]);
    expect(state.data?.website.conversation).toBeNull();

    // A required field Crisp left out.
    Object.assign(conversation, { state: "resolved" });
    Object.assign(newest, { type: "text", fingerprint: null });
    const fingerprint = await ask("messages(last: 1) { nodes { fingerprint } }");
    expect(fingerprint.errors).toEqual([
      refused(["website", "conversation", "messages", "nodes", 0, "fingerprint"]),
    ]);

    // Ids the gateway knows itself are not Crisp's to break: the website is the one asked for,
    // and an operator without details (no user id) is not listed.
    Object.assign(newest, { fingerprint: 1 });
    Object.assign(conversation, { website_id: { canary: "website-canary" } });
    const operators = simulator.store.operators(W);
    const [first] = operators;
    if (first === undefined) {
      throw new Error("the seeded website has no operator");
    }
    Object.assign(first, { details: null });
    const known = await queryGateway<{
      website: {
        conversation: { id: string; messages: { nodes: unknown[] } };
        operators: { userId: string }[];
      };
    }>(
      gateway,
      `query($s: ID!) { website { conversation(sessionId: $s) { id messages(last: 1) { nodes { fingerprint } } } operators { userId } } }`,
      { s: conversation.session_id },
    );
    expect(known.errors).toBeUndefined();
    expect(known.data?.website.conversation.messages.nodes).toHaveLength(1);
    expect(known.data?.website.operators).toHaveLength(operators.length - 1);

    const told = JSON.stringify([nickname, message, state, fingerprint, known]) + lines.join("");
    expect(told).not.toMatch(/canary/);
    expect(lines.filter((line) => line.includes("cannot hold"))).toHaveLength(4);
  });
});
