/**
 * Exports a whole Crisp workspace through the gateway to JSON lines, in one GraphQL operation:
 * every conversation (with every message) and every people profile, streamed with `@stream`
 * as the gateway reads Crisp's pages. See docs/exports.md for how an export job should be
 * written; this script is one.
 *
 *   npx tsx examples/export-workspace.ts --url http://127.0.0.1:4000/graphql > workspace.jsonl
 *
 * Options (or environment): `--url` (GATEWAY_URL, default http://127.0.0.1:4000/graphql),
 * `--token` (GATEWAY_TOKEN: an API key or JWT, when the gateway asks for one), `--website`
 * (a website id; default: the gateway's default website). One JSON object per line, its
 * `kind` saying which: `{"kind":"conversation",…}`, `{"kind":"message",…}`, `{"kind":"person",…}`. It exits 1,
 * saying why on stderr, when the gateway or Crisp refused anything: rerun it, and let the sink
 * replace records by their ids (sessionId, sessionId + fingerprint, peopleId).
 */

import { pathToFileURL } from "node:url";

/** The one operation of the export: each list streamed page by page (`initialCount: 0`). */
export const EXPORT_QUERY = `query Export($websiteId: ID) {
  website(id: $websiteId) {
    websiteId
    allConversations(orderBy: CREATED) @stream(initialCount: 0) {
      sessionId peopleId state createdAt updatedAt lastMessage
      meta { nickname email phone segments }
      allMessages @stream(initialCount: 0) { fingerprint sessionId type from origin text timestamp }
    }
    allPeople @stream(initialCount: 0) {
      peopleId email nickname phone segments createdAt updatedAt
      company { name domain }
      data
    }
  }
}`;

/** One line of the export: the fields selected, and `kind` (a message has its own `type`). */
export type ExportRecord = Record<string, unknown> & {
  kind: "conversation" | "message" | "person";
};

export interface ExportOptions {
  /** The gateway's GraphQL endpoint. */
  url: string;
  /** `Authorization: Bearer <token>`, when the gateway asks for credentials. */
  token?: string;
  /** The website to export. @default the gateway's default website */
  websiteId?: string;
  /** Where each record goes (a file, a queue, a database upsert). */
  write: (record: ExportRecord) => void | Promise<void>;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface ExportSummary {
  conversations: number;
  messages: number;
  people: number;
  /** What the gateway said the operation cost (`extensions.cost` of its last part). */
  cost: unknown;
}

/** A GraphQL error as the gateway reports it. */
interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** One part of an incremental answer: the first one (`data`), or a later one (`incremental`). */
interface Part {
  data?: unknown;
  errors?: GraphQLErrorShape[];
  incremental?: { items?: unknown[]; path?: (string | number)[]; errors?: GraphQLErrorShape[] }[];
  extensions?: Record<string, unknown>;
  hasNext?: boolean;
}

/** The export failed: what the gateway said. */
export class ExportError extends Error {
  readonly errors: GraphQLErrorShape[];

  constructor(errors: GraphQLErrorShape[]) {
    super(
      errors
        .map((error) => `${String(error.extensions?.code ?? "ERROR")}: ${error.message}`)
        .join("; "),
    );
    this.name = "ExportError";
    this.errors = errors;
  }
}

/** The `next` events of a Server-Sent Events body, parsed, as they arrive. */
async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<Part> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return;
    }
    buffered += decoder.decode(value, { stream: true });
    for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const lines = block.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice(7);
      const data = lines
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      if (event === "next" && data !== "") {
        yield JSON.parse(data) as Part;
      }
    }
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Runs the export; resolves with what it wrote, or rejects with an ExportError. */
export async function exportWorkspace({
  url,
  token,
  websiteId,
  write,
  fetch: fetchImpl = globalThis.fetch,
}: ExportOptions): Promise<ExportSummary> {
  const response = await fetchImpl(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      // Incremental delivery over SSE: one `next` event per part.
      accept: "text/event-stream",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query: EXPORT_QUERY, variables: { websiteId } }),
  });
  if (response.body === null) {
    throw new ExportError([{ message: `The gateway answered HTTP ${response.status}.` }]);
  }
  const summary: ExportSummary = { conversations: 0, messages: 0, people: 0, cost: undefined };
  const errors: GraphQLErrorShape[] = [];
  /** An item streamed into one of the three lists, by the list its path names. */
  const take = async (item: unknown, list: string | number | undefined) => {
    if (!isRecord(item)) {
      return;
    }
    if (list === "allConversations") {
      const { allMessages: _streamedApart, ...conversation } = item;
      summary.conversations += 1;
      await write({ ...conversation, kind: "conversation" });
    } else if (list === "allMessages") {
      summary.messages += 1;
      await write({ ...item, kind: "message" });
    } else if (list === "allPeople") {
      summary.people += 1;
      await write({ ...item, kind: "person" });
    }
  };
  for await (const part of serverSentEvents(response.body)) {
    errors.push(...(part.errors ?? []));
    for (const increment of part.incremental ?? []) {
      errors.push(...(increment.errors ?? []));
      // `path` is the first item's: [..., "allConversations", index].
      const list = increment.path?.at(-2);
      for (const item of increment.items ?? []) {
        await take(item, list);
      }
    }
    if (part.extensions?.cost !== undefined) {
      summary.cost = part.extensions.cost;
    }
  }
  if (errors.length > 0) {
    throw new ExportError(errors);
  }
  return summary;
}

/** `--name value` or the environment variable, else the default. */
function option(name: string, variable: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return (at >= 0 ? process.argv[at + 1] : undefined) ?? process.env[variable] ?? fallback;
}

async function main(): Promise<void> {
  const url = option("url", "GATEWAY_URL", "http://127.0.0.1:4000/graphql") ?? "";
  const token = option("token", "GATEWAY_TOKEN");
  const websiteId = option("website", "GATEWAY_WEBSITE_ID");
  try {
    const summary = await exportWorkspace({
      url,
      ...(token === undefined ? {} : { token }),
      ...(websiteId === undefined ? {} : { websiteId }),
      write: (record) => {
        process.stdout.write(`${JSON.stringify(record)}\n`);
      },
    });
    process.stderr.write(
      `Exported ${summary.conversations} conversations, ${summary.messages} messages and ${summary.people} people; cost ${JSON.stringify(summary.cost)}.\n`,
    );
  } catch (error) {
    process.stderr.write(
      `Export failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
