import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createClient } from "graphql-ws";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";

/** Starts `src/main.ts` the way `npm start` does, with the given environment. */
function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: new URL("..", import.meta.url),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  onTestFinished(() => {
    if (child.exitCode === null) {
      child.kill("SIGKILL");
    }
  });
  return { child, output: () => output };
}

async function waitFor(
  pattern: RegExp,
  output: () => string,
  child: ChildProcess,
): Promise<RegExpMatchArray> {
  for (let i = 0; i < 300; i += 1) {
    const match = output().match(pattern);
    if (match) {
      return match;
    }
    if (child.exitCode !== null) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never printed ${pattern}; output was:\n${output()}`);
}

describe("npm start", () => {
  it("without Crisp credentials serves GraphiQL and real-looking data from the embedded simulator", async () => {
    const { child, output } = startMain({ PORT: "0" });
    const [, url] = await waitFor(/GraphiQL: (http:\/\/127\.0\.0\.1:\d+\/graphql)/, output, child);
    expect(output()).toMatch(/Demo mode/);
    const page = await fetch(url ?? "", { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("conversations(first: 20)");
    const response = await fetch(url ?? "", {
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
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("in demo mode, fires subscriptions within seconds from the simulator's live activity", async () => {
    const { child, output } = startMain({ PORT: "0", DEMO_ACTIVITY_MS: "200" });
    const [, url] = await waitFor(/GraphiQL: (http:\/\/127\.0\.0\.1:\d+\/graphql)/, output, child);
    await waitFor(/Demo activity/, output, child);
    const site = (await (
      await fetch(url ?? "", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ website { websiteId } }" }),
      })
    ).json()) as { data: { website: { websiteId: string } } };
    const client = createClient({
      url: (url ?? "").replace("http://", "ws://"),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    onTestFinished(() => client.dispose());
    const event = await new Promise<unknown>((resolve, reject) => {
      client.subscribe(
        {
          query: `subscription($w: ID!) { crispEvents(websiteId: $w) { name websiteId } }`,
          variables: { w: site.data.website.websiteId },
        },
        { next: (value) => resolve(value.data), error: reject, complete: () => undefined },
      );
    });
    expect(event).toEqual({
      crispEvents: {
        name: expect.stringMatching(/^(message|session):/),
        websiteId: site.data.website.websiteId,
      },
    });
    child.kill("SIGTERM");
    await once(child, "exit");
  });

  it("stops before listening when a variable is bad, naming it and what was expected", async () => {
    const { child, output } = startMain({ PORT: "eighty", CRISP_TIER: "admin" });
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(output()).toContain('PORT="eighty": expected an integer from 0 to 65535');
    expect(output()).toContain('CRISP_TIER="admin": expected one of plugin, website, user');
  });
});
