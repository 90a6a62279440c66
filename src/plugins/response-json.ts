import type { ExecutionResult } from "graphql";

/**
 * A cached answer's data as JSON, written once per data object however many hands need it: the
 * memory store sizing an entry, the Redis store sending one, and every hit the entry serves
 * (src/plugins/use-gateway-response-cache.ts). An entry read back from Redis comes with its
 * data's JSON already known, cut from the text it was parsed from.
 */
const written = new WeakMap<object, string>();

/** `data` as JSON, written the first time it is asked for. */
export function dataJson(data: object): string {
  let text = written.get(data);
  if (text === undefined) {
    text = JSON.stringify(data);
    written.set(data, text);
  }
  return text;
}

/** What a store keeps of an answer (`{ data }`, see `useGatewayResponseCache`), as JSON. */
export function entryJson(entry: ExecutionResult): string {
  const { data, ...rest } = entry;
  return data !== null && data !== undefined && Object.keys(rest).length === 0
    ? `{"data":${dataJson(data)}}`
    : JSON.stringify(entry);
}

const DATA_ONLY_PREFIX = '{"data":';

/** An entry from its JSON (as `entryJson` wrote it), its data's JSON remembered. */
export function parseEntry(text: string): ExecutionResult {
  const entry = JSON.parse(text) as ExecutionResult;
  const { data, ...rest } = entry;
  if (
    data !== null &&
    typeof data === "object" &&
    Object.keys(rest).length === 0 &&
    text.startsWith(DATA_ONLY_PREFIX)
  ) {
    written.set(data, text.slice(DATA_ONLY_PREFIX.length, -1));
  }
  return entry;
}
