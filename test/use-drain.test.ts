import { createPubSub, createSchema, createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { useDrain } from "../src/plugins/use-drain.js";
import { sseText } from "./helpers/streams.js";

/** A schema whose one subscription waits for events that never come. */
function drainingYoga(signal: AbortSignal) {
  const pubsub = createPubSub<{ tick: [number] }>();
  let returned = 0;
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: "type Query { ok: Boolean } type Subscription { tick: Int }",
      resolvers: {
        Subscription: {
          tick: {
            subscribe: () => {
              const source = pubsub.subscribe("tick");
              return {
                [Symbol.asyncIterator]: () => ({
                  next: () => source.next(),
                  return: async () => {
                    returned += 1;
                    return (await source.return?.()) ?? { done: true, value: undefined };
                  },
                }),
              };
            },
            resolve: (tick: number) => tick,
          },
        },
      },
    }),
    plugins: [useDrain({ signal })],
  });
  const subscribe = () =>
    yoga.fetch("http://yoga.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: "subscription { tick }" }),
    });
  return { yoga, pubsub, subscribe, returned: () => returned };
}

describe("useDrain", () => {
  it("completes an open SSE subscription when the signal aborts, and returns its source", async () => {
    const shutdown = new AbortController();
    const { subscribe, returned } = drainingYoga(shutdown.signal);
    const stream = sseText(await subscribe());
    // Yoga's first bytes: the stream is open and waits for events.
    expect(await stream.until(/^:\n\n/)).toBe(":\n\n");
    shutdown.abort();
    expect(await stream.until(/event: complete/)).toContain("event: complete\ndata:");
    expect(returned()).toBe(1);
  });

  it("ends a subscription opened after the abort at once", async () => {
    const shutdown = new AbortController();
    shutdown.abort();
    const { subscribe } = drainingYoga(shutdown.signal);
    const text = await (await subscribe()).text();
    expect(text).toContain("event: complete");
    expect(text).not.toContain("event: next");
  });

  it("leaves queries alone", async () => {
    const shutdown = new AbortController();
    shutdown.abort();
    const { yoga } = drainingYoga(shutdown.signal);
    const response = await yoga.fetch("http://yoga.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ ok }" }),
    });
    expect(await response.json()).toEqual({ data: { ok: null } });
  });
});
