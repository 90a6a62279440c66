import { Writable } from "node:stream";
import { createClient } from "graphql-ws";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createLogger } from "../src/logger.js";
import { routeOf } from "../src/metrics.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "./helpers/hooks.js";

const simulator = await startSimulator({ seed: 1 });
const W = simulator.defaultWebsiteId;
const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(
      ...chunk
        .toString()
        .split("\n")
        .filter((line) => line !== ""),
    );
    done();
  },
});
afterAll(() => simulator.close());
const gateway = gatewayOn(simulator, {
  hooks: { secret: HOOK_SECRET },
  dailyQuota: 5_000,
  logger: createLogger("debug", sink),
  logging: true,
});
const { url, origin, wsUrl, hookUrl } = await gateway.listen("127.0.0.1", 0);

const query = (text: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: text }),
  });

describe("/metrics", () => {
  it("exposes Crisp requests by route and status, latency, cache, quota, throttling, hooks and open subscriptions", async () => {
    await query("{ website { name conversations(first: 3) { nodes { sessionId } } } }");
    await query("{ website { name } }");
    simulator.configure({ errors: { status: 429, rate: 1, match: /operators/ } });
    await query("{ website { operators { userId } } }");
    simulator.configure({ errors: null });
    await postPluginHook(
      hookUrl,
      hookBody(W, "session:set_state", {
        session_id: "session_36ba3566-9651-4790-afc8-ffedbccc317f",
        state: "resolved",
      }),
    );

    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    const dispose = client.subscribe(
      { query: `subscription { crispEvents(websiteId: "${W}") { name } }` },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    await gateway.openSubscriptions(1);
    const text = await (await fetch(`${origin}/metrics`)).text();
    dispose();
    await client.dispose();

    expect(text).toMatch(
      /crisp_requests_total\{route="\/website\/:website_id",method="GET",status="200"\} 1/,
    );
    expect(text).toMatch(
      /crisp_requests_total\{route="\/website\/:website_id\/conversations\/:page",method="GET",status="206"\} 1/,
    );
    expect(text).toMatch(
      /crisp_request_duration_seconds_bucket\{le="0.025",route="\/website\/:website_id",method="GET"\}/,
    );
    expect(text).toMatch(/crisp_throttled_responses_total\{status="429"\} 1/);
    expect(text).toMatch(/# TYPE gateway_cache_hits_total counter\ngateway_cache_hits_total \d+/);
    expect(text).toMatch(
      /# TYPE gateway_cache_misses_total counter\ngateway_cache_misses_total \d+/,
    );
    expect(text).toMatch(/gateway_cache_stale_serves_total 0/);
    expect(text).toMatch(/crisp_quota_used \d+/);
    expect(text).toMatch(/crisp_quota_limit 5000/);
    expect(text).toMatch(/gateway_webhooks_total\{status="200"\} 1/);
    expect(text).toMatch(/gateway_open_subscriptions 1/);
    expect(text).not.toContain(W);
  });

  it("names routes without ids, so labels stay few", () => {
    expect(
      routeOf(
        `/website/${W}/conversation/session_36ba3566-9651-4790-afc8-ffedbccc317f/message/150698569649423`,
      ),
    ).toBe("/website/:website_id/conversation/:session_id/message/:fingerprint");
    expect(routeOf(`/website/${W}/people/profile/jane@acme.example`)).toBe(
      "/website/:website_id/people/profile/:people_id",
    );
  });
});

describe("structured logs", () => {
  it("are JSON lines that never carry the Crisp key, identifier, authorization or a Crisp body", async () => {
    simulator.configure({ errors: { status: 500, rate: 1, reason: "secret_body_marker" } });
    await query("{ website { visitorCount { count } } }");
    simulator.configure({ errors: null });
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.some((record) => record.msg === "crisp request")).toBe(true);
    expect(records.some((record) => record.msg === "crisp web hook")).toBe(true);
    const all = lines.join("\n");
    expect(all).not.toContain(simulator.credentials.key);
    expect(all).not.toContain(simulator.credentials.identifier);
    expect(all).not.toContain(
      Buffer.from(`${simulator.credentials.identifier}:${simulator.credentials.key}`).toString(
        "base64",
      ),
    );
    expect(all).not.toContain("secret_body_marker");
    expect(all).not.toContain(HOOK_SECRET);
  });
});
