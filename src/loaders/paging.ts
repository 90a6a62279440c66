import { CRISP_MAX_PER_PAGE, CRISP_MIN_PER_PAGE } from "../crisp/types.js";

/**
 * Relay windows (`first` items after a cursor) over Crisp's numbered pages, two ways:
 *
 * - Routes that take `per_page` (conversations, people): the gateway chooses the page size, so
 *   a window maps onto pages by arithmetic (`planPages`, `fetchSlice`), and cursors are offsets.
 * - Routes that take none (visitors, a person's conversations): Crisp's page size is not
 *   documented, so nothing may be computed from it. The window walks pages from where its
 *   cursor says the last one stopped (a Crisp page and an index within it), and a page shorter
 *   than the longest seen, or empty, ends the list (`walkPages`).
 */

/** The pages of a window on a route that takes `per_page`. */
export interface PagePlan {
  perPage: number;
  /** 1-based Crisp page numbers, consecutive. */
  pages: number[];
}

/**
 * The most pages `planPages` ever asks for: a window of at most 50 items, on pages of at least
 * as many, spans two at most. The cost estimate counts this many requests per window.
 */
export const SIZED_WINDOW_MAX_PAGES = 2;

/**
 * Picks the `per_page` (20 to 50) that answers the window with one request, preferably one that
 * also holds the item after the window, so `hasNextPage` is exact rather than guessed.
 */
export function planPages(offset: number, first: number): PagePlan {
  const smallest = Math.max(first, CRISP_MIN_PER_PAGE);
  for (
    let perPage = Math.max(first + 1, CRISP_MIN_PER_PAGE);
    perPage <= CRISP_MAX_PER_PAGE;
    perPage += 1
  ) {
    if (Math.floor(offset / perPage) === Math.floor((offset + first) / perPage)) {
      return { perPage, pages: [Math.floor(offset / perPage) + 1] };
    }
  }
  for (let perPage = smallest; perPage <= CRISP_MAX_PER_PAGE; perPage += 1) {
    if (Math.floor(offset / perPage) === Math.floor((offset + first - 1) / perPage)) {
      return { perPage, pages: [Math.floor(offset / perPage) + 1] };
    }
  }
  // No size holds the window: the two pages of the smallest size that spans it.
  const firstPage = Math.floor(offset / smallest) + 1;
  return { perPage: smallest, pages: [firstPage, firstPage + 1] };
}

export interface Slice<T> {
  items: T[];
  hasNextPage: boolean;
}

/**
 * Cuts the window out of the planned pages. When the item after the window was not fetched,
 * a full last page means "maybe more": Crisp gives no total, so the next page may be empty.
 * Every page is awaited, even after one fails, so nothing is left running.
 */
export async function fetchSlice<T>(
  offset: number,
  first: number,
  plan: PagePlan,
  fetchPage: (page: number, perPage: number) => Promise<T[]>,
): Promise<Slice<T>> {
  const settled = await Promise.allSettled(plan.pages.map((page) => fetchPage(page, plan.perPage)));
  const pages = settled.map((result) => {
    if (result.status === "rejected") {
      throw result.reason;
    }
    return result.value;
  });
  const fetched = pages.flat();
  const start = offset - ((plan.pages[0] ?? 1) - 1) * plan.perPage;
  const items = fetched.slice(start, start + first);
  const lastPage = pages[pages.length - 1] ?? [];
  const hasNextPage = fetched.length > start + first || lastPage.length >= plan.perPage;
  return { items, hasNextPage: first > 0 && hasNextPage };
}

/**
 * Where a walked window stopped: the next item is after `index` of Crisp's page `page`
 * (`index` -1: the page's first item). `longest` is the longest page seen so far, so the next
 * window knows a short page when it sees one.
 */
export interface PagePosition {
  page: number;
  index: number;
  longest: number;
}

export interface WalkedItem<T> {
  value: T;
  /** Where a window after this item starts. */
  position: PagePosition;
}

export interface Walk<T> {
  items: WalkedItem<T>[];
  hasNextPage: boolean;
}

/**
 * The most pages one window reads on a route without `per_page`: enough for `first` items
 * wherever the window starts, on pages of at least Crisp's smallest `per_page` elsewhere (20).
 * Should Crisp page by fewer, a window returns fewer items than asked and its cursor goes on
 * from there: nothing is skipped. The cost estimate counts this many requests per window.
 */
export function walkPageLimit(first: number): number {
  return Math.ceil(first / CRISP_MIN_PER_PAGE) + 1;
}

/**
 * Reads `first` items after `after` (the list's start when null), a page at a time, never
 * assuming a page size: a page shorter than the longest seen, or empty, is the last one.
 */
export async function walkPages<T>(
  after: PagePosition | null,
  first: number,
  fetchPage: (page: number) => Promise<T[]>,
): Promise<Walk<T>> {
  let page = after?.page ?? 1;
  let start = after === null ? 0 : after.index + 1;
  let longest = after?.longest ?? 0;
  const items: WalkedItem<T>[] = [];
  if (first <= 0) {
    return { items, hasNextPage: false };
  }
  for (let read = 0; read < walkPageLimit(first); read += 1) {
    const values = await fetchPage(page);
    const last = values.length === 0 || values.length < longest;
    longest = Math.max(longest, values.length);
    const taken = values.slice(start, start + first - items.length);
    taken.forEach((value, offset) => {
      const index = start + offset;
      items.push({
        value,
        // After a page's last item the next window starts on the next page, without reading
        // this one again.
        position:
          index === values.length - 1 && !last
            ? { page: page + 1, index: -1, longest }
            : { page, index, longest },
      });
    });
    if (start + taken.length < values.length) {
      // The window is full and this page holds more.
      return { items, hasNextPage: true };
    }
    if (last) {
      return { items, hasNextPage: false };
    }
    if (items.length >= first) {
      // The window ends with a full page: Crisp gives no total, so there may be more.
      return { items, hasNextPage: true };
    }
    page += 1;
    start = 0;
  }
  return { items, hasNextPage: true };
}

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
