/**
 * The simulator's in-memory state and the queries Crisp's list routes run on it (filtering,
 * ordering). Paging is the server's job. Records are mutable so write routes can change them.
 */

import type {
  WireConnectedWebsite,
  WireConversation,
  WireMessage,
  WireOperator,
  WirePeopleData,
  WirePeopleProfile,
  WireVisitor,
  WireWebsite,
} from "./payloads.js";
import { type Filter, matchesFilter, resolvePath } from "./query.js";
import type { SimulatorToken } from "./types.js";

/** Everything the simulator holds for one website (seeded, then written). Arrays are mutable. */
export interface WebsiteRecord {
  website: WireWebsite;
  /** The plugin connect view of the website (`token`, `settings`, `plan`). */
  connect: Required<Pick<WireConnectedWebsite, "token" | "settings" | "plan">>;
  operators: WireOperator[];
  inboxes: string[];
  people: WirePeopleProfile[];
  /** Custom data per people id (`…/people/data/{people_id}`, §4.7); none: `{}`. */
  peopleData: Map<string, WirePeopleData>;
  conversations: WireConversation[];
  /** Messages per session id, oldest first. */
  messages: Map<string, WireMessage[]>;
  visitors: WireVisitor[];
}

/** What the seed generates: the websites and the tokens that reach them. */
export interface SeedData {
  websites: WebsiteRecord[];
  tokens: SimulatorToken[];
}

/** The filters and ordering of `GET /website/{id}/conversations/{page}` (crisp-api.md §4.4). */
export interface ConversationQuery {
  search?:
    | { type: "text"; text: string }
    | { type: "segment"; segment: string }
    | { type: "filter"; filter: Filter };
  includeEmpty?: boolean;
  inboxId?: string;
  unread?: boolean;
  resolved?: boolean;
  notResolved?: boolean;
  mention?: boolean;
  /** A user id, or `true` for "assigned to anyone" (GO sends `filter_assigned=1`). */
  assigned?: string | true;
  unassigned?: boolean;
  /** Bounds on `updated_at`, inclusive. */
  dateStart?: number;
  dateEnd?: number;
  order?: "created" | "updated" | "waiting";
}

/** The query of `GET /website/{id}/people/profiles/{page}` (crisp-api.md §4.7). */
export interface PeopleQuery {
  sortField?: string;
  sortOrder?: "ascending" | "descending";
  searchText?: string;
  filter?: Filter;
  /** Bounds on `created_at`, inclusive. */
  dateStart?: number;
  dateEnd?: number;
}

export interface PersonConversationsQuery {
  unread?: boolean;
  resolved?: boolean;
  notResolved?: boolean;
}

