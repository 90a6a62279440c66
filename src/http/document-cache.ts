import type { DocumentNode } from "graphql";
import { LRUCache } from "lru-cache";

/**
 * Yoga's parser and validation caches, bounded by bytes. Yoga's own keep 1,024 documents and
 * 1,024 parse errors for an hour each, whatever their size: 2,200 distinct ~900 KB documents
 * held 1.8 GB. A parsed document costs far more than its text: graphql-js keeps every token
 * of it (about 300 to 500 bytes each, measured with `node --expose-gc`), so an entry is
 * counted as its text plus 512 bytes per token. The validation cache is a WeakMap keyed by
 * these documents, so it is bounded with them.
 */

export interface DocumentCacheOptions {
  /** Parsed documents kept, counted as text + 512 bytes per token. @default 33_554_432 (32 MiB) */
  maxBytes?: number;
  /** Parse errors kept (each counted as its document's text + 1 KiB). @default 4_194_304 (4 MiB) */
  maxErrorBytes?: number;
  /** Entries of each cache. @default 1_024 (Yoga's) */
  maxEntries?: number;
  /** How long an entry is kept, ms. @default 3_600_000 (Yoga's hour) */
  ttlMs?: number;
}

/** What Yoga's `parserAndValidationCache` option takes. */
export interface ParserCaches {
  documentCache: LRUCache<string, DocumentNode>;
  errorCache: LRUCache<string, Error>;
  validationCache: true;
}

/** Bytes a parsed document is counted as. */
const BYTES_PER_TOKEN = 512;

export function createParserCaches({
  maxBytes = 33_554_432, // 32 MiB: about 20 of the largest documents the token limit allows, thousands of real ones
  maxErrorBytes = 4_194_304, // 4 MiB
  maxEntries = 1_024,
  ttlMs = 3_600_000, // 1 hour
}: DocumentCacheOptions = {}): ParserCaches {
  return {
    documentCache: new LRUCache<string, DocumentNode>({
      max: maxEntries,
      ttl: ttlMs,
      maxSize: maxBytes,
      sizeCalculation: (document, source) => source.length + BYTES_PER_TOKEN * tokenCount(document),
      // An entry larger than the whole cache is simply not kept.
      maxEntrySize: maxBytes,
    }),
    errorCache: new LRUCache<string, Error>({
      max: maxEntries,
      ttl: ttlMs,
      maxSize: maxErrorBytes,
      sizeCalculation: (_error, source) => source.length + 1_024,
      maxEntrySize: maxErrorBytes,
    }),
    validationCache: true,
  };
}

/** Tokens graphql-js kept for a document (its `loc` chain); 1 when it kept none. */
function tokenCount(document: DocumentNode): number {
  let count = 0;
  for (let token = document.loc?.startToken ?? null; token !== null; token = token.next) {
    count += 1;
  }
  return Math.max(1, count);
}
