import { CRISP_MAX_PER_PAGE } from "../crisp/types.js";
import { planPages } from "./paging.js";

/**
 * Keyset windows over Crisp's offset pages (routes that take `per_page`: conversations,
 * people). Crisp pages by offset, and a list moves between two requests: a conversation
 * created before a client's cursor shifts every later offset. A cursor here remembers the last
 * item (where it was, its id and, on lists sorted by a key that never changes, that key), the
 * next window is read from where that item was and starts after it wherever it moved, and the
 * pages of one window join where the run's last item is (docs/exports.md).
 */

/**
 * Where a keyset window stopped, so the next one finds its place again however Crisp's
 * offsets moved in between: the last item's index when it was read (where to look first), its
 * id, and, on lists sorted by a key that never changes (creation time), that key and the ids
 * before it sharing it.
 */
export interface SeekPosition {
  /** The item's index in the list when it was read: where the next window looks first. */
  offset: number;
  /** Crisp's id of the item (a session id, a people id). */
  id: string;
  /** Its sort key, on lists sorted by a key that never changes, newest first. */
  key?: number;
  /** Ids of the items just before it with the same key (at most `MAX_TIES`). */
  ties?: string[];
}

/** How a list is ordered, as far as finding one's place again needs to know. */
export interface SeekOrder<T> {
  id(item: T): string;
  /**
   * The item's sort key when the list is sorted by one that never changes, descending (a
   * conversation's or a profile's creation time, newest first): an item inserted or removed
   * anywhere then shows by where keys fall, even when the cursor's own item is gone. Absent
   * (an order by a key that changes, such as the last update): only the cursor item's id is
   * looked for, near its offset.
   */
  key?(item: T): number;
}

/** Ties kept in a cursor: past them, conversations created in the same millisecond repeat. */
export const MAX_TIES = 20;

/**
 * The most Crisp requests one keyset window sends: the page where its cursor item was, one more
 * page either way when the list moved past it, and the rest of the window. The cost estimate
 * counts this many for a window with a cursor.
 */
export const SEEK_MAX_PAGES = 4;

export interface SeekItem<T> {
  value: T;
  position: SeekPosition;
}

export interface SeekWindow<T> {
  items: SeekItem<T>[];
  hasNextPage: boolean;
  /**
   * Set when the list moved so far that the window's place was not found within
   * `SEEK_MAX_PAGES` reads: no item is returned, and the next window looks on from here.
   */
  resume?: SeekPosition;
}

/** Positions of the items of a contiguous run of the list, ties carried over from `before`. */
function positionsOf<T>(
  entries: readonly { value: T; offset: number }[],
  order: SeekOrder<T>,
  before: SeekPosition | null,
): SeekItem<T>[] {
  const keyOf = order.key;
  return entries.map(({ value, offset }, index) => {
    const id = order.id(value);
    if (keyOf === undefined) {
      return { value, position: { offset, id } };
    }
    const key = keyOf(value);
    const ties: string[] = [];
    let back = index - 1;
    for (; back >= 0; back -= 1) {
      const earlier = (entries[back] as { value: T }).value;
      if (keyOf(earlier) !== key) {
        break;
      }
      ties.unshift(order.id(earlier));
    }
    if (back < 0 && before !== null && before.key === key) {
      ties.unshift(...(before.ties ?? []), before.id);
    }
    return {
      value,
      position: { offset, id, key, ...(ties.length > 0 ? { ties: ties.slice(-MAX_TIES) } : {}) },
    };
  });
}

/**
 * The items of consecutive Crisp pages, read one after the other, kept in the list's order
 * with each item once. Crisp's pages are offsets into a list that may move between two
 * requests: a page read after a conversation was created repeats the end of the page before
 * it, one read after a removal starts past an item. So a page joins the run where the run's
 * last (or first) item is found in it, or, on a list sorted by a key that never changes, where
 * the keys say; only items the run does not hold yet join it.
 */
