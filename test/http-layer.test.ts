import { once } from "node:events";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import type { IncomingEvent } from "../src/events/event.js";
import { preferredEncoding } from "../src/http/graphiql.js";
import { createLogger } from "../src/logger.js";
import type { GatewayOptions } from "../src/server.js";
import { startSimulator } from "../src/simulator/index.js";
import { VERSION } from "../src/version.js";
import { gatewayOn } from "./helpers/gateway.js";

const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());

/** A listening gateway on the shared simulator, stopped after the test. */
async function listening(options: Partial<GatewayOptions> = {}) {
  const gateway = gatewayOn(simulator, options);
  return { gateway, ...(await gateway.listen("127.0.0.1", 0)) };
}

/**
 * POSTs a JSON body of `total` bytes with chunked encoding (no Content-Length), one 64 KiB
 * chunk at a time, and stops writing as soon as an answer comes.
 */
function chunkedPost(url: string, total: number) {
  return new Promise<{ status: number; body: string; sentWhenAnswered: number }>(
    (resolve, reject) => {
      const post = request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
      });
      let sent = 0;
      let answered = false;
      let failed = false;
      const head = Buffer.from('{"query":"{ website { name } }","variables":{"pad":"');
      const tail = Buffer.from('"}}');
      const chunk = Buffer.alloc(65_536, "a");
      const gone = new Promise<void>((settle) => {
        post.once("error", () => settle());
        post.once("response", () => settle());
      });
      post.on("response", (response) => {
        answered = true;
        const sentWhenAnswered = sent;
        let body = "";
        response.on("data", (data: Buffer) => {
          body += data.toString();
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body, sentWhenAnswered }),
        );
      });
      post.on("error", (error) => {
        failed = true;
        if (!answered) {
          reject(error);
        }
      });
      void (async () => {
        post.write(head);
        sent += head.length;
        while (!answered && !failed && sent + chunk.length + tail.length <= total) {
          const more = post.write(chunk);
          sent += chunk.length;
          if (!more) {
            await Promise.race([once(post, "drain"), gone]);
          }
        }
        if (!answered && !failed) {
          post.end(tail);
          sent += tail.length;
        }
      })();
    },
  );
}

/**
 * Sends `path` a chunked POST of `total` body bytes over a raw socket and reads nothing until
 * every byte is written: a client busy uploading that only then looks at the answer. Resolves
 * the raw HTTP answer, or the socket error that took it.
 */
async function uploadThenRead(url: string, path: string, total: number) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.pause();
  await once(socket, "connect");
  const failure = new Promise<string>((resolve) => socket.once("error", (e) => resolve(`${e}`)));
  const received: Buffer[] = [];
  const answer = new Promise<string>((resolve) => {
    socket.on("data", (data: Buffer) => received.push(data));
    socket.once("end", () => resolve(Buffer.concat(received).toString()));
  });
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
  );
  const chunk = Buffer.alloc(65_536, "a");
  const framed = Buffer.concat([
    Buffer.from(`${chunk.length.toString(16)}\r\n`),
    chunk,
    Buffer.from("\r\n"),
  ]);
  for (let sent = 0; sent < total && !socket.destroyed; sent += chunk.length) {
    if (!socket.write(framed)) {
      const drained = await Promise.race([
        once(socket, "drain").then(() => true),
        failure.then(() => false),
      ]);
      if (!drained) {
        break;
      }
    }
  }
  socket.resume();
  const outcome = await Promise.race([answer, failure]);
  socket.destroy();
  return outcome;
}

describe("the request body limit", () => {
  // Node's server resets a closing connection the client still writes to, and a reset drops
  // the answer the client has not read yet: it saw ECONNRESET, or a flaky 413.
  it.each([
    ["/graphql", "The request body is larger than 1048576 bytes."],
    ["/webhooks/crisp", "The body is larger than 262144 bytes."],
  ])(
    "lets a client that uploads 8 MiB past the limit of %s before reading read its 413, not a reset",
    async (path, message) => {
      const { url } = await listening({ hooks: { secret: "s" } });
      const answer = await uploadThenRead(url, path, 8 * 1_048_576);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/^connection: close$/im);
      expect(answer).toContain(message);
    },
  );

  it("answers a chunked body past the limit with 413 while it is still streaming, before any Crisp request", async () => {
    const { url } = await listening();
    simulator.clearRequests();
    const total = 32 * 1_048_576;
    const answer = await chunkedPost(url, total);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      errors: [
        {
          message: "The request body is larger than 1048576 bytes.",
          extensions: { code: "REQUEST_LIMIT_EXCEEDED" },
        },
      ],
    });
    // Answered long before the client was done: the body was never read whole.
    expect(answer.sentWhenAnswered).toBeLessThan(total / 2);
    expect(simulator.requests).toEqual([]);
  });

  it("refuses a declared Content-Length past the limit without reading the body", async () => {
    const { url } = await listening({ maxBodyBytes: 1_000 });
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "{ website { name } }",
        variables: { pad: "a".repeat(2_000) },
      }),
    });
    expect(response.status).toBe(413);
  });

  it("runs a chunked body under the limit as any other", async () => {
    const { url } = await listening();
    const answer = await chunkedPost(url, 200_000);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      data: { website: { name: expect.any(String) } },
    });
  });
});

