import { describe, expect, it } from "vitest";
import {
  fetchSlice,
  type PagePosition,
  planPages,
  type Walk,
  walkPageLimit,
  walkPages,
} from "../src/loaders/paging.js";

const items = Array.from({ length: 137 }, (_, index) => index);
/** A Crisp-like list: numbered pages of `perPage`, empty past the end. */
const crispPage = (page: number, perPage: number) =>
  Promise.resolve(items.slice((page - 1) * perPage, page * perPage));

describe("mapping Relay windows onto Crisp pages", () => {
  it("answers the first page of 20 with one request that also holds the next item", () => {
    expect(planPages(0, 20)).toEqual({ perPage: 21, pages: [1] });
  });

  it("costs one request per page when a client pages forward with the same `first`", () => {
    for (let first = 1; first <= 50; first += 1) {
      for (let page = 0; page < 20; page += 1) {
        expect(planPages(page * first, first).pages).toHaveLength(1);
      }
    }
  });

  it("falls back to two pages when no page size between 20 and 50 holds the window", () => {
    expect(planPages(30, 50)).toEqual({ perPage: 50, pages: [1, 2] });
  });

  it("cuts exactly the asked window out of the fetched pages, and knows when the list ends", async () => {
    for (const [offset, first] of [
      [0, 20],
      [20, 20],
      [13, 50],
      [100, 37],
      [120, 30],
      [136, 5],
      [137, 5],
    ] as const) {
      const slice = await fetchSlice(offset, first, planPages(offset, first), crispPage);
      expect(slice.items).toEqual(items.slice(offset, offset + first));
      expect(slice.hasNextPage).toBe(offset + first < items.length);
    }
  });
});

describe("walking Crisp's pages where it does not say their size", () => {
  /** A Crisp list paged by `size`, counting the pages asked for. */
  const pagedBy = (size: number, length = items.length) => {
    const asked: number[] = [];
    return {
      asked,
      fetch: (page: number) => {
        asked.push(page);
        return Promise.resolve(items.slice(0, length).slice((page - 1) * size, page * size));
      },
    };
  };

  /** Every item, window after window, following each window's last cursor. */
  const everyItem = async (size: number, first: number, length = items.length) => {
    const crisp = pagedBy(size, length);
    const seen: number[] = [];
    let after: PagePosition | null = null;
    for (let windows = 0; windows < 200; windows += 1) {
      const walk: Walk<number> = await walkPages(after, first, crisp.fetch);
      seen.push(...walk.items.map((item) => item.value));
      after = walk.items.at(-1)?.position ?? after;
      if (!walk.hasNextPage) {
        break;
      }
    }
    return { seen, asked: crisp.asked };
  };

  it("reads every item exactly once whatever the page size, with any window size", async () => {
    for (const size of [7, 20, 30, 50]) {
      for (const first of [1, 13, 20, 50]) {
        const { seen } = await everyItem(size, first);
        expect(seen, `pages of ${size}, windows of ${first}`).toEqual(items);
      }
    }
  });

  it("reads each page once when windows follow each other, and stops at the first short page", async () => {
    const { asked } = await everyItem(30, 20);
    // 137 items by 30: pages 1 to 5, the fifth short (17). No page is read for nothing.
    expect([...new Set(asked)]).toEqual([1, 2, 3, 4, 5]);
    expect(asked.filter((page) => page === 5)).toHaveLength(1);
  });

  it("knows the list ended at an empty page when the last page was full", async () => {
    const { seen, asked } = await everyItem(20, 20, 40);
    expect(seen).toEqual(items.slice(0, 40));
    expect(asked).toEqual([1, 2, 3]);
  });

  it("never reads more pages than the cost estimate counts; with small pages it returns fewer items and goes on", async () => {
    const crisp = pagedBy(5);
    const walk = await walkPages(null, 20, crisp.fetch);
    expect(crisp.asked).toHaveLength(walkPageLimit(20));
    expect(walk.items.map((item) => item.value)).toEqual(items.slice(0, 10));
    expect(walk.hasNextPage).toBe(true);
    const next = await walkPages(walk.items.at(-1)?.position ?? null, 20, crisp.fetch);
    expect(next.items[0]?.value).toBe(10);
  });
});
