import { createClient } from "graphql-ws";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { defaultWebsiteOf, printedUrl, startGateway } from "./helpers/process.js";

// Each test starts `npm start` (npm, tsx compiling the gateway, the simulator) as a child
// process: seconds on a busy machine before it prints its URL.
describe("npm start", { timeout: 30_000 }, () => {
  it("without Crisp credentials serves GraphiQL and real-looking data from the embedded simulator", async () => {
    const main = startGateway({ PORT: "0" });
    const url = await printedUrl(main);
    expect(main.output()).toMatch(/Demo mode/);
    const page = await fetch(url, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("conversations(first: 20)");
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query:
          "{ website { name conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }",
      }),
    });
    const body = (await response.json()) as {
      data: { website: { name: string; conversations: { nodes: unknown[] } } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    expect(body.data.website.name.length).toBeGreaterThan(0);
    expect(body.data.website.conversations.nodes).toHaveLength(20);
    main.child.kill("SIGTERM");
    expect(await main.exited()).toBe(0);
  });

  it("in demo mode, fires subscriptions within seconds from the simulator's live activity", async () => {
    const main = startGateway({ PORT: "0", DEMO_ACTIVITY_MS: "200" });
    const url = await printedUrl(main);
    await main.waitFor(/Demo activity/);
    const websiteId = await defaultWebsiteOf(url);
    const client = createClient({
      url: url.replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    onTestFinished(() => client.dispose());
    const event = await new Promise<unknown>((resolve, reject) => {
      client.subscribe(
        {
          query: `subscription($w: ID!) { crispEvents(websiteId: $w) { name websiteId } }`,
          variables: { w: websiteId },
        },
        { next: (value) => resolve(value.data), error: reject, complete: () => undefined },
      );
    });
    expect(event).toEqual({
      crispEvents: {
        name: expect.stringMatching(/^(message|session):/),
        websiteId: websiteId,
      },
    });
    main.child.kill("SIGTERM");
    await main.exited();
  });

  it("stops before listening when a variable is bad, naming it and what was expected", async () => {
    const main = startGateway({ PORT: "eighty", CRISP_TIER: "admin" });
    expect(await main.exited()).toBe(1);
    expect(main.output()).toContain('PORT="eighty": expected an integer from 0 to 65535');
    expect(main.output()).toContain('CRISP_TIER="admin": expected one of plugin, website, user');
  });

  it("in production, refuses to serve made-up data without DEMO=1, saying what to set", async () => {
    const main = startGateway({ PORT: "0", NODE_ENV: "production" });
    expect(await main.exited()).toBe(1);
    expect(main.output()).toContain(
      "NODE_ENV=production with no CRISP_IDENTIFIER/CRISP_KEY: set them to serve your Crisp account, or DEMO=1",
    );
  });
});
