import { CRISP_MAX_PER_PAGE, CRISP_MIN_PER_PAGE } from "../crisp/types.js";

/**
 * Maps a Relay window (`offset`, `first`) onto Crisp's numbered pages. Crisp's `per_page`
 * may be anything from 20 to 50, so the planner picks the size that answers the window in one
 * request, and preferably one that also holds the item after the window, so `hasNextPage` is
 * exact rather than guessed from a full page.
 */
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
  return fixedPlan(offset, first, smallest);
}

/**
 * The most pages one window reads on a route without `per_page`: enough for `first` items
 * wherever the window starts, on pages of at least Crisp's smallest `per_page` elsewhere.
 */
export function walkPageLimit(first: number): number {
  return Math.ceil(first / CRISP_MIN_PER_PAGE) + 1;
}

/** Routes without `per_page` have one page size: fetch the pages the window touches. */
export function fixedPlan(offset: number, first: number, pageSize: number): PagePlan {
  const firstPage = Math.floor(offset / pageSize) + 1;
  const lastPage = Math.floor((offset + Math.max(first, 1) - 1) / pageSize) + 1;
  const pages: number[] = [];
  for (let page = firstPage; page <= lastPage; page += 1) {
    pages.push(page);
  }
  return { perPage: pageSize, pages };
}

export interface Slice<T> {
  items: T[];
  hasNextPage: boolean;
}

/**
 * Cuts the window out of the fetched pages. When the item after the window was not fetched,
 * a full last page means "maybe more": Crisp gives no total, so the next page may be empty.
 */
export async function fetchSlice<T>(
  offset: number,
  first: number,
  plan: PagePlan,
  fetchPage: (page: number, perPage: number) => Promise<T[]>,
): Promise<Slice<T>> {
  const pages = await Promise.all(plan.pages.map((page) => fetchPage(page, plan.perPage)));
  const fetched = pages.flat();
  const start = offset - ((plan.pages[0] ?? 1) - 1) * plan.perPage;
  const items = fetched.slice(start, start + first);
  const lastPage = pages[pages.length - 1] ?? [];
  const hasNextPage = fetched.length > start + first || lastPage.length >= plan.perPage;
  return { items, hasNextPage: first > 0 && hasNextPage };
}
