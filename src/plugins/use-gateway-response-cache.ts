import { createHash } from "node:crypto";
import {
  type BuildResponseCacheKeyFunction,
  type Cache,
  type CacheEntityRecord,
  useResponseCache,
} from "@envelop/response-cache";
import { type ExecutionResult, getOperationAST } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { viewerKey } from "../auth.js";
import { canonicalJson } from "../canonical-json.js";
import type { GatewayContext } from "../context.js";
import type { CrispHookEvent } from "../events/event.js";
import type { Change } from "../loaders/seen.js";
import { decodeGlobalId, encodeGlobalId, joinIdParts } from "../schema/global-id.js";
import { dataJson } from "./response-json.js";

/**
 * Whole responses cached (issue 12.3): a warm dashboard is answered without running its
 * resolver tree, its loaders or a cache look-up per field. Keyed by document, variables and
 * viewer (the authenticated credentials: two viewers never share an entry); each entry is
 * tagged with the entities it holds (`__typename` + `id`, found by envelop's response cache,
 * which adds the ids to the document and takes them out of the answer) and with the lists it
 * holds (a new conversation changes a list that does not hold it yet). An entry is dropped when
 * a web hook (`invalidateEvent`), a mutation or a write (what the loaders changed) changes one
 * of them, or when its TTL ends.
 *
 * This is envelop's `useResponseCache` (on which graphql-yoga's plugin builds) rather than
 * Yoga's own wrapper, on purpose: Yoga's serves hits from `onParams`, before authentication,
 * the per-client operation limit and the cost report run; envelop's serves them at execution,
 * after them, so a hit is authenticated, counted against the client's limit and says it cost
 * `crispRequests: 0`.
 *
 * Never cached: answers with errors (Crisp failing or throttling, partial answers), answers
 * that used stale data (`extensions.stale`), incremental delivery (`@defer`, `@stream`), raw
 * calls (`crispRequest`), the gateway's own counters (`gateway`) and the change feed
 * (`changes`); subscriptions never go through it.
 */

/** Entities standing for a website's lists: any change to its conversations or people. */
const CONVERSATION_LIST = "ConversationList";
const PEOPLE_LIST = "PeopleList";

/**
 * Every entry holds this one (no schema type has its name), for changes that may touch
 * anything: those of a website (created, deleted, its plugin settings), raw writes, RTM gaps.
 * An answer need not hold any entity (`websiteExists`), so a list of types would miss some.
 */
const ANY_ANSWER = { typename: "AnyCachedAnswer" } satisfies CacheEntityRecord;

export interface GatewayResponseCacheOptions {
  /** Where entries are kept: memory, or Redis (shared by every instance). */
  store: Cache;
  /** Longest an entry is served, ms. @default 10_000 (10 seconds) */
  ttlMs?: number;
}

export interface GatewayResponseCache {
  /** The marker, then the cache: the marker tags each answer before the cache stores it. */
  plugins: [Plugin<Partial<GatewayContext>>, ReturnType<typeof useResponseCache>];
  /** Drops every entry holding what a verified Crisp event changed. */
  invalidateEvent(event: CrispHookEvent): Promise<void>;
  /**
   * Drops every entry (an RTM gap: events may have been missed). Entries are tagged by entity
   * type and id, not by website, so a gap of some websites cannot be told apart from the rest.
   */
  invalidateAll(): Promise<void>;
}

/** The entities a change makes stale. */
function entitiesOf(change: Change): CacheEntityRecord[] {
  const { websiteId, id } = change;
  if (websiteId === null || change.kind === "everything" || change.kind === "website") {
    return [ANY_ANSWER];
  }
  switch (change.kind) {
    case "conversation":
      return [
        { typename: CONVERSATION_LIST, id: websiteId },
        id === null ? { typename: "Conversation" } : conversationEntity(websiteId, id),
      ];
    case "person":
      return [
        { typename: PEOPLE_LIST, id: websiteId },
        // A person's conversations are a list too.
        { typename: CONVERSATION_LIST, id: websiteId },
        id === null
          ? { typename: "Person" }
          : { typename: "Person", id: encodeGlobalId("Person", joinIdParts(websiteId, id)) },
      ];
  }
}

/** What a verified Crisp event changes, as the response cache knows it. */
function changeOfEvent(event: CrispHookEvent): Change | null {
  if (event.name.startsWith("plugin:")) {
    return { kind: "website", websiteId: event.websiteId, id: null };
  }
  if (event.name.startsWith("people:")) {
    const peopleId = event.data.people_id;
    return {
      kind: "person",
      websiteId: event.websiteId,
      id: typeof peopleId === "string" ? peopleId.toLowerCase() : null,
    };
  }
  if (event.sessionId !== null) {
    return { kind: "conversation", websiteId: event.websiteId, id: event.sessionId };
  }
  return null;
}

/**
 * The entry's key: a hash of what makes two answers the same. Synchronous, unlike envelop's
 * default (WebCrypto's digest, a trip through the thread pool on every hit).
 */
