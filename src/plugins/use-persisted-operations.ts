import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { LRUCache } from "lru-cache";
import { clientKeyOf, type Viewer } from "../auth.js";

/**
 * Persisted operations, two ways:
 *
 * - Automatic persisted queries (APQ), the protocol of Apollo Client's
 *   `createPersistedQueryLink`: a client sends `extensions.persistedQuery.sha256Hash` alone;
 *   an unknown hash answers PERSISTED_QUERY_NOT_FOUND, the client sends the query once with
 *   its hash, and the gateway keeps it (after checking the hash) for that client only.
 * - Trusted documents: only the operations of a manifest run, by hash; anything else is
 *   refused before parsing. For production dashboards whose operations are known at build time.
 */

interface PersistedQueryExtension {
  version?: unknown;
  sha256Hash?: unknown;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function persistedQueryOf(
  extensions: Record<string, unknown> | undefined,
): PersistedQueryExtension | undefined {
  const value = extensions?.persistedQuery;
  return typeof value === "object" && value !== null
    ? (value as PersistedQueryExtension)
    : undefined;
}

function refusal(message: string, code: string): GraphQLError {
  // Apollo's link reads the error from a 200 answer to decide to resend the full query.
  return new GraphQLError(message, { extensions: { code, http: { status: 200 } } });
}

export interface PersistedOperationsOptions {
  /**
   * Hash to document of the trusted operations; when given, nothing else runs.
   * @default undefined (APQ: any operation, hashes learnt on the way)
   */
  trusted?: ReadonlyMap<string, string> | undefined;
  /** Queries APQ remembers, all clients together. @default 10_000 */
  maxEntries?: number;
  /** Characters of query text APQ remembers, all clients together. @default 16_777_216 */
  maxBytes?: number;
}

/**
 * The rules of persisted operations, for every transport: `usePersistedOperations` applies
 * them to HTTP (POST, GET, SSE) while Yoga parses the request, and graphql-ws calls `resolve`
 * on each Subscribe message before anything is parsed.
 */
export interface PersistedOperations {
  /**
   * The params to run for this client, or throws the refusal. `client` keys APQ's memory: a
   * hash one client registered is unknown to every other, so no client can learn whether
   * another ran an operation.
   */
  resolve(params: GraphQLParams, client: string): GraphQLParams;
}

export function createPersistedOperations({
  trusted,
  maxEntries = 10_000,
  maxBytes = 16_777_216, // 16 Mi characters: 10,000 operations of 1.6 KiB on average
}: PersistedOperationsOptions = {}): PersistedOperations {
  const learnt = new LRUCache<string, string>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (query, key) => query.length + key.length,
    maxEntrySize: maxBytes,
  });
  return {
    resolve(params, client) {
      // Malformed bodies (`[null]`, `7`…) are Yoga's to refuse, with its own clear error.
      if (typeof params !== "object" || params === null) {
        return params;
      }
      const persisted = persistedQueryOf(params.extensions);
      const hash =
        typeof persisted?.sha256Hash === "string" ? persisted.sha256Hash.toLowerCase() : undefined;
      if (trusted !== undefined) {
        const document = hash === undefined ? undefined : trusted.get(hash);
        if (document === undefined) {
          throw refusal(
            "Only trusted operations run on this gateway: send the sha256Hash of a listed operation in extensions.persistedQuery.",
            "PERSISTED_QUERY_NOT_FOUND",
          );
        }
        return { ...params, query: document };
      }
      if (persisted === undefined) {
        return params;
      }
      if (persisted.version !== 1 || hash === undefined || !/^[0-9a-f]{64}$/.test(hash)) {
        throw refusal(
          "Unsupported persistedQuery extension: expected version 1 and a sha256Hash.",
          "PERSISTED_QUERY_NOT_SUPPORTED",
        );
      }
      const key = `${client}\n${hash}`;
      if (typeof params.query === "string" && params.query !== "") {
        if (sha256(params.query) !== hash) {
          throw refusal("The sha256Hash does not match the query.", "BAD_USER_INPUT");
        }
        learnt.set(key, params.query);
        return params;
      }
      const known = learnt.get(key);
      if (known === undefined) {
        throw refusal("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND");
      }
      return { ...params, query: known };
    },
  };
}

/**
 * Applies `operations` to HTTP requests, as Yoga parses them: before Yoga's own check that a
 * query is present, since a hash alone is a complete request here. The client is the viewer
 * `useAuthentication` put on the server context (or the address of an open gateway's client).
 */
export function usePersistedOperations(
  operations: PersistedOperations,
): Plugin<
  Record<string, unknown>,
  { viewer?: Viewer; req?: { socket?: { remoteAddress?: string } } }
> {
  return {
    onRequestParse({ serverContext }) {
      const client = clientKeyOf(serverContext.viewer, serverContext.req?.socket?.remoteAddress);
      return {
        onRequestParseDone({ requestParserResult, setRequestParserResult }) {
          setRequestParserResult(
            Array.isArray(requestParserResult)
              ? requestParserResult.map((params) => operations.resolve(params, client))
              : operations.resolve(requestParserResult, client),
          );
        },
      };
    },
  };
}

/**
 * Reads a trusted-documents manifest: Apollo's persisted query manifest
 * (`{ format: "apollo-persisted-query-manifest", operations: [{ id, body }] }`) or a plain
 * `{ "<sha256>": "<document>" }` map. Every hash is checked against its document.
 */
export function loadTrustedDocuments(path: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(
      `GATEWAY_TRUSTED_DOCUMENTS: cannot read ${path} as JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const entries: [string, unknown][] =
    typeof parsed === "object" &&
    parsed !== null &&
    "operations" in parsed &&
    Array.isArray(parsed.operations)
      ? (parsed.operations as { id?: unknown; body?: unknown }[]).map((operation) => [
          String(operation.id),
          operation.body,
        ])
      : typeof parsed === "object" && parsed !== null
        ? Object.entries(parsed)
        : [];
  const documents = new Map<string, string>();
  for (const [hash, body] of entries) {
    if (typeof body !== "string" || sha256(body) !== hash.toLowerCase()) {
      throw new Error(
        `GATEWAY_TRUSTED_DOCUMENTS: the entry ${JSON.stringify(hash)} is not the sha256 of its document.`,
      );
    }
    documents.set(hash.toLowerCase(), body);
  }
  if (documents.size === 0) {
    throw new Error("GATEWAY_TRUSTED_DOCUMENTS: expected at least one operation.");
  }
  return documents;
}
