/**
 * Parsing of Crisp query parameters into typed values. Bad input throws the answer Crisp
 * gives (`invalid_data`, 400), so handlers only deal with valid values.
 */

import type { CrispAssumptions } from "./assumptions.js";
import { invalidData } from "./errors.js";
import { PER_PAGE } from "./protocol.js";

export type Query = Readonly<Record<string, string>>;

/** A `{page_number}` path segment: a positive integer, else 400 `invalid_data`. */
export function parsePage(raw: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) {
    throw invalidData();
  }
  return Number(raw);
}

/**
 * `per_page`: "between 20 and 50, defaults to 20" (crisp-api.md §4.4, §4.7). Outside the range,
 * or not a number, it is clamped (a non-number meaning the default) or refused with
 * `invalid_data`, as `assumptions.perPageOutOfRange` says.
 */
export function parsePerPage(
  raw: string | undefined,
  assumptions: Pick<CrispAssumptions, "perPageOutOfRange">,
): number {
  if (raw === undefined) {
    return PER_PAGE.DEFAULT;
  }
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (value >= PER_PAGE.MIN && value <= PER_PAGE.MAX) {
    return value;
  }
  if (assumptions.perPageOutOfRange === "refuse") {
    throw invalidData(`per_page must be between ${PER_PAGE.MIN} and ${PER_PAGE.MAX}`);
  }
  return Number.isNaN(value)
    ? PER_PAGE.DEFAULT
    : Math.min(PER_PAGE.MAX, Math.max(PER_PAGE.MIN, value));
}

/** Crisp's booleans are the strings "1"/"0" (GO/NODE); "true" is accepted too. */
export function flag(query: Query, name: string): boolean {
  const value = query[name];
  return value === "1" || value === "true";
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 date parameter as ms since epoch; unparsable dates answer `invalid_data`. */
export function parseDate(query: Query, name: string): number | undefined {
  const raw = query[name];
  if (raw === undefined || raw === "") {
    return undefined;
  }
  const ms = ISO_8601.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalidData();
  }
  return ms;
}

/** `filter_date_start` / `filter_date_end` as ms bounds, present only when given. */
export function dateRange(query: Query): { dateStart?: number; dateEnd?: number } {
  const dateStart = parseDate(query, "filter_date_start");
  const dateEnd = parseDate(query, "filter_date_end");
  return {
    ...(dateStart === undefined ? {} : { dateStart }),
    ...(dateEnd === undefined ? {} : { dateEnd }),
  };
}

/** A `timestamp_*` parameter in ms; non-numeric values answer `invalid_data`. */
export function parseTimestamp(query: Query, name: string): number | undefined {
  const raw = query[name];
  if (raw === undefined) {
    return undefined;
  }
  if (!/^[0-9]{1,16}$/.test(raw)) {
    throw invalidData();
  }
  return Number(raw);
}

export type FilterOperator = "eq" | "neq" | "has" | "nhas";

/** One criterion of a `filter` search: `{ model, criterion, operator, query: string[] }`. */
export interface FilterCriterion {
  model: string;
  criterion: string;
  operator: FilterOperator;
  query: string[];
}

export interface Filter {
  criteria: FilterCriterion[];
  /** `search_operator`: `and` (the default) needs every criterion, `or` any. */
  combine: "and" | "or";
}

const OPERATORS: readonly string[] = ["eq", "neq", "has", "nhas"];

/**
 * A JSON filter (`search_query` with `search_type=filter`, or the people `search_filter`).
 * `models` are the model names the route understands; anything else is `invalid_data`.
 */
export function parseFilter(
  raw: string,
  operator: string | undefined,
  models: readonly string[],
): Filter {
  if (operator !== undefined && operator !== "and" && operator !== "or") {
    throw invalidData();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidData();
  }
  if (!Array.isArray(parsed)) {
    throw invalidData();
  }
  const criteria = parsed.map((item: unknown): FilterCriterion => {
    if (typeof item !== "object" || item === null) {
      throw invalidData();
    }
    const { model, criterion, operator: op, query } = item as Record<string, unknown>;
    if (
      typeof model !== "string" ||
      !models.includes(model) ||
      typeof criterion !== "string" ||
      criterion === "" ||
      typeof op !== "string" ||
      !OPERATORS.includes(op) ||
      !Array.isArray(query) ||
      !query.every((value) => typeof value === "string")
    ) {
      throw invalidData();
    }
    return { model, criterion, operator: op as FilterOperator, query: query as string[] };
  });
  return { criteria, combine: operator ?? "and" };
}

/** Follows a dotted path (`meta.email`) into a payload object. */
export function resolvePath(target: unknown, path: string): unknown {
  let value: unknown = target;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function asStrings(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items
    .filter(
      (item): item is string | number | boolean =>
        typeof item === "string" || typeof item === "number" || typeof item === "boolean",
    )
    .map((item) => String(item).toLowerCase());
}

/** Whether a payload object satisfies a filter; comparisons ignore case. */
export function matchesFilter(target: unknown, filter: Filter): boolean {
  const test = (criterion: FilterCriterion): boolean => {
    const values = asStrings(resolvePath(target, criterion.criterion));
    const wanted = criterion.query.map((value) => value.toLowerCase());
    const equal = values.some((value) => wanted.includes(value));
    const contains = values.some((value) => wanted.some((part) => value.includes(part)));
    switch (criterion.operator) {
      case "eq":
        return equal;
      case "neq":
        return !equal;
      case "has":
        return contains;
      case "nhas":
        return !contains;
    }
  };
  if (filter.criteria.length === 0) {
    return true;
  }
  return filter.combine === "and" ? filter.criteria.every(test) : filter.criteria.some(test);
}
