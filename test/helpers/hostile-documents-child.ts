/**
 * Run by test/hostile-documents.test.ts as `node --expose-gc --import tsx <this file>`: a
 * gateway with client authentication on a simulator, flooded through `yoga.fetch` with
 * distinct large documents, unauthenticated and authenticated. Prints one JSON line: the heap
 * after a full GC before and after the flood, and the statuses answered.
 */
import { createHash } from "node:crypto";
import { createAuthenticator } from "../../src/auth.js";
import { createGateway } from "../../src/server.js";
import { startSimulator } from "../../src/simulator/index.js";

const KEY = "hostile-documents-key-0123456789";
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  throw new Error("run with node --expose-gc");
}
const simulator = await startSimulator({ seed: 1 });
const gateway = createGateway({
  crisp: { baseUrl: simulator.url, ...simulator.credentials },
  defaultWebsiteId: simulator.defaultWebsiteId,
  operationsPerMinute: 0,
  authenticate: createAuthenticator({
    keys: new Map([
      [
        createHash("sha256").update(KEY).digest("hex"),
        { name: "k", websites: "*", access: "read" },
      ],
    ]),
  }),
});

const statuses = new Map<number, number>();
async function send(body: string, authorized: boolean): Promise<void> {
  const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(authorized ? { authorization: `Bearer ${KEY}` } : {}),
    },
    body,
  });
  await response.arrayBuffer();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
}

/** Heap used after full collections, bytes. */
function settledHeap(): number {
  for (let i = 0; i < 3; i += 1) {
    gc?.();
  }
  return process.memoryUsage().heapUsed;
}

const counts = {
  anonymous: Number(process.env.ANONYMOUS ?? 400),
  padded: Number(process.env.PADDED ?? 300),
  dense: Number(process.env.DENSE ?? 200),
};
// Warm up what every request allocates once (the schema's caches, Yoga's plugins).
await send(JSON.stringify({ query: "{ gateway { version } }" }), true);
const before = settledHeap();
const started = performance.now();
// ~900 KB documents without credentials: refused before anything is parsed.
for (let i = 0; i < counts.anonymous; i += 1) {
  await send(
    JSON.stringify({ query: `{ website { name } } # ${i} ${"x".repeat(900_000)}` }),
    false,
  );
}
// With credentials: documents just under the length limit (mostly a comment), and dense
// documents just under the token limit (each parsed document holds ~1.5 MB of tokens).
for (let i = 0; i < counts.padded; i += 1) {
  await send(JSON.stringify({ query: `{ website { name } } # ${i} ${"y".repeat(65_000)}` }), true);
}
for (let i = 0; i < counts.dense; i += 1) {
  const fields = Array.from({ length: 2_900 }, () => "__typename").join(" ");
  await send(JSON.stringify({ query: `query Q${i} { ${fields} }` }), true);
}
const elapsedMs = Math.round(performance.now() - started);
const after = settledHeap();
await gateway.stop();
await simulator.close();
console.log(
  JSON.stringify({
    before,
    after,
    grownBytes: after - before,
    elapsedMs,
    counts,
    statuses: Object.fromEntries(statuses),
  }),
);
