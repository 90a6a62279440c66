/** The URL parts of a Crisp request: encoded path segments and the query string. */

import type { Query } from "./client.js";

/** Crisp takes booleans as "1"/"0" (crisp-api.md §4); absent values are left out. */
export function toSearch(query: Query | undefined): string {
  if (query === undefined) {
    return "";
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) {
      continue;
    }
    params.append(name, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
  }
  const search = params.toString();
  return search === "" ? "" : `?${search}`;
}

/** Encodes each interpolated path segment; callers validate ids before they get here. */
export function crispPath(strings: TemplateStringsArray, ...segments: (string | number)[]): string {
  return strings.reduce(
    (path, literal, index) =>
      index < segments.length
        ? `${path}${literal}${encodeURIComponent(String(segments[index]))}`
        : `${path}${literal}`,
    "",
  );
}