const cacheKeyOf: BuildResponseCacheKeyFunction = ({
  documentString,
  operationName,
  variableValues,
  sessionId,
}) =>
  createHash("sha256")
    .update(
      [
        documentString,
        operationName ?? "",
        canonicalJson(variableValues ?? {}),
        sessionId ?? "",
      ].join("|"),
    )
    .digest("hex");

/**
 * A hit as the HTTP answer writes it: the cached data is turned into JSON once, however many
 * hits serve it (entries in memory are the same object on every hit; an entry read from Redis
 * comes with the JSON it was read as: `dataJson`). Each hit is a copy of the entry, so what later
 * plugins add (the cost report, `extensions`) never reaches the stored entry.
 */
function servedFromCache(
  hit: ExecutionResult | null | undefined,
): ExecutionResult | null | undefined {
  const data = hit?.data;
  if (hit === null || hit === undefined || data === null || data === undefined) {
    return hit;
  }
  return {
    ...hit,
    // Yoga's result processor calls this instead of JSON.stringify; a plugin that replaced the
    // data gets the ordinary stringification.
    stringify(answer: ExecutionResult) {
      if (answer.data !== data) {
        return JSON.stringify(answer);
      }
      const { data: _written, ...rest } = answer;
      const restText = JSON.stringify(rest);
      return restText === "{}"
        ? `{"data":${dataJson(data)}}`
        : `{"data":${dataJson(data)},${restText.slice(1)}`;
    },
  } as ExecutionResult;
}

export function useGatewayResponseCache({
  store,
  ttlMs = 10_000, // 10 seconds
}: GatewayResponseCacheOptions): GatewayResponseCache {
  /** The lists each answer holds, from its request's loaders, until it is stored. */
  const listsOf = new WeakMap<object, CacheEntityRecord[]>();
  const tagged: Cache = {
    get: (key) => {
      const hit = store.get(key);
      return hit instanceof Promise ? hit.then(servedFromCache) : servedFromCache(hit);
    },
    invalidate: (entities) => store.invalidate(entities),
    set(key, result, entities, ttl) {
      const held = [...entities];
      // Only the data: a later hit reports its own cost, not the cold one's.
      return store.set(
        key,
        { data: result.data },
        [
          ANY_ANSWER,
          ...held,
          ...held.flatMap(conversationOfMessage),
          ...(listsOf.get(result) ?? []),
        ],
        ttl,
      );
    },
  };
  const cache = useResponseCache<Partial<GatewayContext>>({
    cache: tagged,
    ttl: ttlMs,
    session: (context) =>
      context.viewer === undefined ? null : `viewer:${viewerKey(context.viewer)}`,
    // Only operations of the gateway's own context (never a subscription's fork).
    enabled: (context) => context.loaders !== undefined,
    ttlPerSchemaCoordinate: {
      "Query.crispRequest": 0,
      "Query.gateway": 0,
      "Website.changes": 0,
    },
    buildResponseCacheKey: cacheKeyOf,
    shouldCacheResult: ({ result }) =>
      (result.errors?.length ?? 0) === 0 && result.extensions?.stale !== true,
    includeExtensionMetadata: false,
  });
  const marker: Plugin<Partial<GatewayContext>> = {
    onExecute({ args }) {
      const loaders = args.contextValue.loaders;
      if (loaders === undefined) {
        return undefined;
      }
      const mutation = getOperationAST(args.document, args.operationName)?.operation === "mutation";
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) {
            return undefined;
          }
          if (mutation) {
            const changed = loaders.seen.changes.flatMap(entitiesOf);
            // Before the answer leaves: a client reading its write back, on any instance, must
            // not be served an entry from before it. The store swallows Redis failures.
            return changed.length > 0 ? store.invalidate(changed) : undefined;
          }
          listsOf.set(result as ExecutionResult, [...loaders.seen.lists].map(listEntity));
          return undefined;
        },
      };
    },
  };
  return {
    plugins: [marker, cache],
    async invalidateEvent(event) {
      const change = changeOfEvent(event);
      if (change !== null) {
        await store.invalidate(entitiesOf(change));
      }
    },
    async invalidateAll() {
      await store.invalidate([ANY_ANSWER]);
    },
  };
}

/** A conversation as the response cache tags it: its global id, as its resolver writes it. */
function conversationEntity(websiteId: string, sessionId: string): CacheEntityRecord {
  return {
    typename: "Conversation",
    id: encodeGlobalId("Conversation", joinIdParts(websiteId, sessionId)),
  };
}

/**
 * A message's conversation: events about a message (updated, removed, read, delivered) name its
 * conversation, so an answer holding a message (`node(id:)` on one) goes when it changes.
 */
function conversationOfMessage({ typename, id }: CacheEntityRecord): CacheEntityRecord[] {
  if (typename !== "Message" || typeof id !== "string") {
    return [];
  }
  // The message's own global id, as its resolver wrote it.
  const [websiteId, sessionId] = decodeGlobalId(id).id.split("/");
  return websiteId === undefined || sessionId === undefined
    ? []
    : [conversationEntity(websiteId, sessionId)];
}

function listEntity(list: string): CacheEntityRecord {
  const [kind, websiteId] = list.split(" ");
  return { typename: kind === "people" ? PEOPLE_LIST : CONVERSATION_LIST, id: websiteId ?? "" };
}
