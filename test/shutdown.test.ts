import { request } from "node:http";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  defaultWebsiteOf,
  type GatewayProcess,
  printedUrl,
  type StartCommand,
  startGateway,
} from "./helpers/process.js";

const GRACE_MS = 15_000;

/**
 * A POST the gateway has certainly received: sent with `Expect: 100-continue`, its body goes
 * once the server answers 100 (so a signal sent after `accepted` finds it in flight).
 */
function inFlightQuery(url: string, query: string) {
  let accept: () => void = () => undefined;
  const accepted = new Promise<void>((resolve) => {
    accept = resolve;
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const body = JSON.stringify({ query });
    const post = request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        expect: "100-continue",
      },
    });
    post.on("continue", () => {
      post.end(body);
      accept();
    });
    post.on("response", (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on("error", reject);
    });
    post.on("error", reject);
  });
  return { accepted, answered };
}

/** A graphql-ws subscription, resolved once the server acknowledged it; `closed` gets the code. */
async function openSocket(url: string, websiteId: string) {
  const socket = new WebSocket(url.replace("http://", "ws://"), "graphql-transport-ws");
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve) => socket.once("open", resolve));
  socket.send(JSON.stringify({ type: "connection_init" }));
  await new Promise((resolve) => socket.once("message", resolve));
  socket.send(
    JSON.stringify({
      id: "1",
      type: "subscribe",
      payload: {
        query: `subscription($w: ID!) { crispEvents(websiteId: $w) { name } }`,
        variables: { w: websiteId },
      },
    }),
  );
  return { closed };
}

/** An SSE subscription; resolves with everything it received once the stream ends. */
async function openEventStream(url: string, websiteId: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({
      query: `subscription($w: ID!) { crispEvents(websiteId: $w) { name } }`,
      variables: { w: websiteId },
    }),
  });
  expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
  return { ended: response.text() };
}

async function drains(command: StartCommand, signal: NodeJS.Signals) {
  const gateway: GatewayProcess = startGateway(
    {
      PORT: "0",
      DEMO_ACTIVITY_MS: "0",
      // Each simulated Crisp request takes a second: the query below is still running when
      // the signal comes.
      SIMULATOR_LATENCY_MS: "1000",
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    },
    { command },
  );
  const url = await printedUrl(gateway);
  const websiteId = await defaultWebsiteOf(url);
  const socket = await openSocket(url, websiteId);
  const stream = await openEventStream(url, websiteId);
  const slow = inFlightQuery(url, "{ website { operators { id } } }");
  await slow.accepted;

  const signalled = Date.now();
  gateway.child.kill(signal);
  const answer = await slow.answered;
  expect(gateway.output()).toContain(`${signal}: stopping`);
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({
    data: { website: { operators: expect.any(Array) } },
  });
  expect(await socket.closed).toEqual({ code: 1001, reason: "The gateway is stopping." });
  expect(await stream.ended).toMatch(/event: complete\n/);
  expect(await gateway.exited()).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(GRACE_MS);
}

// Each test starts the gateway as a child process (npm and tsx compiling it) and waits for it
// to drain and exit: seconds on a busy machine.
describe("stopping on a signal", { timeout: 30_000 }, () => {
  it("on SIGTERM to the node process: finishes the request in flight, completes SSE, closes WebSockets with 1001, exits 0", async () => {
    await drains("main", "SIGTERM");
  });

  it("on SIGTERM to npm start's pid: the same (npm start is one node process)", async () => {
    await drains("npm", "SIGTERM");
  });

  it("on SIGINT (Ctrl-C) to npm start's pid: the same", async () => {
    await drains("npm", "SIGINT");
  });

  it("past the grace period, closes what is still running and exits 0", async () => {
    const gateway = startGateway({
      PORT: "0",
      DEMO_ACTIVITY_MS: "0",
      SIMULATOR_LATENCY_MS: "30000",
      SHUTDOWN_GRACE_MS: "200",
    });
    const url = await printedUrl(gateway);
    const slow = inFlightQuery(url, "{ website { name } }");
    await slow.accepted;
    gateway.child.kill("SIGTERM");
    await expect(slow.answered).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await gateway.exited()).toBe(0);
  });
});
