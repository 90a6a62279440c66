import DataLoader from "dataloader";
import type { CrispClient } from "../crisp/client.js";
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
import { type CrispBudget, overBudget } from "../plugins/use-cost-limit.js";
import type { UsageCounters } from "../usage.js";
import type { CacheKey, CacheKind, SharedCache } from "./cache.js";
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

/**
 * A per-request loader over a Crisp read that has no batch endpoint: every distinct key is one
 * Crisp request, made once per request however many fields ask for it. Counts hits and misses.
 */
class CrispLoader<K extends Key, V> extends DataLoader<K, V, string> {
  readonly #usage: UsageCounters;

  constructor(
    usage: UsageCounters,
    shared: {
      cache: SharedCache;
      kind: CacheKind;
      scope?: (key: K) => CacheKey;
      onStale?: () => void;
      budget?: CrispBudget;
    },
    fetchOne: (key: K) => Promise<V>,
  ) {
    const cacheKey = shared.scope ?? ((key: K) => [shared.kind, ...key] as unknown as CacheKey);
    const fetchCounted = (key: K) => {
      const { budget } = shared;
      if (budget !== undefined) {
        // The runtime cap behind the cost estimate: an operation never spends more than that.
        budget.spent += 1;
        if (budget.spent > budget.limit) {
          return Promise.reject(overBudget(budget.spent, budget.limit, "spent"));
        }
      }
      usage.cacheMisses += 1;
      return fetchOne(key);
    };
    super(
      async (keys) => {
        const settled = await Promise.allSettled(
          keys.map((key) =>
            shared.cache.get(cacheKey(key), () => fetchCounted(key), shared.onStale),
          ),
        );
        // DataLoader's contract: one result per key, in key order, an Error in a failed slot.
        return settled.map((result) =>
          result.status === "fulfilled" ? result.value : toError(result.reason),
        );
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    );
    this.#usage = usage;
  }

  readonly #keys = new Map<string, K>();

  override load(key: K): Promise<V> {
    this.#usage.loads += 1;
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
  /** The operation's Crisp request budget (runtime cap); none for subscriptions' events. */
  budget?: CrispBudget;
}

/**
 * Creates the loaders of one GraphQL request. Never share them across requests: the shared
 * cache beneath them is what requests share.
 *
 * No loader passes the client's abort signal to Crisp: a load may be shared with other
 * requests waiting for the same key, and one client leaving must not fail the others.
 */
export function createLoaders({ crisp, usage, cache, onStale, budget }: LoaderDeps) {
  const from = <K extends Key>(kind: CacheKind, scope?: (key: K) => CacheKey) => ({
    cache,
    kind,
    ...(scope ? { scope } : {}),
    ...(onStale ? { onStale } : {}),
    ...(budget ? { budget } : {}),
  });
  const website = new CrispLoader<[string], CrispWebsite | null>(
    usage,
    from("website"),
    ([websiteId]) => getWebsite(crisp, websiteId),
  );

  const domainExists = new CrispLoader<[string], boolean>(
    usage,
    from("websiteExists", ([domain]) => ["websiteExists", "*", domain] as const),
    ([domain]) => websiteExists(crisp, domain),
  );
  let connectedWebsites: Promise<CrispConnectedWebsite[]> | undefined;

  const conversation = new CrispLoader<[string, string], CrispConversation | null>(
    usage,
    from("conversation"),
    ([websiteId, sessionId]) => getConversation(crisp, websiteId, sessionId),
  );
  const conversationPage = new CrispLoader<[string, string], CrispConversation[]>(
    usage,
    from("conversationPage"),
    async ([websiteId, params]) => {
      const page = await listConversations(
        crisp,
        websiteId,
        JSON.parse(params) as ConversationListParams,
      );
      for (const item of page) {
        conversation.prime([websiteId, item.session_id], item);
      }
      return page;
    },
  );

  const message = new CrispLoader<[string, string, number], CrispMessage | null>(
    usage,
    from("message"),
    ([websiteId, sessionId, fingerprint]) => getMessage(crisp, websiteId, sessionId, fingerprint),
  );
  const messageBatch = new CrispLoader<[string, string, number | undefined], MessageBatch>(
    usage,
    from("messageBatch"),
    async ([websiteId, sessionId, timestampBefore]) => {
      const batch = await listMessages(crisp, websiteId, sessionId, timestampBefore);
      for (const item of batch.messages) {
        message.prime([websiteId, sessionId, item.fingerprint], item);
      }
      return batch;
    },
  );

  const person = new CrispLoader<[string, string], CrispPeopleProfile | null>(
    usage,
    from("person"),
    async ([websiteId, peopleIdOrEmail]) => {
      const profile = await getPeopleProfile(crisp, websiteId, peopleIdOrEmail);
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
    usage,
    from("peoplePage"),
    async ([websiteId, params]) => {
      const page = await listPeopleProfiles(
        crisp,
        websiteId,
        JSON.parse(params) as PeopleListParams,
      );
      for (const profile of page) {
        primePerson(websiteId, profile);
      }
      return page;
    },
  );
  const personConversationPage = new CrispLoader<[string, string, number], string[]>(
    usage,
    from("personConversationPage"),
    ([websiteId, peopleId, page]) => listPersonConversations(crisp, websiteId, peopleId, page),
  );

  const operators = new CrispLoader<[string], CrispOperatorListItem[]>(
    usage,
    from("operators"),
    ([websiteId]) => listOperators(crisp, websiteId),
  );
  const visitorPage = new CrispLoader<[string, number], CrispVisitor[]>(
    usage,
    from("visitorPage"),
    ([websiteId, page]) => listVisitors(crisp, websiteId, page),
  );
  const visitorCount = new CrispLoader<[string], CrispVisitorCount>(
    usage,
    from("visitorCount"),
    ([websiteId]) => countVisitors(crisp, websiteId),
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
  ];

  return {
    /**
     * Forgets everything: a subscription keeps one context for its whole life, and each event
     * it delivers must read Crisp's state after that event, not what an earlier one loaded.
     */
    clearAll() {
      // Each event a subscription delivers is a new read of Crisp, with a budget of its own.
      if (budget !== undefined) {
        budget.spent = 0;
      }
      for (const loader of all) {
        loader.clearWhere(() => true);
      }
      connectedWebsites = undefined;
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
      connectedWebsites = undefined;
    },
    website: (websiteId: string) => website.load([websiteId]),
    websiteExists: (domain: string) => domainExists.load([domain.toLowerCase()]),
    /** Every website the plugin token reaches (all pages, once per request). */
    connectedWebsites: () => {
      connectedWebsites ??= cache.get(
        ["connectedWebsites", "*"],
        () => {
          usage.cacheMisses += 1;
          return listConnectedWebsites(crisp);
        },
        onStale,
      );
      return connectedWebsites;
    },
    conversation: (websiteId: string, sessionId: string) =>
      conversation.load([websiteId, sessionId]),
    conversationPage: (websiteId: string, params: ConversationListParams) =>
      conversationPage.load([websiteId, JSON.stringify(params)]),
    message: (websiteId: string, sessionId: string, fingerprint: number) =>
      message.load([websiteId, sessionId, fingerprint]),
    messageBatch: (websiteId: string, sessionId: string, timestampBefore?: number) =>
      messageBatch.load([websiteId, sessionId, timestampBefore]),
    /** By people id or by email. */
    person: (websiteId: string, peopleIdOrEmail: string) =>
      person.load([websiteId, peopleIdOrEmail]),
    peoplePage: (websiteId: string, params: PeopleListParams) =>
      peoplePage.load([websiteId, JSON.stringify(params)]),
    personConversationPage: (websiteId: string, peopleId: string, page: number) =>
      personConversationPage.load([websiteId, peopleId, page]),
    operators: (websiteId: string) => operators.load([websiteId]),
    operator: async (websiteId: string, userId: string) =>
      (await operators.load([websiteId])).find((item) => item.details.user_id === userId) ?? null,
    visitorPage: (websiteId: string, page: number) => visitorPage.load([websiteId, page]),
    visitorCount: (websiteId: string) => visitorCount.load([websiteId]),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
