import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { originRefusal } from "../src/http/graphql-ws.js";
import { originAllowed } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";

const DASHBOARD = "https://dashboard.example.com";
const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const gateway = gatewayOn(simulator, {
  allowedOrigins: [DASHBOARD],
});
const { url, wsUrl } = await gateway.listen("127.0.0.1", 0);
const QUERY = "{ website { name } }";

describe("CSRF prevention", () => {
  it("refuses a form-like POST and a GET without a preflight header, before any Crisp request", async () => {
    simulator.clearRequests();
    const form = await fetch(url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(form.status).toBe(403);
    const get = await fetch(`${url}?query=${encodeURIComponent(QUERY)}`, {
      headers: { accept: "application/json" },
    });
    expect(get.status).toBe(403);
    expect(simulator.requests).toEqual([]);
  });

  it("lets JSON POSTs (Apollo Client, GraphiQL) and GETs with a preflight header through", async () => {
    const post = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(post.status).toBe(200);
    const get = await fetch(`${url}?query=${encodeURIComponent(QUERY)}`, {
      headers: { accept: "application/json", "apollo-require-preflight": "true" },
    });
    expect(get.status).toBe(200);
  });
});

describe("CORS", () => {
  const preflight = (origin: string, headers = "content-type,authorization") =>
    fetch(url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": headers,
      },
    });

  it("allows listed origins and no others", async () => {
    expect((await preflight(DASHBOARD)).headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(
      (await preflight("https://evil.example")).headers.get("access-control-allow-origin"),
    ).not.toBe("https://evil.example");
  });

  it("allows Apollo Client's clientAwareness headers", async () => {
    const response = await preflight(
      DASHBOARD,
      "content-type,apollographql-client-name,apollographql-client-version",
    );
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    const allowed = (response.headers.get("access-control-allow-headers") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase());
    expect(allowed).toEqual(
      expect.arrayContaining([
        "content-type",
        "apollographql-client-name",
        "apollographql-client-version",
      ]),
    );
  });

  it("answers a cross-origin POST carrying them", async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        origin: DASHBOARD,
        "content-type": "application/json",
        "apollographql-client-name": "support-dashboard",
        "apollographql-client-version": "1.2.3",
      },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
  });
});

describe("WebSocket origins", () => {
  /** Opens a socket as a browser page of `origin` would, and says how it ended. */
  const open = (origin?: string) =>
    new Promise<{ opened: boolean; code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(
        wsUrl,
        "graphql-transport-ws",
        origin === undefined ? {} : { origin },
      );
      let opened = false;
      ws.once("open", () => {
        opened = true;
        ws.send(JSON.stringify({ type: "connection_init" }));
      });
      // Acknowledged: the connection is usable. Close it ourselves, normally.
      ws.once("message", () => ws.close(1000));
      ws.once("close", (code, reason) => resolve({ opened, code, reason: reason.toString() }));
      ws.once("error", () => undefined);
    });

  it("closes a page of another origin with 4403 and a reason naming the origin and the setting", async () => {
    expect(await open("https://evil.example")).toEqual({
      opened: true,
      code: 4403,
      reason: "Origin https://evil.example is not allowed: add it to GATEWAY_CORS_ORIGINS",
    });
  });

  it("accepts listed origins and clients without Origin", async () => {
    expect(await open(DASHBOARD)).toEqual({ opened: true, code: 1000, reason: "" });
    expect(await open()).toEqual({ opened: true, code: 1000, reason: "" });
  });

  it("keeps a refusal's reason within a close frame's 123 bytes, however long the origin", () => {
    const reason = originRefusal(`https://${"a".repeat(300)}.example`);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason).toMatch(
      /^Origin https:\/\/a+\.\.\. is not allowed: add it to GATEWAY_CORS_ORIGINS$/,
    );
  });

  it("treats the gateway's own origin as allowed", () => {
    expect(originAllowed("http://127.0.0.1:4000", "127.0.0.1:4000", [])).toBe(true);
    expect(originAllowed("http://127.0.0.1:4001", "127.0.0.1:4000", [])).toBe(false);
    expect(originAllowed("not a url", "127.0.0.1:4000", [])).toBe(false);
  });
});
