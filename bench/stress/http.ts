/** Stress scenarios at the HTTP door: slow clients, a flood, connections, hostile documents. */
import { createHash } from "node:crypto";
import { connect, type Socket } from "node:net";
import { Client, Pool } from "undici";
import { createAuthenticator } from "../../src/auth.js";
import {
  capped,
  type Figure,
  n,
  percentile,
  seconds,
  settledHeapMb,
  startStressed,
  tally,
} from "./harness.js";

const NAME = JSON.stringify({ query: "{ website { name } }" });

async function postName(client: Client | Pool): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await client.request({
    path: "/graphql",
    method: "POST",
    headers: { "content-type": "application/json" },
    body: NAME,
  });
  await response.body.dump();
  return { status: response.statusCode, ms: performance.now() - started };
}

/** A raw connection; resolves once connected, with its close awaited and what it received. */
async function raw(
  port: number,
): Promise<{ socket: Socket; closed: Promise<unknown>; received: () => string }> {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on("error", () => undefined);
  // Not events.once: it rejects on "error", and a reset is one of the outcomes measured here.
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await Promise.race([new Promise((resolve) => socket.once("connect", resolve)), closed]);
  return { socket, closed, received: () => received };
}

/** 2,000 clients send headers and half a body, then nothing; the gateway keeps serving. */
export async function slowClients(): Promise<Figure> {
  const CLIENTS = 2_000;
  const REQUEST_TIMEOUT_MS = 2_000;
  const s = await startStressed({
    operationsPerMinute: 0,
    http: { requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: REQUEST_TIMEOUT_MS },
  });
  const started = performance.now();
  const latencies: number[] = [];
  let cut = 0;
  let answered408 = 0;
  let lastCutS = 0;
  const ok = await capped(20_000, async () => {
    const slow = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const connection = await raw(s.address.port);
        connection.socket.write(
          'POST /graphql HTTP/1.1\r\nhost: stress\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{"query":',
        );
        return connection;
      }),
    );
    const probe = new Client(s.address.origin);
    let probing = true;
    const probes = (async () => {
      while (probing) {
        latencies.push((await postName(probe)).ms);
      }
    })();
    await Promise.all(
      slow.map(async (connection) => {
        await connection.closed;
        cut += 1;
        lastCutS = seconds(started);
        if (connection.received().startsWith("HTTP/1.1 408")) {
          answered408 += 1;
        }
      }),
    );
    probing = false;
    await probes;
    await probe.close();
  });
  await s.close();
  return {
    scenario: "Slow clients",
    load: `${n(CLIENTS)} connections send headers and 9 bytes of a 4 KiB body, then stall (HTTP_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS})`,
    outcome: `${n(cut)} cut (${n(answered408)} with 408), the last after ${lastCutS.toFixed(1)} s; meanwhile ${n(latencies.length)} queries on another connection, p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms`,
    seconds: seconds(started),
    ok: ok && cut === CLIENTS,
  };
}

/** 20,000 operations from one client over 256 connections: rate-limited, never a 5xx. */
export async function flood(): Promise<Figure> {
  const REQUESTS = 20_000;
  const s = await startStressed({ cache: {} });
  const pool = new Pool(s.address.origin, { connections: 256 });
  const statuses: number[] = [];
  const latencies: number[] = [];
  const started = performance.now();
  const ok = await capped(60_000, async (signal) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (next < REQUESTS && !signal.aborted) {
          next += 1;
          const { status, ms } = await postName(pool);
          statuses.push(status);
          latencies.push(ms);
        }
      }),
    );
  });
  const elapsed = seconds(started);
  const crisp = s.simulator.requests.length;
  await pool.close();
  await s.close();
  return {
    scenario: "Flood",
    load: `${n(REQUESTS)} operations from one client, 256 at a time over keep-alive connections (GATEWAY_OPERATIONS_PER_MINUTE=600)`,
    outcome: `statuses ${tally(statuses)}; ${n(statuses.length / elapsed)} answers/s, p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms; ${n(crisp)} Crisp requests`,
    seconds: elapsed,
    ok: ok && statuses.every((status) => status < 500),
  };
}

