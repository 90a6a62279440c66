import { canSee, OPEN_VIEWER } from "../auth.js";
import type { CrispApi, Query } from "../crisp/client.js";
import {
  type ConversationListParams,
  getConversation,
  listConversations,
} from "../crisp/conversations.js";
import { getMessage, listMessages, type MessageBatch } from "../crisp/messages.js";
import { listOperators } from "../crisp/operators.js";
import {
  getPeopleData,
  getPeopleProfile,
  listPeopleProfiles,
  listPersonConversations,
  type PeopleListParams,
} from "../crisp/people.js";
import { getPluginId, getPluginSettings, listConnectedWebsites } from "../crisp/plugin.js";
import { type RawAnswer, type RawTarget, rawRequest } from "../crisp/raw.js";
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
import type { CacheKey, CacheKind } from "./cache-kinds.js";
import {
  dropConversationAfterWrite,
  dropEverythingAfterRawWrite,
  dropPersonAfterWrite,
  dropPersonDataAfterWrite,
  dropPluginSettingsAfterWrite,
  dropWebsiteAfterWrite,
} from "./coherence.js";
import { CrispLoader, type Key, type LoadCounts, type LoaderDeps } from "./loader.js";
import { BatchesRead, cachedInBatch, cachedInPage } from "./peeks.js";
import { checkRawTarget } from "./raw-target.js";
import type { Seen } from "./seen.js";

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
  const seen: Seen = { lists: new Set(), changes: [] };
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

  // The plugin's own id never changes: one entry for the token.
  const pluginId = new CrispLoader<[], string>(
    counts,
    from("pluginAccount", () => ["pluginAccount", "*"] as const),
    (_key, signal) => getPluginId(api, signal),
  );
  const pluginSettings = new CrispLoader<[string], Record<string, unknown>>(
    counts,
    from("pluginSettings"),
    async ([websiteId], signal) =>
      getPluginSettings(api, websiteId, await pluginId.load([]), signal),
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

  const batchesRead = new BatchesRead();
  const message = new CrispLoader<[string, string, number], CrispMessage | null>(
    counts,
    from<[string, string, number], CrispMessage>(
      "message",
      undefined,
      ([websiteId, sessionId, fingerprint]) =>
        batchesRead.find(websiteId, sessionId, fingerprint) ??
        cachedInBatch(cache, websiteId, sessionId, fingerprint),
    ),
    ([websiteId, sessionId, fingerprint], signal) =>
      getMessage(api, websiteId, sessionId, fingerprint, signal),
  );
  const messageBatch = new CrispLoader<
    [string, string, number | undefined, number | undefined],
    MessageBatch
  >(counts, from("messageBatch"), async ([websiteId, sessionId, before, after], signal) => {
    return listMessages(api, websiteId, sessionId, before, signal, after);
  });

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
  const personData = new CrispLoader<[string, string], Record<string, unknown> | null>(
    counts,
    from("personData"),
    ([websiteId, peopleId], signal) => getPeopleData(api, websiteId, peopleId, signal),
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

  // Raw GETs (crispRequest), cached like any read, under the website their path names.
  const raw = new CrispLoader<[string, string, string], RawAnswer>(
    counts,
    from("raw", ([websiteId, path, query]) => ["raw", websiteId, path, query] as const),
    ([, path, query], signal) =>
      rawRequest(api, "GET", path, JSON.parse(query) as Query, undefined, signal),
  );
  const rawTarget = (path: string): RawTarget => checkRawTarget(viewer, visible, path);

  const all = [
    website,
    domainExists,
    conversation,
    conversationPage,
    message,
    messageBatch,
    person,
    peoplePage,
    personData,
    personConversationPage,
    operators,
    visitorPage,
    visitorCount,
    connectedWebsites,
    raw,
    pluginId,
    pluginSettings,
  ];

  return {
    /**
     * What this request read and changed, for the response cache (src/plugins/
     * use-gateway-response-cache.ts): which websites' lists its answer depends on, and what its
     * writes changed.
     */
    seen: seen as Readonly<Seen>,
    /**
     * Forgets everything: a subscription keeps one context for its whole life, and each event
     * it delivers must read Crisp's state after that event, not what an earlier one loaded.
     */
    clearAll() {
      for (const loader of all) {
        loader.clearWhere(() => true);
      }
      batchesRead.clear();
    },
    /**
     * After a write to a conversation or its messages: drop the conversation, its messages and
     * every conversation list page of the website (a change of state, assignee or last message
     * moves it in or out of filtered pages and reorders them). Nothing else is dropped.
     */
    forgetConversation(websiteId: string, sessionId: string) {
      seen.changes.push({ kind: "conversation", websiteId, id: sessionId });
      dropConversationAfterWrite(cache, websiteId, sessionId);
      conversation.clearWhere(([w, s]) => w === websiteId && s === sessionId);
      messageBatch.clearWhere(([w, s]) => w === websiteId && s === sessionId);
      message.clearWhere(([w, s]) => w === websiteId && s === sessionId);
      batchesRead.forget(websiteId, sessionId);
      conversationPage.clearWhere(([w]) => w === websiteId);
      personConversationPage.clearWhere(([w]) => w === websiteId);
    },
    /** After a write to a person: drop it (by id and by email) and the website's people pages. */
    forgetPerson(websiteId: string, peopleId: string) {
      seen.changes.push({ kind: "person", websiteId, id: peopleId });
      dropPersonAfterWrite(cache, websiteId, peopleId);
      // Its custom data too (a raw write may have changed it).
      dropPersonDataAfterWrite(cache, websiteId, peopleId);
      personData.clearWhere(([w, p]) => w === websiteId && p === peopleId);
      // By id, and by any email: the profile may be cached under its old email too.
      person.clearWhere(([w, key]) => w === websiteId && (key === peopleId || key.includes("@")));
      peoplePage.clearWhere(([w]) => w === websiteId);
      personConversationPage.clearWhere(([w, p]) => w === websiteId && p === peopleId);
    },
    /**
     * After a raw write: it may have changed anything of the website its path names (anything
     * outside websites, for a path that names none), so all of that is dropped, in the shared
     * cache and in this request's loaders.
     */
    forgetAfterRawWrite(websiteId: string | null) {
      seen.changes.push({ kind: "everything", websiteId, id: null });
      dropEverythingAfterRawWrite(cache, websiteId);
      for (const loader of all) {
        loader.clearWhere(() => true);
      }
      batchesRead.clear();
    },
    /** After the plugin's settings of a website were written. */
    forgetPluginSettings(websiteId: string) {
      seen.changes.push({ kind: "website", websiteId, id: null });
      dropPluginSettingsAfterWrite(cache, websiteId);
      pluginSettings.clearWhere(([w]) => w === websiteId);
      connectedWebsites.clearWhere(() => true);
    },
    /** After a website is created or deleted. */
    forgetWebsite(websiteId: string) {
      seen.changes.push({ kind: "website", websiteId, id: null });
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
    conversationPage: (websiteId: string, params: ConversationListParams) => {
      seen.lists.add(`conversations ${websiteId}`);
      return listOf(websiteId, () => conversationPage.load([websiteId, JSON.stringify(params)]));
    },
    message: (websiteId: string, sessionId: string, fingerprint: number) =>
      visible(websiteId) ? message.load([websiteId, sessionId, fingerprint]) : nothing,
    /** A `/messages` batch before `timestampBefore` (newest when absent), after `timestampAfter`. */
    messageBatch: (
      websiteId: string,
      sessionId: string,
      timestampBefore?: number,
      timestampAfter?: number,
    ) =>
      listOf(websiteId, async () => {
        // What the load resolves with, events laid over it: Crisp's answer as fetched may be
        // older than an event the gateway already applied.
        const batch = await messageBatch.load([
          websiteId,
          sessionId,
          timestampBefore,
          timestampAfter,
        ]);
        batchesRead.add(websiteId, sessionId, batch);
        return batch;
      }),
    /**
     * The `/messages` batch the shared cache holds fresh for these bounds, without reading
     * Crisp: a history window starts from its cursor's batch only when it costs nothing.
     */
    cachedMessageBatch: (
      websiteId: string,
      sessionId: string,
      timestampBefore: number | undefined,
      timestampAfter: number | undefined,
    ): MessageBatch | undefined =>
      visible(websiteId)
        ? (cache.peek(["messageBatch", websiteId, sessionId, timestampBefore, timestampAfter]) as
            | MessageBatch
            | undefined)
        : undefined,
    /** By people id or by email. */
    person: (websiteId: string, peopleIdOrEmail: string) =>
      visible(websiteId) ? person.load([websiteId, peopleIdOrEmail]) : nothing,
    /** A profile's custom data: `{}` when it has none, null when the profile is missing. */
    personData: (websiteId: string, peopleId: string) =>
      visible(websiteId) ? personData.load([websiteId, peopleId]) : nothing,
    peoplePage: (websiteId: string, params: PeopleListParams) => {
      seen.lists.add(`people ${websiteId}`);
      return listOf(websiteId, () => peoplePage.load([websiteId, JSON.stringify(params)]));
    },
    personConversationPage: (websiteId: string, peopleId: string, page: number) => {
      seen.lists.add(`conversations ${websiteId}`);
      return listOf(websiteId, () => personConversationPage.load([websiteId, peopleId, page]));
    },
    operators: (websiteId: string) => listOf(websiteId, () => operators.load([websiteId])),
    operator: async (websiteId: string, userId: string) =>
      visible(websiteId)
        ? ((await operators.load([websiteId])).find((item) => item.details.user_id === userId) ??
          null)
        : null,
    visitorPage: (websiteId: string, page: number) =>
      listOf(websiteId, () => visitorPage.load([websiteId, page])),
    visitorCount: (websiteId: string) => listOf(websiteId, () => visitorCount.load([websiteId])),
    /** The plugin's id (GET /plugin/connect/account), once per token. */
    pluginId: () => pluginId.load([]),
    /** The plugin's settings of a website the viewer may see. */
    pluginSettings: (websiteId: string) =>
      listOf(websiteId, () => pluginSettings.load([websiteId])),
    /** Whether the viewer may see this website (writes and subscriptions check it too). */
    visible,
    rawTarget,
    /** A raw GET (`Query.crispRequest`), cached like any read. */
    raw: (path: string, query: Query) => {
      const target = rawTarget(path);
      // Parameters in one order, so the same call is one cache entry.
      const sorted = Object.fromEntries(
        Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      return raw.load([target.websiteId ?? "*", target.path, JSON.stringify(sorted)]);
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
