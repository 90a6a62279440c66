import { describe, expect, it } from "vitest";
import { fetchSlice, fixedPlan, planPages } from "../src/loaders/paging.js";

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

  it("pages routes of a fixed size by the pages a window touches", async () => {
    expect(fixedPlan(15, 10, 20)).toEqual({ perPage: 20, pages: [1, 2] });
    const slice = await fetchSlice(15, 10, fixedPlan(15, 10, 20), (page) => crispPage(page, 20));
    expect(slice.items).toEqual(items.slice(15, 25));
    expect(slice.hasNextPage).toBe(true);
  });
});
