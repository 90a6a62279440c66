/**
 * An HTTP load generator in a process of its own (bench/remote/load.ts starts it), so the
 * server under measurement has its core to itself, as it would behind real clients: in one
 * process, the generator's own work would be charged to every server, flattening their ratios.
 */
import { Pool } from "undici";
import type { LoadPlan, LoadSlice } from "./load.js";

const plan = JSON.parse(process.argv[2] ?? "{}") as LoadPlan;

/** `connections` loops, each sending the next request when the last is answered, for `ms`. */
async function hammer({ origin, ms, connections, path, body }: LoadPlan): Promise<LoadSlice> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          const response = await pool.request({
            path,
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          const answer = (await response.body.json()) as { errors?: unknown[] };
          if (response.statusCode !== 200 || answer.errors !== undefined) {
            errors += 1;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return { latencies, errors, elapsedMs: performance.now() - started };
}

const load = await hammer(plan);
process.send?.(load, undefined, {}, () => process.disconnect());
