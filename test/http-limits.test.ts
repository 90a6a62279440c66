import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { Client } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { DESCRIPTOR_RESERVE, defaultMaxConnections } from "../src/http/connections.js";
import { startTestGateway } from "./helpers/gateway.js";

/**
 * The HTTP server's own limits: a client that sends its request slowly is cut after the
 * configured time (Node's default held it 300 s), and past the connection cap new connections
 * are refused at once while the gateway keeps reaching Crisp.
 */

/** A raw TCP connection to the gateway, with everything it received and its close awaited. */
async function rawConnection(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  onTestFinished(() => {
    socket.destroy();
  });
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on("error", () => undefined);
  const closed = once(socket, "close");
  await once(socket, "connect");
  return { socket, received: () => received, closed };
}

describe("slow clients", async () => {
  const t = await startTestGateway({}, { http: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
  const { port } = await t.gateway.listen("127.0.0.1", 0);

  it("a body that never finishes arriving is answered 408 and its connection closed", async () => {
    const { socket, received, closed } = await rawConnection(port);
    socket.write(
      "POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n",
    );
    socket.write('{"query": "{ website');
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("headers that never finish arriving likewise", async () => {
    const { socket, received, closed } = await rawConnection(port);
    socket.write("POST /graphql HTTP/1.1\r\nhost: gateway\r\n");
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe("the connection cap", async () => {
  const t = await startTestGateway({}, { http: { maxConnections: 3, keepAliveTimeoutMs: 60_000 } });
  const { origin, port } = await t.gateway.listen("127.0.0.1", 0);
  const NAME = JSON.stringify({ query: "{ website { name } }" });
  const post = async (client: Client) => {
    const response = await client.request({
      path: "/graphql",
      method: "POST",
      headers: { "content-type": "application/json" },
      body: NAME,
    });
    return { status: response.statusCode, body: (await response.body.json()) as object };
  };

  it("refuses a connection past the cap at once, while the open ones still reach Crisp", async () => {
    // One undici Client is one keep-alive connection.
    const clients = Array.from({ length: 3 }, () => new Client(origin, { pipelining: 1 }));
    onTestFinished(async () => {
      await Promise.all(clients.map((client) => client.destroy()));
    });
    for (const client of clients) {
      expect((await post(client)).status).toBe(200);
    }
    const refused = await rawConnection(port);
    refused.socket.write(
      `POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${NAME.length}\r\n\r\n${NAME}`,
    );
    await refused.closed;
    expect(refused.received()).toBe("");
    t.takeRequests();
    const [first] = clients;
    if (first === undefined) {
      throw new Error("no client");
    }
    const answer = await post(first);
    expect(answer).toMatchObject({
      status: 200,
      body: { data: { website: { name: expect.any(String) } } },
    });
    expect(t.takeRequests()).toEqual([`GET /website/${t.simulator.defaultWebsiteId}`]);
  });

  it("by default, leaves descriptors for Crisp, Redis and logs below the process's limit", () => {
    expect(defaultMaxConnections(1_024)).toBe(1_024 - DESCRIPTOR_RESERVE);
    expect(defaultMaxConnections(1_048_576)).toBe(10_000);
    expect(defaultMaxConnections(undefined)).toBe(10_000);
    expect(defaultMaxConnections(256)).toBe(64);
  });
});
