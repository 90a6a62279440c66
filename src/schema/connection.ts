import { Buffer } from "node:buffer";
import { badUserInput } from "../errors.js";
import {
  fetchSlice,
  type PagePosition,
  planPages,
  SIZED_WINDOW_MAX_PAGES,
  walkPages,
} from "../loaders/paging.js";
import {
  firstSeekWindow,
  MAX_TIES,
  SEEK_MAX_PAGES,
  type SeekOrder,
  type SeekPosition,
  seekWindow,
} from "../loaders/seek.js";
import type { CrispCost } from "./cost.js";

/** Default and largest page size of every connection (the contract's rule). */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;

export interface ConnectionResult<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

/**
 * A connection's page size as the cost estimate counts it. The field's argument check
 * (`checkForwardWindow`, run by the estimate first) refuses a size `pageSize` would refuse, so
 * the clamp only keeps the count finite for callers that estimate without checking.
 */
export function requestedPageSize(
  name: "first" | "last",
): (args: Readonly<Record<string, unknown>>) => number {
  return (args) => {
    const value = args[name];
    return typeof value === "number" && Number.isFinite(value)
      ? Math.min(Math.max(Math.ceil(value), 0), MAX_PAGE_SIZE)
      : DEFAULT_PAGE_SIZE;
  };
}

/**
 * What a list connection that seeks after a cursor costs at worst (`Website.conversations`,
 * `Website.people`): the pages a seek may read when `after` is given, else the pages a sized
 * window needs; whatever is selected inside runs once per edge of `first`.
 */
export const seekingConnectionCost: CrispCost = {
  requests: (args) => (typeof args.after === "string" ? SEEK_MAX_PAGES : SIZED_WINDOW_MAX_PAGES),
  items: requestedPageSize("first"),
};

/** Validates a page size argument (`first` or `last`): 0 to 50, default 20. */
export function pageSize(value: number | null | undefined, field: string): number {
  if (value === null || value === undefined) {
    return DEFAULT_PAGE_SIZE;
  }
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw badUserInput(field, `expected 0 to ${MAX_PAGE_SIZE}, got ${value}.`);
  }
  return value;
}

/** Offset cursors: list connections over Crisp's numbered pages. */
export function encodeOffsetCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64url");
}

export function decodeOffsetCursor(cursor: string | null | undefined, field: string): number {
  if (cursor === null || cursor === undefined) {
    return -1;
  }
  const match = /^offset:(\d{1,7})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (match?.[1] === undefined) {
    throw badUserInput(field, "not a cursor of this connection.");
  }
  return Number(match[1]);
}

/** The window a `first`/`after` pair asks for. */
export function forwardWindow(args: { first?: number | null; after?: string | null }): {
  offset: number;
  first: number;
} {
  return {
    first: pageSize(args.first, "first"),
    offset: decodeOffsetCursor(args.after, "after") + 1,
  };
}

