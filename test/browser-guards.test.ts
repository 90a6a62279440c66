import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createGateway, originAllowed } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";

const DASHBOARD = "https://dashboard.example.com";
const simulator = await startSimulator({ seed: 1 });
const gateway = createGateway({
  crisp: { baseUrl: simulator.url, ...simulator.credentials },
  defaultWebsiteId: simulator.defaultWebsiteId,
  allowedOrigins: [DASHBOARD],
});
const { url } = await gateway.listen("127.0.0.1", 0);
afterAll(async () => {
  await gateway.stop();
  await simulator.close();
});
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
  it("allows listed origins and no others", async () => {
    const preflight = (origin: string) =>
      fetch(url, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,authorization",
        },
      });
    expect((await preflight(DASHBOARD)).headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(
      (await preflight("https://evil.example")).headers.get("access-control-allow-origin"),
    ).not.toBe("https://evil.example");
  });
});

describe("WebSocket origins", () => {
  const open = (origin?: string) =>
    new Promise<"open" | number>((resolve) => {
      const ws = new WebSocket(
        url.replace("http://", "ws://"),
        "graphql-transport-ws",
        origin === undefined ? {} : { origin },
      );
      ws.once("open", () => {
        ws.close();
        resolve("open");
      });
      ws.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      ws.once("error", () => undefined);
    });

  it("refuses a page of another origin, and accepts listed origins and clients without Origin", async () => {
    expect(await open("https://evil.example")).toBe(401);
    expect(await open(DASHBOARD)).toBe("open");
    expect(await open()).toBe("open");
  });

  it("treats the gateway's own origin as allowed", () => {
    expect(originAllowed("http://127.0.0.1:4000", "127.0.0.1:4000", [])).toBe(true);
    expect(originAllowed("http://127.0.0.1:4001", "127.0.0.1:4000", [])).toBe(false);
    expect(originAllowed("not a url", "127.0.0.1:4000", [])).toBe(false);
  });
});
