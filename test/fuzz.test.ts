import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";
import { HOOK_SECRET, postPluginHook } from "./helpers/hooks.js";

/**
 * Random bytes and random JSON at the two doors the outside world knocks on. Whatever comes in:
 * no crash, no 5xx, and the gateway keeps serving. Bounded runs, fixed seed: repeatable.
 */
const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const gateway = gatewayOn(simulator, {
  hooks: { secret: HOOK_SECRET },
  cache: false,
  operationsPerMinute: 0,
});
const { url, hookUrl } = await gateway.listen("127.0.0.1", 0);

const RUNS = { numRuns: 150, seed: 20261121 };

async function stillServes(): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ gateway { version } }" }),
  });
  expect(response.status).toBe(200);
}

const anyJson = fc.jsonValue({ maxDepth: 4 });

describe("fuzzing the web hook route", () => {
  it("answers random bytes with a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        const response = await fetch(hookUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-crisp-signature": "0".repeat(64),
            "x-crisp-request-timestamp": String(Date.now()),
          },
          body: bytes,
        });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }),
      RUNS,
    );
    await stillServes();
  });

  it("answers random JSON, correctly signed, with 200 or a 4xx, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (body) => {
        const answer = await postPluginHook(hookUrl, body);
        expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500)).toBe(true);
      }),
      RUNS,
    );
    await stillServes();
  });

  it("answers random hook-shaped events with 200 or a 4xx", async () => {
    const event = fc.record({
      website_id: fc.oneof(fc.constant(simulator.defaultWebsiteId), fc.uuid(), fc.string()),
      event: fc.oneof(
        fc.constantFrom(
          "message:send",
          "message:updated",
          "session:set_state",
          "people:profile:updated",
          "session:removed",
        ),
        fc.string(),
      ),
      data: fc.dictionary(
        fc.constantFrom(
          "session_id",
          "fingerprint",
          "type",
          "content",
          "people_id",
          "state",
          "from",
        ),
        anyJson,
      ),
      timestamp: fc.oneof(fc.integer(), fc.double(), fc.string()),
    });
    await fc.assert(
      fc.asyncProperty(event, async (body) => {
        const answer = await postPluginHook(hookUrl, body);
        expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500)).toBe(true);
      }),
      RUNS,
    );
    await stillServes();
  });
});

describe("fuzzing the GraphQL endpoint", () => {
  it("answers random bodies without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
          anyJson.map((json) => JSON.stringify(json)),
        ),
        async (body) => {
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          expect(response.status).toBeLessThan(500);
        },
      ),
      RUNS,
    );
    await stillServes();
  });

  it("answers random queries and variables without a 5xx or a masked crash", async () => {
    const query = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "{ website { name } }",
        "query($id: ID) { website(id: $id) { name } }",
        "query($id: ID!) { node(id: $id) { id } }",
        "query($f: Int, $a: String) { website { conversations(first: $f, after: $a) { nodes { sessionId } } } }",
        "query($s: ID!) { website { conversation(sessionId: $s) { messages(last: 3) { nodes { text } } } } }",
        "mutation($i: SendMessageInput!) { sendMessage(input: $i) { fingerprint } }",
      ),
    );
    const variables = fc.dictionary(fc.constantFrom("id", "f", "a", "s", "i"), anyJson);
    await fc.assert(
      fc.asyncProperty(query, variables, async (text, vars) => {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: text, variables: vars }),
        });
        expect(response.status).toBeLessThan(500);
        const body = (await response.json()) as { errors?: { message: string }[] };
        // An input that reaches a resolver must get a clear error, not "Unexpected error.".
        expect(body.errors?.some((error) => error.message === "Unexpected error.") ?? false).toBe(
          false,
        );
      }),
      RUNS,
    );
    await stillServes();
  });
});