describe("GET /ready and /health", () => {
  const ready = async (origin: string) => {
    const response = await fetch(`${origin}/ready`);
    return { status: response.status, body: await response.json() };
  };

  it("is ready while Crisp answers; /health is Yoga's liveness check", async () => {
    const { origin } = await listening();
    expect(await ready(origin)).toEqual({ status: 200, body: { ready: true, problems: [] } });
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });

  it("answers 503 naming Crisp once the breaker opens against a stopped Crisp, while /health stays 200", async () => {
    const stopped = await startSimulator({ seed: 1 });
    const gateway = gatewayOn(stopped, {
      guard: { breakerThreshold: 1 },
    });
    const { url, origin } = await gateway.listen("127.0.0.1", 0);
    await stopped.close();
    const failed = (await (
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ website { name } }" }),
      })
    ).json()) as { errors: { extensions: { code: string } }[] };
    expect(failed.errors[0]?.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(await ready(origin)).toEqual({
      status: 503,
      body: {
        ready: false,
        problems: [
          {
            component: "crisp",
            reason: "Crisp is failing: the circuit breaker is open until a probe succeeds.",
          },
        ],
      },
    });
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });

  it("answers 503 while Crisp's backoff lasts past the threshold, 200 during a short one", async () => {
    const throttling = await startSimulator({
      seed: 1,
      rateLimit: { requests: 1, windowMs: 60_000 },
    });
    onTestFinished(() => throttling.close());
    const start = async (backoffBaseMs: number) => {
      const gateway = gatewayOn(throttling, {
        guard: { backoffBaseMs, backoffMaxMs: backoffBaseMs },
        readyMaxBackoffMs: 15_000,
        cache: false,
      });
      const address = await gateway.listen("127.0.0.1", 0);
      // Two reads: the second is throttled (429), and the guard backs off.
      for (const query of ["{ website { name } }", "{ website { domain } }"]) {
        await fetch(address.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query }),
        });
      }
      return address.origin;
    };
    const long = await ready(await start(120_000));
    expect(long.status).toBe(503);
    expect(long.body.problems[0]).toMatchObject({
      component: "crisp",
      reason: expect.stringMatching(
        /^Crisp is throttling the gateway or its daily quota is spent, until /,
      ),
    });
    throttling.resetQuota();
    expect((await ready(await start(2_000))).status).toBe(200);
  });

  it("answers 503 once the daily quota is spent", async () => {
    const { url, origin } = await listening({ dailyQuota: 1, cache: false });
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ website { name } }" }),
    });
    const answer = await ready(origin);
    expect(answer.status).toBe(503);
    expect(answer.body.problems[0]?.component).toBe("crisp");
  });
});

describe("the cache upkeep loop", () => {
  it("logs an event it cannot apply and goes on with the next", async () => {
    const lines: string[] = [];
    let logged: () => void = () => undefined;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split("\n").filter(Boolean));
        logged();
        done();
      },
    });
    const { gateway } = await listening({ logger: createLogger("error", sink) });
    const failures = () =>
      lines.filter((line) => line.includes("a Crisp event could not be applied to the cache"));
    const failed = (count: number) =>
      new Promise<void>((resolve) => {
        logged = () => {
          if (failures().length >= count) {
            resolve();
          }
        };
        logged();
      });
    // What another instance's older version might record in a shared event log.
    const malformed = {
      name: 42,
      websiteId: simulator.defaultWebsiteId,
    } as unknown as IncomingEvent;
    await gateway.ingest(malformed, { source: "hook", dedupeKey: "malformed-1" });
    await failed(1);
    await gateway.ingest(malformed, { source: "hook", dedupeKey: "malformed-2" });
    await failed(2);
    expect(JSON.parse(failures()[1] ?? "{}")).toMatchObject({
      level: 50,
      event: { name: 42, websiteId: simulator.defaultWebsiteId },
    });
  });
});

describe("the GraphiQL page", () => {
  const get = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }>(
      (resolve, reject) => {
        // node:http, not fetch: fetch would decompress and hide what was sent.
        request(url, { headers: { accept: "text/html", ...headers } }, (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              bytes: Buffer.concat(chunks),
            }),
          );
        })
          .on("error", reject)
          .end();
      },
    );

  it("is served compressed as the client accepts, revalidated by ETag, and names no other host", async () => {
    const { url } = await listening();
    const plain = await get(url, {});
    expect(plain.status).toBe(200);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const html = plain.bytes.toString("utf8");
    expect(html).toContain("<title>Crisp GraphQL gateway</title>");
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toContain("unpkg.com");
    const gzipped = await get(url, { "accept-encoding": "gzip, deflate" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzipped.bytes).toString("utf8")).toBe(html);
    const brotli = await get(url, { "accept-encoding": "gzip, br" });
    expect(brotli.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(brotli.bytes).toString("utf8")).toBe(html);
    expect(brotli.bytes.length).toBeLessThan(html.length / 3);
    const again = await get(url, { "if-none-match": String(plain.headers.etag) });
    expect(again.status).toBe(304);
  });

  it("opens on the dashboard query and a subscription to the default website", async () => {
    const { url } = await listening();
    const html = (await get(url, {})).bytes.toString("utf8");
    expect(html).toContain("edges {");
    expect(html).toContain(`crispEvents(websiteId: \\"${simulator.defaultWebsiteId}\\")`);
    expect(html).toContain('"subscriptionsProtocol":"WS"');
  });

  it("picks br, then gzip, and honours q=0", () => {
    expect(preferredEncoding("gzip, deflate, br")).toBe("br");
    expect(preferredEncoding("br;q=0, gzip")).toBe("gzip");
    expect(preferredEncoding("*")).toBe("gzip");
    expect(preferredEncoding("identity")).toBe("identity");
    expect(preferredEncoding(null)).toBe("identity");
  });
});

describe("the version", () => {
  it("is package.json's, without reading package.json at run time", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });
});