const byUpdatedDesc = (a: WireConversation, b: WireConversation): number =>
  b.updated_at - a.updated_at || compareText(a.session_id, b.session_id);

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class SimulatorStore {
  readonly #websites = new Map<string, WebsiteRecord>();

  constructor(seed: SeedData) {
    for (const record of seed.websites) {
      this.#websites.set(record.website.website_id, record);
    }
  }

  /** Every website, in seed order (the first is the default one). */
  get websites(): WireWebsite[] {
    return [...this.#websites.values()].map((record) => record.website);
  }

  /** The mutable record of a website, for write routes and tests. */
  record(websiteId: string): WebsiteRecord | undefined {
    return this.#websites.get(websiteId);
  }

  /** Adds a website (`POST /website`); it lists after the seeded ones. */
  addWebsite(record: WebsiteRecord): void {
    this.#websites.set(record.website.website_id, record);
  }

  /** Forgets a website and everything in it (`DELETE /website/{id}`); false when unknown. */
  removeWebsite(websiteId: string): boolean {
    return this.#websites.delete(websiteId);
  }

  website(websiteId: string): WireWebsite | undefined {
    return this.#websites.get(websiteId)?.website;
  }

  websiteByDomain(domain: string): WireWebsite | undefined {
    const wanted = domain.toLowerCase();
    return this.websites.find((website) => website.domain.toLowerCase() === wanted);
  }

  conversations(websiteId: string): WireConversation[] {
    return this.#websites.get(websiteId)?.conversations ?? [];
  }

  conversation(websiteId: string, sessionId: string): WireConversation | undefined {
    return this.conversations(websiteId).find((item) => item.session_id === sessionId);
  }

  /** Messages of a conversation, oldest first; `undefined` when the conversation is unknown. */
  messages(websiteId: string, sessionId: string): WireMessage[] | undefined {
    return this.#websites.get(websiteId)?.messages.get(sessionId);
  }

  message(websiteId: string, sessionId: string, fingerprint: number): WireMessage | undefined {
    return this.messages(websiteId, sessionId)?.find((item) => item.fingerprint === fingerprint);
  }

  people(websiteId: string): WirePeopleProfile[] {
    return this.#websites.get(websiteId)?.people ?? [];
  }

  /** A profile by people id, or by email (case-insensitive) as third parties use it. */
  profile(websiteId: string, idOrEmail: string): WirePeopleProfile | undefined {
    const email = idOrEmail.toLowerCase();
    return this.people(websiteId).find(
      (item) => item.people_id === idOrEmail || item.email?.toLowerCase() === email,
    );
  }

  operators(websiteId: string): WireOperator[] {
    return this.#websites.get(websiteId)?.operators ?? [];
  }

  visitors(websiteId: string): WireVisitor[] {
    return this.#websites.get(websiteId)?.visitors ?? [];
  }

  /** Conversations matching `query`, in the order Crisp lists them (before paging). */
  listConversations(websiteId: string, query: ConversationQuery): WireConversation[] {
    const matches = this.conversations(websiteId).filter((conversation) =>
      this.#matchesConversation(websiteId, conversation, query),
    );
    switch (query.order) {
      case "created":
        return matches.sort(
          (a, b) => b.created_at - a.created_at || compareText(a.session_id, b.session_id),
        );
      case "waiting":
        // Only the conversations waiting for an answer, the longest-waiting first (Crisp's List
        // Conversations docs: ordering by waiting date leaves out those not waiting).
        return matches
          .filter((item) => item.waiting_since !== undefined)
          .sort((a, b) => (a.waiting_since ?? 0) - (b.waiting_since ?? 0) || byUpdatedDesc(a, b));
      default:
        return matches.sort(byUpdatedDesc);
    }
  }

  #matchesConversation(
    websiteId: string,
    conversation: WireConversation,
    query: ConversationQuery,
  ): boolean {
    const messages = this.messages(websiteId, conversation.session_id) ?? [];
    if (!query.includeEmpty && messages.length === 0) {
      return false;
    }
    if (query.inboxId !== undefined && conversation.inbox_id !== query.inboxId) {
      return false;
    }
    if (query.unread && (conversation.unread?.operator ?? 0) === 0) {
      return false;
    }
    if (query.resolved && conversation.state !== "resolved") {
      return false;
    }
    if (query.notResolved && conversation.state === "resolved") {
      return false;
    }
    if (query.mention && (conversation.mentions ?? []).length === 0) {
      return false;
    }
    const assignee = conversation.assigned?.user_id;
    if (query.assigned === true && assignee === undefined) {
      return false;
    }
    if (typeof query.assigned === "string" && assignee !== query.assigned) {
      return false;
    }
    if (query.unassigned && assignee !== undefined) {
      return false;
    }
    if (query.dateStart !== undefined && conversation.updated_at < query.dateStart) {
      return false;
    }
    if (query.dateEnd !== undefined && conversation.updated_at > query.dateEnd) {
      return false;
    }
    const search = query.search;
    if (search === undefined) {
      return true;
    }
    switch (search.type) {
      case "segment": {
        const wanted = search.segment.toLowerCase();
        return (conversation.meta.segments ?? []).some(
          (segment) => segment.toLowerCase() === wanted,
        );
      }
      case "filter":
        return matchesFilter(conversation, search.filter);
      case "text":
        return matchesText(conversation, messages, search.text);
    }
  }

  /**
   * One `/messages` batch: the `size` newest messages strictly older than `before` (all when
   * absent) and strictly newer than `after` (when given), oldest first, and whether older ones
   * remain within those bounds (crisp-api.md §4.6). An unknown conversation has none.
   */
  messagesBefore(
    websiteId: string,
    sessionId: string,
    before: number | undefined,
    size: number,
    after?: number,
  ): { messages: WireMessage[]; more: boolean } {
    const all = this.messages(websiteId, sessionId) ?? [];
    const older = all.filter(
      (item) =>
        (before === undefined || item.timestamp < before) &&
        (after === undefined || item.timestamp > after),
    );
    const messages = older.slice(-size);
    return { messages, more: older.length > messages.length };
  }

  /** Profiles matching `query`, sorted (default: newest created first). */
  listPeople(websiteId: string, query: PeopleQuery): WirePeopleProfile[] {
    const text = query.searchText?.toLowerCase();
    const matches = this.people(websiteId).filter((profile) => {
      const created = profile.created_at ?? 0;
      if (query.dateStart !== undefined && created < query.dateStart) {
        return false;
      }
      if (query.dateEnd !== undefined && created > query.dateEnd) {
        return false;
      }
      if (query.filter !== undefined && !matchesFilter(profile, query.filter)) {
        return false;
      }
      if (text !== undefined && text !== "") {
        const haystack = [profile.email, profile.person?.nickname, profile.company?.name];
        return haystack.some((value) => value?.toLowerCase().includes(text));
      }
      return true;
    });
    const base = matches.sort(
      (a, b) => (b.created_at ?? 0) - (a.created_at ?? 0) || compareText(a.people_id, b.people_id),
    );
    const descending = query.sortOrder === "descending";
    const field = query.sortField;
    // Unknown fields (no profile has them) are ignored, as Crisp ignores them.
    if (
      field === undefined ||
      !base.some((profile) => profileField(profile, field) !== undefined)
    ) {
      return query.sortOrder === "ascending" ? base.reverse() : base;
    }
    return base.sort((a, b) => {
      const order = compareValues(profileField(a, field), profileField(b, field));
      return descending ? -order : order;
    });
  }

  /** Session ids of a person's conversations, newest first; `undefined` for an unknown person. */
  personConversations(
    websiteId: string,
    peopleId: string,
    query: PersonConversationsQuery,
  ): string[] | undefined {
    const profile = this.profile(websiteId, peopleId);
    if (profile === undefined) {
      return undefined;
    }
    return this.conversations(websiteId)
      .filter(
        (item) =>
          item.people_id === profile.people_id &&
          (!query.unread || (item.unread?.operator ?? 0) > 0) &&
          (!query.resolved || item.state === "resolved") &&
          (!query.notResolved || item.state !== "resolved"),
      )
      .sort(byUpdatedDesc)
      .map((item) => item.session_id);
  }
}

function matchesText(
  conversation: WireConversation,
  messages: WireMessage[],
  text: string,
): boolean {
  const wanted = text.toLowerCase();
  const { meta } = conversation;
  const fields = [meta.nickname, meta.email, meta.phone, meta.subject, conversation.last_message];
  if (fields.some((value) => value?.toLowerCase().includes(wanted))) {
    return true;
  }
  return messages.some(
    (message) =>
      typeof message.content === "string" && message.content.toLowerCase().includes(wanted),
  );
}

/** A sort field: a dotted path, a top-level profile field, or a `person` field (`nickname`). */
function profileField(profile: WirePeopleProfile, field: string): unknown {
  const direct = resolvePath(profile, field);
  return direct !== undefined ? direct : resolvePath(profile.person, field);
}

/** Orders numbers numerically and strings case-insensitively; missing values sort last. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (value: unknown): number =>
    typeof value === "number" ? 0 : typeof value === "string" ? 1 : 2;
  if (rank(a) !== rank(b)) {
    return rank(a) - rank(b);
  }
  if (typeof a === "number" && typeof b === "number") {
    return a - b;
  }
  if (typeof a === "string" && typeof b === "string") {
    return compareText(a.toLowerCase(), b.toLowerCase());
  }
  return 0;
}
