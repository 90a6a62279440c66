import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createAuthenticator } from "../src/auth.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";

const KEY = "ws-protocol-key-0123456789";
const simulator = await startSimulator({ seed: 1 });
const W = simulator.defaultWebsiteId;
afterAll(() => simulator.close());
const gateway = gatewayOn(simulator, {
  defaultWebsiteId: undefined,
  connectionInitWaitTimeoutMs: 200,
  authenticate: createAuthenticator({
    keys: new Map([
      [
        (await import("node:crypto")).createHash("sha256").update(KEY).digest("hex"),
        { name: "ws", websites: "*", access: "read" },
      ],
    ]),
  }),
});
const { wsUrl } = await gateway.listen("127.0.0.1", 0);

/** A raw socket speaking (or breaking) the graphql-transport-ws protocol. */
async function socket(protocol = "graphql-transport-ws") {
  const ws = new WebSocket(wsUrl, protocol);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const messages: unknown[] = [];
  const isAck = (message: unknown) => (message as { type?: string }).type === "connection_ack";
  // Listening from the start, so an ack that comes before acked() is asked for is not missed.
  const ack = new Promise<void>((resolve) => {
    ws.on("message", (data) => {
      const message: unknown = JSON.parse(data.toString());
      messages.push(message);
      if (isAck(message)) {
        resolve();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const send = (message: unknown) =>
    ws.send(typeof message === "string" ? message : JSON.stringify(message));
  const acked = () => ack;
  return { ws, send, closed, messages, acked };
}

const SUBSCRIBE = (id: string) => ({
  id,
  type: "subscribe",
  payload: { query: `subscription { crispEvents(websiteId: "${W}") { name } }` },
});
const INIT = { type: "connection_init", payload: { authorization: `Bearer ${KEY}` } };

describe("graphql-ws close codes", () => {
  it("4400 for a message that is not of the protocol", async () => {
    const s = await socket();
    s.send("this is not json");
    expect((await s.closed).code).toBe(4400);
  });

  it.each(["next", "error", "connection_ack"])(
    "4400, not 4500, for %s, a message only the server sends",
    async (type) => {
      const s = await socket();
      s.send(INIT);
      await s.acked();
      s.send({ id: "1", type, payload: {} });
      expect(await s.closed).toEqual({
        code: 4400,
        reason: `A client does not send ${type}: it is a message of the server.`,
      });
    },
  );

  it("4401 for a subscribe before the connection is acknowledged", async () => {
    const s = await socket();
    s.send(SUBSCRIBE("1"));
    expect((await s.closed).code).toBe(4401);
  });

  it("4403 for refused credentials", async () => {
    const s = await socket();
    s.send({ type: "connection_init", payload: { authorization: "Bearer wrong-key-0123456789" } });
    expect((await s.closed).code).toBe(4403);
  });

  it("4406 for a socket that does not speak graphql-transport-ws", async () => {
    // No subprotocol at all (a client that asks for another one is refused by ws itself).
    const ws = new WebSocket(wsUrl);
    const code = await new Promise<number>((resolve) =>
      ws.once("close", (closeCode) => resolve(closeCode)),
    );
    expect(code).toBe(4406);
  });

  it("4408 when connection_init does not come in time", async () => {
    const s = await socket();
    expect((await s.closed).code).toBe(4408);
  });

  it("4409 for a second subscription under an id in use", async () => {
    const s = await socket();
    s.send(INIT);
    await s.acked();
    s.send(SUBSCRIBE("same"));
    s.send(SUBSCRIBE("same"));
    expect((await s.closed).code).toBe(4409);
  });

  it("4429 for a second connection_init", async () => {
    const s = await socket();
    s.send(INIT);
    await s.acked();
    s.send(INIT);
    expect((await s.closed).code).toBe(4429);
  });

  it("acknowledges valid credentials and keeps the connection open", async () => {
    const s = await socket();
    s.send(INIT);
    await s.acked();
    expect(s.messages).toContainEqual({ type: "connection_ack" });
    s.ws.close(1000);
    expect((await s.closed).code).toBe(1000);
  });
});