class PageRun<T> {
  readonly entries: { value: T; offset: number }[] = [];
  readonly #ids = new Set<string>();
  readonly #order: SeekOrder<T>;
  /** Pages read, 0-based, lowest and highest. */
  low = 0;
  high = -1;
  /** The highest page read was shorter than a full one: the list ends there. */
  ended = false;

  constructor(order: SeekOrder<T>) {
    this.#order = order;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Where item `index` of page `page` (0-based, of `perPage`) stood when it was read. */
  #entries(values: readonly T[], page: number, perPage: number) {
    return values.map((value, index) => ({ value, offset: page * perPage + index }));
  }

  #fresh(entries: { value: T; offset: number }[]) {
    return entries.filter(({ value }) => !this.#ids.has(this.#order.id(value)));
  }

  #remember(entries: { value: T }[]) {
    for (const { value } of entries) {
      this.#ids.add(this.#order.id(value));
    }
  }

  /** Page `page` read after the pages held: what comes after the run's last item joins it. */
  append(values: readonly T[], page: number, perPage: number): void {
    const entries = this.#entries(values, page, perPage);
    const last = this.entries.at(-1)?.value;
    let joining = entries;
    if (last !== undefined) {
      const at = entries.findIndex(({ value }) => this.#order.id(value) === this.#order.id(last));
      const keyOf = this.#order.key;
      if (at >= 0) {
        joining = entries.slice(at + 1);
      } else if (keyOf !== undefined) {
        joining = entries.filter(({ value }) => keyOf(value) <= keyOf(last));
      }
    }
    const fresh = this.#fresh(joining);
    this.#remember(fresh);
    this.entries.push(...fresh);
    this.high = Math.max(this.high, page);
    if (this.size === fresh.length) {
      this.low = page;
    }
    this.ended = values.length < perPage;
  }

  /** Page `page` read before the pages held: what comes before the run's first item joins it. */
  prepend(values: readonly T[], page: number, perPage: number): void {
    const entries = this.#entries(values, page, perPage);
    const first = this.entries[0]?.value;
    let joining = entries;
    if (first !== undefined) {
      const at = entries.findIndex(({ value }) => this.#order.id(value) === this.#order.id(first));
      const keyOf = this.#order.key;
      if (at >= 0) {
        joining = entries.slice(0, at);
      } else if (keyOf !== undefined) {
        joining = entries.filter(({ value }) => keyOf(value) >= keyOf(first));
      }
    }
    const fresh = this.#fresh(joining);
    this.#remember(fresh);
    this.entries.unshift(...fresh);
    this.low = page;
  }
}

/** Reads pages one at a time into a run, counting the Crisp requests. */
class PageReader<T> {
  reads = 0;
  readonly run: PageRun<T>;
  readonly #fetch: (page: number, perPage: number) => Promise<T[]>;
  readonly perPage: number;

  constructor(
    order: SeekOrder<T>,
    perPage: number,
    fetchPage: (page: number, perPage: number) => Promise<T[]>,
  ) {
    this.run = new PageRun(order);
    this.perPage = perPage;
    this.#fetch = fetchPage;
  }

  /** Reads page `page` (0-based) after the run, or before it. */
  async read(page: number, where: "after" | "before" = "after"): Promise<void> {
    this.reads += 1;
    const values = await this.#fetch(page + 1, this.perPage);
    if (where === "after") {
      this.run.append(values, page, this.perPage);
    } else {
      this.run.prepend(values, page, this.perPage);
    }
  }
}

/** The first window of a keyset list, with each item's position. */
export async function firstSeekWindow<T>(
  first: number,
  order: SeekOrder<T>,
  fetchPage: (page: number, perPage: number) => Promise<T[]>,
): Promise<SeekWindow<T>> {
  if (first <= 0) {
    return { items: [], hasNextPage: false };
  }
  const plan = planPages(0, first);
  const reader = new PageReader(order, plan.perPage, fetchPage);
  // One page, two where no page size holds the window (read in turn, so the second joins the
  // first where it now stands).
  for (const page of plan.pages) {
    if (reader.run.ended) {
      break;
    }
    await reader.read(page - 1);
  }
  const { run } = reader;
  const items = positionsOf(run.entries.slice(0, first), order, null);
  return { items, hasNextPage: run.size > first || (!run.ended && items.length === first) };
}

/**
 * `first` items after `after`, found again in a list that may have moved since: Crisp pages by
 * offset, and a conversation created (or removed) before the cursor shifts every later offset.
 *
 * The window is read from the cursor item's own offset, so the page shows whether it is still
 * there. If it moved, the window starts after it wherever it now is; if it is gone or out of
 * the pages read, the sort key (when the order has one that never changes) tells which way the
 * list moved, and one more page that way is read (items newer than the cursor come before it,
 * older ones after). Every item that was after the cursor when it was read is returned once,
 * in order. Without a key, an item that moved out of the pages read falls back to its offset.
 */
export async function seekWindow<T>(
  after: SeekPosition,
  first: number,
  order: SeekOrder<T>,
  fetchPage: (page: number, perPage: number) => Promise<T[]>,
): Promise<SeekWindow<T>> {
  if (first <= 0) {
    return { items: [], hasNextPage: false };
  }
  // The window starts at the cursor item itself: one item of overlap shows any shift. Past
  // Crisp's largest page, the rest of the window is read after the first pages.
  const plan = planPages(after.offset, Math.min(first + 1, CRISP_MAX_PER_PAGE));
  const reader = new PageReader(order, plan.perPage, fetchPage);
  for (const page of plan.pages) {
    if (reader.run.ended) {
      break;
    }
    await reader.read(page - 1);
  }
  const { run } = reader;
  const ties = new Set(after.ties ?? []);
  const keyOf = order.key;
  const isBefore = (value: T): boolean => {
    const id = order.id(value);
    if (id === after.id || ties.has(id)) {
      return true;
    }
    return keyOf !== undefined && after.key !== undefined && keyOf(value) > after.key;
  };
  /** Index in the run of the first item after the cursor. */
  let boundary: number | undefined;
  for (;;) {
    const values = run.entries.map((entry) => entry.value);
    const found = values.findIndex((value) => order.id(value) === after.id);
    if (found >= 0) {
      boundary = found + 1;
      break;
    }
    if (keyOf === undefined || after.key === undefined) {
      // Nothing tells where the list moved: go on from the offset, as plain offsets would.
      const index = run.entries.findIndex((entry) => entry.offset > after.offset);
      boundary = index === -1 ? run.size : index;
      break;
    }
    const firstAfter = values.findIndex((value) => !isBefore(value));
    if (firstAfter > 0 || (firstAfter === 0 && run.low === 0)) {
      boundary = firstAfter;
      break;
    }
    if (firstAfter === -1 && run.ended) {
      boundary = run.size;
      break;
    }
    if (reader.reads >= SEEK_MAX_PAGES) {
      // The list moved more than this window may read: say where to look on, return nothing.
      const edge = firstAfter === -1 ? run.entries.at(-1) : run.entries[0];
      const offset = Math.max(0, (edge?.offset ?? after.offset) - (firstAfter === -1 ? 0 : 1));
      return { items: [], hasNextPage: true, resume: { ...after, offset } };
    }
    // Every item read is before the cursor: it moved later; every one after it: earlier.
    if (firstAfter === -1) {
      await reader.read(run.high + 1);
    } else {
      await reader.read(run.low - 1, "before");
    }
  }
  // The window's own items, and one more to know whether the list goes on.
  while (run.size <= boundary + first && !run.ended && reader.reads < SEEK_MAX_PAGES) {
    await reader.read(run.high + 1);
  }
  const items = positionsOf(run.entries, order, after).slice(boundary, boundary + first);
  const hasNextPage = run.size > boundary + items.length || !run.ended;
  if (items.length === 0 && hasNextPage) {
    // Its place found, but no read left for its items: the next window starts from there.
    const last = run.entries[boundary - 1];
    return {
      items,
      hasNextPage,
      resume: { ...after, offset: last?.offset ?? after.offset },
    };
  }
  return { items, hasNextPage };
}
