/**
 * The response cache's memory store: entries indexed by the entities they hold, and an index
 * that never outgrows its entries (an entry evicted, replaced or invalidated (or found expired) takes its
 * links with it), however many distinct conversations a long-running gateway sees.
 */
import { describe, expect, it } from "vitest";
import { createMemoryResponseStore } from "../src/plugins/response-cache-store.js";

const conversation = (n: number) => ({ typename: "Conversation", id: `c${n}` });

describe("the response cache in memory", () => {
  it("drops an entry by its object or by its type, and only those holding it", () => {
    const store = createMemoryResponseStore();
    store.set("a", { data: { a: 1 } }, [conversation(1)], 60_000);
    store.set("b", { data: { b: 1 } }, [conversation(2)], 60_000);
    store.set("person", { data: { p: 1 } }, [{ typename: "Person", id: "p1" }], 60_000);
    store.invalidate([conversation(1)]);
    expect(store.get("a")).toBeUndefined();
    expect(store.get("b")).toEqual({ data: { b: 1 } });
    store.invalidate([{ typename: "Conversation" }]);
    expect(store.get("b")).toBeUndefined();
    expect(store.get("person")).toEqual({ data: { p: 1 } });
    expect(store.size()).toEqual({ entries: 1, indexKeys: 2 });
  });

  it("keeps its index bounded by its entries: evictions and replacements unlink them", () => {
    const store = createMemoryResponseStore({ maxEntries: 10 });
    for (let n = 0; n < 1_000; n += 1) {
      store.set(`answer ${n}`, { data: { n } }, [conversation(n)], 60_000);
    }
    // Ten entries, each under its own object and under the shared type.
    expect(store.size()).toEqual({ entries: 10, indexKeys: 11 });
    store.set("answer 999", { data: { n: 999 } }, [{ typename: "Person", id: "p" }], 60_000);
    expect(store.size()).toEqual({ entries: 10, indexKeys: 12 });
    store.invalidate([conversation(998)]);
    expect(store.get("answer 999")).toEqual({ data: { n: 999 } });
  });

  it("holds at most its characters of JSON, dropping the least recent, and keeps no answer larger than that, nor its index", () => {
    const store = createMemoryResponseStore({ maxChars: 1_000 });
    const answer = (n: number, length: number) => ({ data: { n, text: "x".repeat(length) } });
    // Each 127 characters of JSON: seven fit in 1,000.
    expect(JSON.stringify(answer(10, 100))).toHaveLength(127);
    for (let n = 10; n < 100; n += 1) {
      store.set(`answer ${n}`, answer(n, 100), [conversation(n)], 60_000);
    }
    expect(store.size()).toEqual({ entries: 7, indexKeys: 8 });
    expect(store.get("answer 99")).toEqual(answer(99, 100));
    expect(store.get("answer 93")).toEqual(answer(93, 100));
    expect(store.get("answer 92")).toBeUndefined();
    store.set("huge", answer(-1, 2_000), [{ typename: "Person", id: "huge" }], 60_000);
    expect(store.get("huge")).toBeUndefined();
    expect(store.size()).toEqual({ entries: 7, indexKeys: 8 });
  });

  it("stores nothing with no TTL left", () => {
    const store = createMemoryResponseStore();
    store.set("never", { data: {} }, [conversation(1)], 0);
    expect(store.get("never")).toBeUndefined();
    expect(store.size()).toEqual({ entries: 0, indexKeys: 0 });
  });
});
