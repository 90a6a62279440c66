import DataLoader from "dataloader";
import { canSee, OPEN_VIEWER, type Viewer } from "../auth.js";
import type { OperationBudget } from "../budget.js";
import type { CrispApi, CrispClient } from "../crisp/client.js";
import {
  type ConversationListParams,
  getConversation,
  listConversations,
} from "../crisp/conversations.js";
import { getMessage, listMessages, type MessageBatch } from "../crisp/messages.js";
import { listOperators } from "../crisp/operators.js";
import {
  getPeopleProfile,
  listPeopleProfiles,
  listPersonConversations,
  type PeopleListParams,
} from "../crisp/people.js";
import { listConnectedWebsites } from "../crisp/plugin.js";
import type {
  CrispConnectedWebsite,
  CrispConversation,
  CrispMessage,
  CrispOperatorListItem,
  CrispPeopleProfile,
  CrispVisitor,
  CrispVisitorCount,
  CrispWebsite,
} from "../crisp/types.js";
import { countVisitors, listVisitors } from "../crisp/visitors.js";
import { getWebsite, websiteExists } from "../crisp/website.js";
import { ErrorCode, GatewayError } from "../errors.js";
import type { UsageCounters } from "../usage.js";
import type { CacheKey, CacheKind, SharedCache } from "./cache.js";
import { cacheTag } from "./cache-index.js";
import {
  dropConversationAfterWrite,
  dropPersonAfterWrite,
  dropWebsiteAfterWrite,
} from "./coherence.js";

/**
 * Loader keys are tuples; DataLoader caches by a string, so each key is also given a stable
 * string form (JSON keeps ids that contain separators from colliding).
 */
type Key = readonly (string | number | undefined)[];

/** Where a loader's loads and misses are counted: the gateway's usage, and the operation's. */
interface LoadCounts {
  usage: UsageCounters;
  budget: OperationBudget | undefined;
}

/**
 * A per-request loader over a Crisp read that has no batch endpoint: every distinct key is one
 * Crisp read (one request, or every page of a walk), made once per request however many
 * fields ask for it. Counts loads and misses, for the gateway and for the operation; the Crisp
 * requests themselves are charged to the operation's budget by the client.
 */
class CrispLoader<K extends Key, V> extends DataLoader<K, V, string> {
  readonly #counts: LoadCounts;

  constructor(
    counts: LoadCounts,
    shared: {
      cache: SharedCache;
      kind: CacheKind;
      scope?: (key: K) => CacheKey;
      onStale?: () => void;
      /** The request's: its leaving cancels the Crisp requests only it waits for. */
      signal?: AbortSignal;
      /** Finds the value in another cached entry (a list page holding it), for free. */
      peek?: (key: K) => V | undefined;
    },
    fetchOne: (key: K, signal: AbortSignal) => Promise<V>,
  ) {
    const cacheKey = shared.scope ?? ((key: K) => [shared.kind, ...key] as unknown as CacheKey);
    const fetchCounted = (key: K, signal: AbortSignal) => {
      if (counts.budget?.ended === true) {
        return Promise.reject(ABANDONED_READ);
      }
      counts.usage.cacheMisses += 1;
      const { budget } = counts;
      if (budget === undefined) {
        return fetchOne(key, signal);
      }
      budget.misses += 1;
      // A read may take several exchanges (a walk's pages): the operation waits for all.
      budget.begin();
      return fetchOne(key, signal).finally(() => budget.finish());
    };
    super(
      async (keys) => {
        const settled = await Promise.allSettled(
          keys.map((key) => {
            const found = shared.peek?.(key);
            return found !== undefined
              ? Promise.resolve(found)
              : shared.cache.get(
                  cacheKey(key),
                  (signal) => fetchCounted(key, signal),
                  shared.onStale,
                  shared.signal,
                );
          }),
        );
        // DataLoader's contract: one result per key, in key order, an Error in a failed slot.
        return settled.map((result) =>
          result.status === "fulfilled" ? result.value : toError(result.reason),
        );
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    );
    this.#counts = counts;
  }

  readonly #keys = new Map<string, K>();

  override load(key: K): Promise<V> {
    this.#counts.usage.loads += 1;
    if (this.#counts.budget !== undefined) {
      this.#counts.budget.loads += 1;
    }
    this.#keys.set(JSON.stringify(key), key);
    return super.load(key);
  }

  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    this.#keys.set(JSON.stringify(key), key);
    return super.prime(key, value);
  }

