/**
 * One hook fanned out to many graphql-ws subscribers (a section of `npm run bench`): the
 * gateway (hook verified, recorded in the event log, applied to the cache, delivered), with
 * identical subscriptions and with a document of its own per subscriber, against a bare
 * graphql-ws server that publishes the same payload from the same POST; all up at once, one
 * event each in turn. Loopback only.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  GraphQLFloat,
  GraphQLID,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import WebSocket, { WebSocketServer } from "ws";
import { createGateway } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { HOOK_SECRET, hookBody, postPluginHook } from "../test/helpers/hooks.js";

export const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
export const FANOUT_EVENTS = Number(process.env.BENCH_FANOUT_EVENTS ?? 20);

export const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** A graphql-transport-ws client that only notes when each `next` arrives. */
export function rawSubscriber(url: string, query: string, onNext: () => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, "graphql-transport-ws");
    socket.once("error", reject);
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data: Buffer) => {
      const text = data.toString();
      if (text.includes('"connection_ack"')) {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
        resolve(socket);
      } else if (text.includes('"next"')) {
        onNext();
      } else if (text.includes('"ping"')) {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    });
  });
}

/** The reference: graphql-ws alone, publishing what a POSTed hook body carries. */
async function bareServer(): Promise<{
  url: string;
  hookUrl: string;
  ready: () => number;
  close: () => Promise<void>;
}> {
  const listeners = new Set<(value: unknown) => void>();
  const Message = new GraphQLObjectType({
    name: "Message",
    fields: {
      id: { type: new GraphQLNonNull(GraphQLID) },
      fingerprint: { type: new GraphQLNonNull(GraphQLFloat) },
      sessionId: { type: new GraphQLNonNull(GraphQLID) },
      type: { type: new GraphQLNonNull(GraphQLString) },
      from: { type: new GraphQLNonNull(GraphQLString) },
      text: { type: GraphQLString },
      timestamp: { type: new GraphQLNonNull(GraphQLString) },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: "Subscription",
      fields: {
        messageAdded: {
          type: new GraphQLNonNull(Message),
          args: { websiteId: { type: GraphQLID } },
          subscribe: () => {
            const queue: unknown[] = [];
            let wake: (() => void) | undefined;
            const push = (value: unknown) => {
              queue.push(value);
              wake?.();
            };
            listeners.add(push);
            const iterator: AsyncIterableIterator<unknown> = {
              [Symbol.asyncIterator]: () => iterator,
              async next() {
                while (queue.length === 0) {
                  await new Promise<void>((resolve) => {
                    wake = resolve;
                  });
                }
                return { done: false, value: queue.shift() };
              },
              async return() {
                listeners.delete(push);
                return { done: true, value: undefined };
              },
            };
            return iterator;
          },
          resolve: (value: unknown) => value,
        },
      },
    }),
  });
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        website_id: string;
        data: {
          session_id: string;
          fingerprint: number;
          type: string;
          from: string;
          content: string;
          timestamp: number;
        };
      };
      const data = body.data;
      const message = {
        id: Buffer.from(
          `Message:${body.website_id}/${data.session_id}/${data.fingerprint}`,
        ).toString("base64url"),
        fingerprint: data.fingerprint,
        sessionId: data.session_id,
        type: data.type.toUpperCase(),
        from: data.from === "operator" ? "OPERATOR" : "USER",
        text: data.content,
        timestamp: new Date(data.timestamp).toISOString(),
      };
      for (const listener of listeners) {
        listener({ messageAdded: message });
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}');
    });
  });
  const sockets = new WebSocketServer({ server, path: "/graphql" });
  const disposable = useServer({ schema }, sockets);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    hookUrl: `http://127.0.0.1:${port}/hook`,
    ready: () => listeners.size,
    close: async () => {
      await disposable.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface FanoutResult {
  name: string;
  p50: number;
  p99: number;
  deliveries: number;
}

/**
 * Section 1: hook -> SUBSCRIBERS graphql-ws subscribers: the gateway with identical
 * subscriptions (one shared execution), the gateway with a document of its own per subscriber
 * (an execution each, as bare graphql-ws does), and bare graphql-ws, one event each in turn.
 */
export async function fanout(): Promise<FanoutResult[]> {
  const simulator = await startSimulator({ seed: 1 });
  const W = simulator.defaultWebsiteId;
  const S = simulator.store.listConversations(W, {})[0]?.session_id ?? "";
  const gateways = [0, 1].map(() =>
    createGateway({
      crisp: { baseUrl: simulator.url, ...simulator.credentials },
      defaultWebsiteId: W,
      hooks: { secret: HOOK_SECRET },
      operationsPerMinute: 0,
    }),
  );
  const [shared, distinct] = await Promise.all(
    gateways.map((gateway) => gateway.listen("127.0.0.1", 0)),
  );
  if (shared === undefined || distinct === undefined) {
    throw new Error("no gateway");
  }
  const bare = await bareServer();
  const selection = `messageAdded(websiteId: "${W}") { id fingerprint sessionId type from text timestamp }`;
  const query = `subscription { ${selection} }`;
  const sides = [
    {
      name: "gateway, identical subscriptions (one shared execution)",
      url: shared.wsUrl,
      hookUrl: shared.hookUrl,
      query: (_index: number) => query,
    },
    {
      name: "gateway, a document of its own per subscriber (an execution each)",
      url: distinct.wsUrl,
      hookUrl: distinct.hookUrl,
      query: (index: number) => `subscription Dashboard${index} { ${selection} }`,
    },
    {
      name: "bare graphql-ws (same payload; no verification, log or cache)",
      url: bare.url,
      hookUrl: bare.hookUrl,
      query: (_index: number) => query,
    },
  ].map((side) => ({
    ...side,
    latencies: [] as number[],
    sockets: [] as WebSocket[],
    pending: 0,
    t0: 0,
    done: (): void => undefined,
  }));
  for (const side of sides) {
    for (let index = 0; index < SUBSCRIBERS; index += 1) {
      side.sockets.push(
        await rawSubscriber(side.url, side.query(index), () => {
          side.latencies.push(performance.now() - side.t0);
          side.pending -= 1;
          if (side.pending === 0) {
            side.done();
          }
        }),
      );
    }
  }
  for (const gateway of gateways) {
    await gateway.openSubscriptions(SUBSCRIBERS);
  }
  while (bare.ready() < SUBSCRIBERS) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  let fingerprint = 700_000_000_000;
  for (let round = 0; round < FANOUT_EVENTS + 2; round += 1) {
    // Each round starts with another server, so none always runs in another's garbage.
    const order = [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)];
    for (const side of order) {
      fingerprint += 1;
      const body = hookBody(W, "message:send", {
        session_id: S,
        type: "text",
        from: "user",
        origin: "chat",
        content: `Fan-out ${fingerprint}`,
        fingerprint,
        timestamp: Date.now(),
        user: { nickname: "Visitor" },
      });
      const delivered = new Promise<void>((resolve) => {
        side.done = resolve;
      });
      side.pending = SUBSCRIBERS;
      const kept = side.latencies.length;
      side.t0 = performance.now();
      await postPluginHook(side.hookUrl, body);
      await delivered;
      if (round < 2) {
        // Warm-up rounds (JIT, first allocations) are not counted.
        side.latencies.length = kept;
      }
    }
  }
  const results = sides.map((side): FanoutResult => {
    const sorted = [...side.latencies].sort((a, b) => a - b);
    return {
      name: side.name,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      deliveries: sorted.length,
    };
  });
  for (const side of sides) {
    for (const socket of side.sockets) {
      socket.terminate();
    }
  }
  for (const gateway of gateways) {
    await gateway.stop();
  }
  await bare.close();
  await simulator.close();
  return results;
}
