import { Buffer } from "node:buffer";
import { badUserInput } from "../errors.js";

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
 * A connection's page size as the cost estimate reads it, before validation: what `pageSize`
 * would accept, clamped to it (an invalid size is refused before any Crisp request anyway).
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
