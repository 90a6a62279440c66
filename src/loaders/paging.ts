import { CRISP_MAX_PER_PAGE, CRISP_MIN_PER_PAGE } from "../crisp/types.js";

/**
 * Relay windows (`first` items after a cursor) over Crisp's numbered pages, two ways:
 *
 * - Routes that take `per_page` (conversations, people): the gateway chooses the page size, so
 *   a window maps onto pages by arithmetic (`planPages`); its cursors find their place again
 *   when the list moves (keyset windows, `seek.ts`).
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
 * `onTaken` hears each item as soon as its page puts it in the window (an item taken is never
 * dropped), so what the window's items need next can start while later pages are read.
 */
export async function walkPages<T>(
  after: PagePosition | null,
  first: number,
  fetchPage: (page: number) => Promise<T[]>,
  onTaken?: (value: T) => void,
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
      onTaken?.(value);
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