  /** Drops every cached key the predicate selects, so the next load asks Crisp again. */
  clearWhere(select: (key: K) => boolean): void {
    for (const [cacheKey, key] of this.#keys) {
      if (select(key)) {
        this.clear(key);
        this.#keys.delete(cacheKey);
      }
    }
  }
}

/**
 * What a read gets when its operation has already answered: graphql-js lets abandoned resolvers
 * run on, and their Crisp requests would cost quota for a result nobody reads.
 */
const ABANDONED_READ = new GatewayError(
  ErrorCode.UPSTREAM_UNAVAILABLE,
  "The operation had already answered; this read was not sent.",
);

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

export interface LoaderDeps {
  crisp: CrispClient;
  usage: UsageCounters;
  /** Shared by every request of this token. */
  cache: SharedCache;
  /** Told when an answer comes from past its TTL, so the response can say so. */
  onStale?: () => void;
  /**
   * The operation's budget (a subscription's: reset for each event), charged for every Crisp
   * request the loaders send. @default none: nothing is capped or reported
   */
  budget?: OperationBudget;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** Who asks: only their websites are read. @default the open viewer (every website) */
  viewer?: Viewer;
}

/**
 * Creates the loaders of one GraphQL request. Never share them across requests: the shared
 * cache beneath them is what requests share.
 *
 * A load may be shared with other requests waiting for the same key: one client leaving only
 * stops its own wait, and the Crisp request is aborted once nobody waits for it.
 */