/** 20,000 connection attempts against a cap of 4,000: refused at once, Crisp still reached. */
export async function connections(): Promise<Figure> {
  const ATTEMPTS = 20_000;
  const WAVE = 250;
  const CAP = 4_000;
  const s = await startStressed({
    operationsPerMinute: 0,
    cache: false,
    http: {
      maxConnections: CAP,
      keepAliveTimeoutMs: 120_000,
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    },
  });
  // One keep-alive connection opened first: the client whose queries must still reach Crisp.
  const keeper = new Client(s.address.origin, { keepAliveTimeout: 120_000 });
  await postName(keeper);
  const attempts: { socket: Socket; closedMs: Promise<number> }[] = [];
  const started = performance.now();
  let reached = false;
  let queryMs = 0;
  let served = 0;
  const closedMs: number[] = [];
  const ok = await capped(90_000, async () => {
    // 250 at a time: more at once overflow the listen backlog, and the kernel's SYN retries
    // (1 s, 3 s…) would be measured instead of the gateway.
    for (let wave = 0; wave < ATTEMPTS / WAVE; wave += 1) {
      await Promise.all(
        Array.from({ length: WAVE }, async () => {
          const t0 = performance.now();
          const connection = await raw(s.address.port);
          attempts.push({
            socket: connection.socket,
            closedMs: connection.closed.then(() => performance.now() - t0),
          });
        }),
      );
    }
    console.log(
      `  (connections: ${n(attempts.length)} attempts in ${seconds(started).toFixed(1)} s)`,
    );
    s.simulator.clearRequests();
    const answer = await postName(keeper);
    queryMs = answer.ms;
    reached = answer.status === 200 && s.simulator.requests.length > 0;
    // Which connections were really accepted: those still open answer a request.
    const verdicts = await Promise.all(
      attempts.map(
        ({ socket }) =>
          new Promise<"served" | "closed">((resolve) => {
            if (socket.destroyed || socket.readableEnded) {
              resolve("closed");
              return;
            }
            socket.once("data", () => resolve("served"));
            socket.once("close", () => resolve("closed"));
            try {
              socket.write("GET /health HTTP/1.1\r\nhost: stress\r\n\r\n", (error) => {
                if (error) {
                  resolve("closed");
                }
              });
            } catch {
              // Ended by the gateway already.
              resolve("closed");
            }
          }),
      ),
    );
    served = verdicts.filter((verdict) => verdict === "served").length;
    for (const [index, verdict] of verdicts.entries()) {
      if (verdict === "closed") {
        closedMs.push(await (attempts[index]?.closedMs ?? Promise.resolve(0)));
      }
    }
  });
  const elapsed = seconds(started);
  for (const { socket } of attempts) {
    socket.destroy();
  }
  await keeper.close();
  await s.close();
  return {
    scenario: "Connections",
    load: `${n(ATTEMPTS)} connection attempts, ${WAVE} at a time, held open when accepted (HTTP_MAX_CONNECTIONS=${n(CAP)})`,
    outcome: `${n(served)} accepted (they answer a request), ${n(closedMs.length)} closed by the gateway without a byte, p50 ${percentile(closedMs, 0.5).toFixed(0)} ms after connecting; a query on an earlier connection then ${reached ? "reached" : "did NOT reach"} Crisp in ${queryMs.toFixed(0)} ms`,
    seconds: elapsed,
    ok: ok && reached && served + 1 <= CAP && served + closedMs.length === ATTEMPTS,
  };
}

/** 2,200 distinct ~900 KB documents without credentials, then dense ones with: heap bounded. */
export async function hostileDocuments(): Promise<Figure> {
  const ANONYMOUS = 2_200;
  const DENSE = 500;
  const KEY = "stress-key-0123456789abcdef";
  const s = await startStressed({
    operationsPerMinute: 0,
    authenticate: createAuthenticator({
      keys: new Map([
        [
          createHash("sha256").update(KEY).digest("hex"),
          { name: "stress", websites: "*", access: "read" },
        ],
      ]),
    }),
  });
  const send = async (query: string, authorized: boolean) => {
    const response = await s.gateway.yoga.fetch("http://stress/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(authorized ? { authorization: `Bearer ${KEY}` } : {}),
      },
      body: JSON.stringify({ query }),
    });
    await response.arrayBuffer();
    return response.status;
  };
  await send("{ gateway { version } }", true);
  const before = settledHeapMb();
  const statuses: number[] = [];
  const started = performance.now();
  const ok = await capped(90_000, async (signal) => {
    const padding = "x".repeat(900_000);
    for (let i = 0; i < ANONYMOUS && !signal.aborted; i += 1) {
      statuses.push(await send(`{ website { name } } # ${i} ${padding}`, false));
    }
    const fields = Array.from({ length: 2_900 }, () => "__typename").join(" ");
    for (let i = 0; i < DENSE && !signal.aborted; i += 1) {
      statuses.push(await send(`query Q${i} { ${fields} }`, true));
    }
  });
  const elapsed = seconds(started);
  const after = settledHeapMb();
  await s.close();
  return {
    scenario: "Hostile documents",
    load: `${n(ANONYMOUS)} distinct ~900 KB documents without credentials, then ${n(DENSE)} distinct dense ones (2,900 tokens) with`,
    outcome: `statuses ${tally(statuses)}; heap after GC ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after (+${(after - before).toFixed(0)} MB; the parser cache is bounded at 32 MiB)`,
    seconds: elapsed,
    ok: ok && after - before < 96 && !statuses.some((status) => status >= 500),
  };
}
