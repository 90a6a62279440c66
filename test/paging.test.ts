import { describe, expect, it } from "vitest";
import {
  fetchSlice,
  type PagePosition,
  planPages,
  type Walk,
  walkPageLimit,
  walkPages,
} from "../src/loaders/paging.js";
import {
  firstSeekWindow,
  SEEK_MAX_PAGES,
  type SeekOrder,
  type SeekPosition,
  type SeekWindow,
  seekWindow,
} from "../src/loaders/seek.js";

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

describe("finding a window's place again in a list that moves (keyset cursors)", () => {
  interface Row {
    id: string;
    created: number;
  }
  /** A Crisp list sorted newest created first, paged by the `per_page` asked, that a test changes. */
  const movingList = (length: number) => {
    let clock = length;
    let rows: Row[] = Array.from({ length }, (_, index) => ({
      id: `r${index}`,
      created: length - index,
    }));
    const reads: number[] = [];
    const list = {
      get rows() {
        return rows;
      },
      reads,
      /** Called after each page read: the list may move between two reads of one window. */
      afterRead: () => {},
      fetch: (page: number, perPage: number) => {
        reads.push(page);
        const served = rows.slice((page - 1) * perPage, page * perPage);
        list.afterRead();
        return Promise.resolve(served);
      },
      /** New rows at the top, as conversations created while a client pages. */
      create(count: number) {
        for (let index = 0; index < count; index += 1) {
          clock += 1;
          rows = [{ id: `n${clock}`, created: clock }, ...rows];
        }
      },
      remove(ids: readonly string[]) {
        rows = rows.filter((row) => !ids.includes(row.id));
      },
    };
    return list;
  };
  const byCreation: SeekOrder<Row> = { id: (row) => row.id, key: (row) => row.created };

  /** Pages from the start to the end, calling `between` after each window. */
  const pageThrough = async (
    list: ReturnType<typeof movingList>,
    first: number,
    between: (window: number) => void,
    order: SeekOrder<Row> = byCreation,
  ) => {
    const seen: string[] = [];
    let window: SeekWindow<Row> = await firstSeekWindow(first, order, list.fetch);
    for (let count = 0; count < 500; count += 1) {
      seen.push(...window.items.map((item) => item.value.id));
      if (!window.hasNextPage) {
        break;
      }
      between(count);
      const after: SeekPosition | undefined = window.items.at(-1)?.position ?? window.resume;
      if (after === undefined) {
        throw new Error("a window with more after it gave no cursor");
      }
      list.reads.length = 0;
      window = await seekWindow(after, first, order, list.fetch);
      expect(list.reads.length).toBeLessThanOrEqual(SEEK_MAX_PAGES);
    }
    return seen;
  };

  it("returns every row once, in order, when nothing moves", async () => {
    for (const first of [1, 7, 20, 48, 50]) {
      const list = movingList(137);
      const expected = list.rows.map((row) => row.id);
      expect(await pageThrough(list, first, () => {}), `windows of ${first}`).toEqual(expected);
    }
  });

  it("returns every row that existed when paging began exactly once while rows are created at the top", async () => {
    for (const first of [5, 20, 50]) {
      const list = movingList(137);
      const existing = list.rows.map((row) => row.id);
      const seen = await pageThrough(list, first, (window) => list.create(1 + (window % 7)));
      expect(
        seen.filter((id) => id.startsWith("r")),
        `windows of ${first}`,
      ).toEqual(existing);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it("returns every remaining row exactly once while rows before the cursor, and the cursor's own, are removed", async () => {
    const list = movingList(137);
    let last: string | undefined;
    const seen: string[] = [];
    let window = await firstSeekWindow(20, byCreation, list.fetch);
    while (true) {
      seen.push(...window.items.map((item) => item.value.id));
      last = window.items.at(-1)?.value.id;
      if (!window.hasNextPage || last === undefined) {
        break;
      }
      // Three rows already seen go, the cursor's own among them.
      list.remove([last, ...seen.slice(0, 2)]);
      const after = window.items.at(-1)?.position;
      if (after === undefined) {
        break;
      }
      window = await seekWindow(after, 20, byCreation, list.fetch);
    }
    expect(seen).toEqual(Array.from({ length: 137 }, (_, index) => `r${index}`));
  });

  it("keeps each window in order, each row once, when the list moves between two reads of one window", async () => {
    for (const first of [20, 50]) {
      const list = movingList(137);
      const existing = list.rows.map((row) => row.id);
      // Every page read is followed by two new rows at the top, within windows too.
      list.afterRead = () => list.create(2);
      const seen = await pageThrough(list, first, () => {});
      expect(
        seen.filter((id) => id.startsWith("r")),
        `windows of ${first}`,
      ).toEqual(existing);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it("keeps rows created in the same millisecond apart with the ids it has seen", async () => {
    const list = movingList(0);
    for (let index = 0; index < 60; index += 1) {
      list.rows.push({ id: `t${index}`, created: 1_000 - Math.floor(index / 25) });
    }
    const seen = await pageThrough(list, 10, () => list.create(3));
    expect(seen.filter((id) => id.startsWith("t"))).toEqual(
      Array.from({ length: 60 }, (_, index) => `t${index}`),
    );
  });

  it("says where to go on, with no row, when the list moved further than a window may read", async () => {
    const list = movingList(300);
    const window = await firstSeekWindow(20, byCreation, list.fetch);
    list.create(250);
    const after = window.items.at(-1)?.position;
    if (after === undefined) {
      throw new Error("no cursor");
    }
    list.reads.length = 0;
    const moved = await seekWindow(after, 20, byCreation, list.fetch);
    expect(list.reads).toHaveLength(SEEK_MAX_PAGES);
    expect(moved.items).toEqual([]);
    expect(moved.hasNextPage).toBe(true);
    expect(moved.resume?.offset).toBeGreaterThan(after.offset);
    // Following it, the next rows come in order, none skipped.
    const seen: string[] = [];
    let next: SeekWindow<Row> = moved;
    while (next.items.length === 0 && next.resume !== undefined) {
      next = await seekWindow(next.resume, 20, byCreation, list.fetch);
    }
    seen.push(...next.items.map((item) => item.value.id));
    expect(seen[0]).toBe("r20");
  });

  it("never repeats the cursor's row in an order without a fixed key, where rows move", async () => {
    const list = movingList(100);
    const seen = await pageThrough(list, 20, () => list.create(2), { id: (row) => row.id });
    // Without a key a row that moved past the pages read falls back to offsets: no row of the
    // window before repeats at the start of the next, which is all such orders can promise.
    for (let index = 1; index < seen.length; index += 1) {
      expect(seen[index]).not.toBe(seen[index - 1]);
    }
  });
});