export function createLoaders({
  crisp: gatewayClient,
  usage,
  cache,
  onStale,
  budget,
  signal,
  viewer = OPEN_VIEWER,
}: LoaderDeps) {
  const visible = (websiteId: string) => canSee(viewer, websiteId);
  // Every read below goes through `api`, so the operation pays for what it sends.
  const api: CrispApi = budget === undefined ? gatewayClient : gatewayClient.forOperation(budget);
  const counts: LoadCounts = { usage, budget };
  const nothing = Promise.resolve(null);
  const listOf = <T>(websiteId: string, load: () => Promise<T>): Promise<T> =>
    visible(websiteId)
      ? load()
      : Promise.reject(
          new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such website for this token."),
        );
  const from = <K extends Key, V = unknown>(
    kind: CacheKind,
    scope?: (key: K) => CacheKey,
    peek?: (key: K) => V | undefined,
  ) => ({
    cache,
    kind,
    ...(scope ? { scope } : {}),
    ...(peek ? { peek } : {}),
    ...(onStale ? { onStale } : {}),
    ...(signal ? { signal } : {}),
  });
  const website = new CrispLoader<[string], CrispWebsite | null>(
    counts,
    from("website"),
    ([websiteId], signal) => getWebsite(api, websiteId, signal),
  );

  const domainExists = new CrispLoader<[string], boolean>(
    counts,
    from("websiteExists", ([domain]) => ["websiteExists", "*", domain] as const),
    ([domain], signal) => websiteExists(api, domain, signal),
  );
  // One entry for the whole walk: its pages are only ever read together.
  const connectedWebsites = new CrispLoader<[], CrispConnectedWebsite[]>(
    counts,
    from("connectedWebsites", () => ["connectedWebsites", "*"] as const),
    (_key, signal) => listConnectedWebsites(api, signal),
  );

  const conversation = new CrispLoader<[string, string], CrispConversation | null>(
    counts,
    // A conversation a cached list page holds is as fresh as that page: no request for it.
    from<[string, string], CrispConversation>("conversation", undefined, ([websiteId, sessionId]) =>
      cachedInPage(cache, websiteId, sessionId),
    ),
    ([websiteId, sessionId], signal) => getConversation(api, websiteId, sessionId, signal),
  );
  const conversationPage = new CrispLoader<[string, string], CrispConversation[]>(
    counts,
    from("conversationPage"),
    async ([websiteId, params], signal) => {
      const page = await listConversations(
        api,
        websiteId,
        JSON.parse(params) as ConversationListParams,
        signal,
      );
      for (const item of page) {
        conversation.prime([websiteId, item.session_id], item);
      }
      return page;
    },
  );

  const message = new CrispLoader<[string, string, number], CrispMessage | null>(
    counts,
    from<[string, string, number], CrispMessage>(
      "message",
      undefined,
      ([websiteId, sessionId, fingerprint]) =>
        cachedInBatch(cache, websiteId, sessionId, fingerprint),
    ),
    ([websiteId, sessionId, fingerprint], signal) =>
      getMessage(api, websiteId, sessionId, fingerprint, signal),
  );
  const messageBatch = new CrispLoader<[string, string, number | undefined], MessageBatch>(
    counts,
    from("messageBatch"),
    async ([websiteId, sessionId, timestampBefore], signal) => {
      const batch = await listMessages(api, websiteId, sessionId, timestampBefore, signal);
      for (const item of batch.messages) {
        message.prime([websiteId, sessionId, item.fingerprint], item);
      }
      return batch;
    },
  );

  const person = new CrispLoader<[string, string], CrispPeopleProfile | null>(
    counts,
    from("person"),
    async ([websiteId, peopleIdOrEmail], signal) => {
      const profile = await getPeopleProfile(api, websiteId, peopleIdOrEmail, signal);
      if (profile !== null) {
        primePerson(websiteId, profile);
      }
      return profile;
    },
  );
  const primePerson = (websiteId: string, profile: CrispPeopleProfile) => {
    person.prime([websiteId, profile.people_id], profile);
    if (profile.email !== undefined) {
      person.prime([websiteId, profile.email], profile);
    }
  };
  const peoplePage = new CrispLoader<[string, string], CrispPeopleProfile[]>(
    counts,
    from("peoplePage"),
    async ([websiteId, params], signal) => {
      const page = await listPeopleProfiles(
        api,
        websiteId,
        JSON.parse(params) as PeopleListParams,
        signal,
      );
      for (const profile of page) {
        primePerson(websiteId, profile);
      }
      return page;
    },
  );
  const personConversationPage = new CrispLoader<[string, string, number], string[]>(
    counts,
    from("personConversationPage"),
    ([websiteId, peopleId, page], signal) =>
      listPersonConversations(api, websiteId, peopleId, page, signal),
  );

  const operators = new CrispLoader<[string], CrispOperatorListItem[]>(
    counts,
    from("operators"),
    ([websiteId], signal) => listOperators(api, websiteId, signal),
  );
  const visitorPage = new CrispLoader<[string, number], CrispVisitor[]>(
    counts,
    from("visitorPage"),
    ([websiteId, page], signal) => listVisitors(api, websiteId, page, signal),
  );
  const visitorCount = new CrispLoader<[string], CrispVisitorCount>(
    counts,
    from("visitorCount"),
    ([websiteId], signal) => countVisitors(api, websiteId, signal),
  );

  const all = [
    website,
    domainExists,
    conversation,
    conversationPage,
    message,
    messageBatch,
    person,
    peoplePage,
    personConversationPage,
    operators,
    visitorPage,
    visitorCount,
    connectedWebsites,
  ];

  return {
    /**
     * Forgets everything: a subscription keeps one context for its whole life, and each event
     * it delivers must read Crisp's state after that event, not what an earlier one loaded.
     */
    clearAll() {
      for (const loader of all) {
        loader.clearWhere(() => true);
      }
    },
    /**
     * After a write to a conversation or its messages: drop the conversation, its messages and
     * every conversation list page of the website (a change of state, assignee or last message
     * moves it in or out of filtered pages and reorders them). Nothing else is dropped.
     */
    forgetConversation(websiteId: string, sessionId: string) {
      dropConversationAfterWrite(cache, websiteId, sessionId);
      conversation.clearWhere(([w, s]) => w === websiteId && s === sessionId);
      messageBatch.clearWhere(([w, s]) => w === websiteId && s === sessionId);
      message.clearWhere(([w, s]) => w === websiteId && s === sessionId);
      conversationPage.clearWhere(([w]) => w === websiteId);
      personConversationPage.clearWhere(([w]) => w === websiteId);
    },
    /** After a write to a person: drop it (by id and by email) and the website's people pages. */
    forgetPerson(websiteId: string, peopleId: string) {
      dropPersonAfterWrite(cache, websiteId, peopleId);
      // By id, and by any email: the profile may be cached under its old email too.
      person.clearWhere(([w, key]) => w === websiteId && (key === peopleId || key.includes("@")));
      peoplePage.clearWhere(([w]) => w === websiteId);
      personConversationPage.clearWhere(([w, p]) => w === websiteId && p === peopleId);
    },
    /** After a website is created or deleted. */
    forgetWebsite(websiteId: string) {
      dropWebsiteAfterWrite(cache, websiteId);
      website.clearWhere(([w]) => w === websiteId);
      connectedWebsites.clearWhere(() => true);
    },
    // Every read below names its website first: this is where a viewer's websites are
    // enforced, for every path to data (fields, node ids, nested objects). A website the viewer
    // may not see behaves exactly like a missing one: null for one object, NOT_FOUND for a list.
    website: (websiteId: string) => (visible(websiteId) ? website.load([websiteId]) : nothing),
    websiteExists: (domain: string) => domainExists.load([domain.toLowerCase()]),
    /** Every website the plugin token reaches and the viewer may see (all pages, once per request). */
    connectedWebsites: async () =>
      (await connectedWebsites.load([])).filter((item) => visible(item.website_id)),
    conversation: (websiteId: string, sessionId: string) =>
      visible(websiteId) ? conversation.load([websiteId, sessionId]) : nothing,
    conversationPage: (websiteId: string, params: ConversationListParams) =>
      listOf(websiteId, () => conversationPage.load([websiteId, JSON.stringify(params)])),
    message: (websiteId: string, sessionId: string, fingerprint: number) =>
      visible(websiteId) ? message.load([websiteId, sessionId, fingerprint]) : nothing,
    messageBatch: (websiteId: string, sessionId: string, timestampBefore?: number) =>
      listOf(websiteId, () => messageBatch.load([websiteId, sessionId, timestampBefore])),
    /** By people id or by email. */
    person: (websiteId: string, peopleIdOrEmail: string) =>
      visible(websiteId) ? person.load([websiteId, peopleIdOrEmail]) : nothing,
    peoplePage: (websiteId: string, params: PeopleListParams) =>
      listOf(websiteId, () => peoplePage.load([websiteId, JSON.stringify(params)])),
    personConversationPage: (websiteId: string, peopleId: string, page: number) =>
      listOf(websiteId, () => personConversationPage.load([websiteId, peopleId, page])),
    operators: (websiteId: string) => listOf(websiteId, () => operators.load([websiteId])),
    operator: async (websiteId: string, userId: string) =>
      visible(websiteId)
        ? ((await operators.load([websiteId])).find((item) => item.details.user_id === userId) ??
          null)
        : null,
    visitorPage: (websiteId: string, page: number) =>
      listOf(websiteId, () => visitorPage.load([websiteId, page])),
    visitorCount: (websiteId: string) => listOf(websiteId, () => visitorCount.load([websiteId])),
    /** Whether the viewer may see this website (writes and subscriptions check it too). */
    visible,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** The conversation as a fresh cached list page holds it, if one does. */
function cachedInPage(
  cache: SharedCache,
  websiteId: string,
  sessionId: string,
): CrispConversation | undefined {
  for (const entry of cache.tagged(cacheTag.session(websiteId, sessionId))) {
    if (entry.fresh && entry.key[0] === "conversationPage" && Array.isArray(entry.value)) {
      const found = (entry.value as CrispConversation[]).find(
        (item) => item.session_id === sessionId,
      );
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}

/** The message as a fresh cached batch of its conversation holds it, if one does. */
function cachedInBatch(
  cache: SharedCache,
  websiteId: string,
  sessionId: string,
  fingerprint: number,
): CrispMessage | undefined {
  for (const entry of cache.tagged(cacheTag.session(websiteId, sessionId))) {
    const value = entry.value as Partial<MessageBatch> | null;
    if (entry.fresh && entry.key[0] === "messageBatch" && Array.isArray(value?.messages)) {
      const found = value.messages.find((item) => item.fingerprint === fingerprint);
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}