export function offsetConnection<T>(
  items: T[],
  offset: number,
  hasNextPage: boolean,
): ConnectionResult<T> {
  const edges = items.map((node, index) => ({ cursor: encodeOffsetCursor(offset + index), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/** Page cursors: a Crisp page and an index in it, on routes whose page size is Crisp's own. */
export function encodePageCursor({ page, index, longest }: PagePosition): string {
  return Buffer.from(`page:${page}:${index}:${longest}`).toString("base64url");
}

export function decodePageCursor(
  cursor: string | null | undefined,
  field: string,
): PagePosition | null {
  if (cursor === null || cursor === undefined) {
    return null;
  }
  const match = /^page:(\d{1,6}):(-1|\d{1,5}):(\d{1,5})$/.exec(
    Buffer.from(cursor, "base64url").toString("utf8"),
  );
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) {
    throw badUserInput(field, "not a cursor of this connection.");
  }
  const page = Number(match[1]);
  if (page < 1) {
    throw badUserInput(field, "not a cursor of this connection.");
  }
  return { page, index: Number(match[2]), longest: Number(match[3]) };
}

/** A Crisp id as a cursor may carry it: what session and people ids (and emails) are made of. */
const CURSOR_ID = /^[A-Za-z0-9_@.+-]{1,100}$/;

/** Keyset cursors: where the last item was, its id and its sort key (src/loaders/seek.ts). */
export function encodeSeekCursor({ offset, id, key, ties }: SeekPosition): string {
  return Buffer.from(`seek:${JSON.stringify([offset, id, key ?? null, ties ?? []])}`).toString(
    "base64url",
  );
}

/**
 * A keyset cursor, or an offset cursor of an earlier release (it pages on by offset, as it
 * did). Anything else is BAD_USER_INPUT.
 */
export function decodeSeekCursor(
  cursor: string | null | undefined,
  field: string,
): SeekPosition | null {
  if (cursor === null || cursor === undefined) {
    return null;
  }
  const refused = () => badUserInput(field, "not a cursor of this connection.");
  if (cursor.length > 4_000) {
    throw refused();
  }
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const offset = /^offset:(\d{1,7})$/.exec(text);
  if (offset?.[1] !== undefined) {
    return { offset: Number(offset[1]), id: "" };
  }
  if (!text.startsWith("seek:")) {
    throw refused();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(5));
  } catch {
    throw refused();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) {
    throw refused();
  }
  const [at, id, key, ties] = parsed as unknown[];
  const isId = (value: unknown): value is string =>
    typeof value === "string" && CURSOR_ID.test(value);
  if (
    typeof at !== "number" ||
    !Number.isInteger(at) ||
    at < 0 ||
    at > 9_999_999 ||
    !isId(id) ||
    !(key === null || (typeof key === "number" && Number.isFinite(key))) ||
    !Array.isArray(ties) ||
    ties.length > MAX_TIES ||
    !ties.every(isId)
  ) {
    throw refused();
  }
  return {
    offset: at,
    id,
    ...(key === null ? {} : { key }),
    ...(ties.length > 0 ? { ties } : {}),
  };
}

/**
 * How a connection reads Crisp's pages: a route that takes `per_page` (the gateway chooses the
 * size; with an `order`, cursors find their place again when the list moves: keyset cursors),
 * or one that takes none (Crisp's size, never assumed: see src/loaders/paging.ts).
 */
export type CrispPages<T> =
  | {
      perPage: "chosen";
      fetch: (page: number, perPage: number) => Promise<T[]>;
      order?: SeekOrder<T>;
    }
  | { perPage: "crisp"; fetch: (page: number) => Promise<T[]> };

/** Which cursors a connection takes, for its argument check. */
export type CursorKind = "offset" | "seek" | "page";

/**
 * The argument check of a forward connection (`first`, `after`), as its resolver runs it: what
 * it refuses costs no Crisp request (`checkArgs`, src/schema/cost.ts).
 */
export function checkForwardWindow(
  args: { first?: number | null; after?: string | null },
  cursors: CursorKind,
): void {
  pageSize(args.first, "first");
  if (cursors === "offset") {
    decodeOffsetCursor(args.after, "after");
  } else if (cursors === "seek") {
    decodeSeekCursor(args.after, "after");
  } else {
    decodePageCursor(args.after, "after");
  }
}

/**
 * The one paged connection: `first` items after the `after` cursor, read from Crisp's pages
 * through the loaders, each item turned into its node (null drops it, keeping the cursors of
 * the others). `first`, `after` and the item-to-node step are all it needs.
 */
export async function pagedConnection<T, N>(
  args: { first?: number | null; after?: string | null },
  pages: CrispPages<T>,
  toNode: (item: T) => N | null | Promise<N | null>,
): Promise<ConnectionResult<N>> {
  const first = pageSize(args.first, "first");
  let items: { item: T; cursor: string }[];
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  let resume: string | null = null;
  /** A walk's nodes, started in the window's order as each page comes. */
  let started: Promise<N | null>[] | undefined;
  if (pages.perPage === "chosen" && pages.order !== undefined) {
    const after = decodeSeekCursor(args.after, "after");
    hasPreviousPage = after !== null;
    const window =
      after === null
        ? await firstSeekWindow(first, pages.order, pages.fetch)
        : await seekWindow(after, first, pages.order, pages.fetch);
    items = window.items.map(({ value, position }) => ({
      item: value,
      cursor: encodeSeekCursor(position),
    }));
    hasNextPage = window.hasNextPage;
    if (window.resume !== undefined) {
      resume = encodeSeekCursor(window.resume);
    }
  } else if (pages.perPage === "chosen") {
    const offset = decodeOffsetCursor(args.after, "after") + 1;
    hasPreviousPage = offset > 0;
    const slice =
      first === 0
        ? { items: [], hasNextPage: false }
        : await fetchSlice(offset, first, planPages(offset, first), pages.fetch);
    items = slice.items.map((item, index) => ({
      item,
      cursor: encodeOffsetCursor(offset + index),
    }));
    hasNextPage = slice.hasNextPage;
  } else {
    const after = decodePageCursor(args.after, "after");
    hasPreviousPage = after !== null;
    // Each item's node (a conversation read, for a person's list of session ids) starts as
    // soon as its page is read, not after the walk's last page: one round trip sooner.
    const walked: Promise<N | null>[] = [];
    started = walked;
    const walk = await walkPages(after, first, pages.fetch, (value) => {
      const node = Promise.resolve(toNode(value));
      // Awaited below once the walk ends; a walk that fails first leaves it unawaited.
      node.catch(() => undefined);
      walked.push(node);
    });
    items = walk.items.map(({ value, position }) => ({
      item: value,
      cursor: encodePageCursor(position),
    }));
    hasNextPage = walk.hasNextPage;
  }
  const nodes = await Promise.all(started ?? items.map(({ item }) => toNode(item)));
  const edges = items.flatMap(({ cursor }, index) => {
    const node = nodes[index];
    return node === null || node === undefined ? [] : [{ cursor, node }];
  });
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? resume,
      // A window that found no place (the list moved too far for it) says where to go on.
      endCursor: edges[edges.length - 1]?.cursor ?? resume,
    },
  };
}
