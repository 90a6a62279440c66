import type { GatewayContext } from "../../context.js";
import { isEmail, isSessionId, isUuid, requireId } from "../../crisp/ids.js";
import type { PeopleListParams } from "../../crisp/people.js";
import type { CrispConversation, CrispPeopleProfile } from "../../crisp/types.js";
import { badUserInput } from "../../errors.js";
import { isConversation } from "../../events/cached-shapes.js";
import { walkPageLimit } from "../../loaders/paging.js";
import { SEEK_MAX_PAGES, type SeekOrder } from "../../loaders/seek.js";
import { builder } from "../builder.js";
import {
  checkForwardWindow,
  pagedConnection,
  requestedPageSize,
  seekingConnectionCost,
} from "../connection.js";
import { checkCrispFilter, SearchOperator } from "../conversation/filters.js";
import { ConversationConnection, ConversationRef } from "../conversation/type.js";
import { startsRead, startsReadOfEach } from "../prefetch.js";
import { STREAM_PAGE_SIZE, streamPages } from "../stream.js";
import { WebsiteRef } from "../website.js";
import { hasPeopleIds, PersonConnection, PersonRef } from "./type.js";

const SortOrder = builder.enumType("SortOrder", {
  description: "Crisp's sort_order.",
  values: { ASCENDING: { value: "ascending" }, DESCENDING: { value: "descending" } } as const,
});

const PeopleCriterion = builder.inputType("PeopleCriterion", {
  description:
    'One criterion of Crisp\'s people search_filter ({model: "people", criterion, operator, query}).',
  fields: (t) => ({
    criterion: t.string({
      required: true,
      description: "A profile field path, e.g. email, person.nickname, segments, company.name.",
    }),
    operator: t.string({
      required: true,
      description:
        "Crisp's comparison: eq, neq, has (contains) or nhas (does not contain), or any other operator Crisp's segment filters take.",
    }),
    query: t.stringList({ required: true, description: "The values compared with." }),
  }),
});

const PeopleFilter = builder.inputType("PeopleFilter", {
  description:
    "Narrows the people list: Crisp's filter_date_start / filter_date_end (creation time) and its search_filter / search_operator.",
  fields: (t) => ({
    createdFrom: t.field({
      type: "DateTime",
      description: "Profiles created at or after this time (Crisp's filter_date_start).",
    }),
    createdUntil: t.field({
      type: "DateTime",
      description: "Profiles created at or before this time (Crisp's filter_date_end).",
    }),
    criteria: t.field({
      type: [PeopleCriterion],
      description: "Crisp's search_filter: profiles matching these criteria.",
    }),
    operator: t.field({
      type: SearchOperator,
      description: "Crisp's search_operator: how `criteria` combine (default AND).",
    }),
  }),
});

const PeopleSort = builder.inputType("PeopleSort", {
  description: "Crisp's sort_field and sort_order.",
  fields: (t) => ({
    field: t.string({ required: true, description: "A Crisp search field name, e.g. nickname." }),
    order: t.field({ type: SortOrder }),
  }),
});

/** Search text goes into a URL: keep it to what Crisp could ever accept. */
const MAX_SEARCH_LENGTH = 2_000;

/** A person is asked for by exactly one of its people id and its email: the loader's key. */
function personKey(args: { peopleId?: string | null; email?: string | null }): string {
  const hasId = args.peopleId !== null && args.peopleId !== undefined;
  const hasEmail = args.email !== null && args.email !== undefined;
  if (hasId === hasEmail) {
    throw badUserInput("peopleId", "give exactly one of peopleId and email.");
  }
  const key = hasId
    ? requireId("peopleId", String(args.peopleId))
    : String(args.email).trim().toLowerCase();
  if (!hasId && !isEmail(key)) {
    throw badUserInput("email", "expected an email address.");
  }
  return key;
}

/** The people list query a client asked for, checked: BAD_USER_INPUT before any Crisp request. */
export function peopleListQuery(args: {
  search?: string | null;
  sort?: typeof PeopleSort.$inferInput | null;
  filter?: typeof PeopleFilter.$inferInput | null;
}): Omit<PeopleListParams, "page" | "perPage"> {
  if ((args.search?.length ?? 0) > MAX_SEARCH_LENGTH) {
    throw badUserInput("search", `at most ${MAX_SEARCH_LENGTH} characters.`);
  }
  if (args.sort && !/^[a-z][a-z0-9_.]{0,63}$/i.test(args.sort.field)) {
    throw badUserInput("sort.field", "expected a Crisp field name such as nickname.");
  }
  const filter = args.filter ?? {};
  const from = filter.createdFrom ?? undefined;
  const until = filter.createdUntil ?? undefined;
  if (from !== undefined && until !== undefined && from > until) {
    throw badUserInput("filter.createdUntil", "must not be before filter.createdFrom.");
  }
  const criteria = filter.criteria ?? undefined;
  let searchFilter: string | undefined;
  if (criteria !== undefined) {
    const crisp = criteria.map((item) => ({
      model: "people",
      criterion: item.criterion,
      operator: item.operator,
      query: item.query,
    }));
    checkCrispFilter(crisp, "filter.criteria");
    searchFilter = JSON.stringify(crisp);
  } else if (filter.operator !== null && filter.operator !== undefined) {
    throw badUserInput("filter.operator", "combines filter.criteria: give some.");
  }
  return {
    searchText: args.search ?? undefined,
    sortField: args.sort?.field,
    sortOrder: args.sort?.order ?? undefined,
    searchFilter,
    searchOperator: searchFilter === undefined ? undefined : (filter.operator ?? undefined),
    filterDateStart: from?.toISOString(),
    filterDateEnd: until?.toISOString(),
  };
}

/**
 * What paging needs to know of the order: the people id, and in the default order (newest
 * created first) the creation time, which never changes. A sort field's value may change.
 */
function peopleOrder(
  query: Pick<PeopleListParams, "sortField" | "sortOrder">,
): SeekOrder<CrispPeopleProfile> {
  return query.sortField === undefined && query.sortOrder === undefined
    ? { id: (p) => p.people_id, key: (p) => p.created_at ?? 0 }
    : { id: (p) => p.people_id };
}

// One person needs only the website's id and its own: read it alongside the website, and by
// people id start what its selection reads by those ids (its conversations, its data) beside
// it; by email, once the profile says who it is.
startsRead(
  "Website",
  "person",
  (websiteId, args, ctx) => {
    const key = personKeyOrNull(args);
    return key === null
      ? undefined
      : ctx.loaders
          .person(websiteId, key)
          .then((profile) => (profile === null ? null : { websiteId, profile }));
  },
  {
    each: "Person",
    items: (result) => (result === null || result === undefined ? [] : [result]),
    known: (websiteId, args) => {
      const peopleId = typeof args.peopleId === "string" ? personKeyOrNull(args) : null;
      return peopleId === null ? [] : [{ websiteId, profile: { people_id: peopleId } }];
    },
  },
);

/** `personKey` of arguments that may be refused: null rather than the refusal. */
function personKeyOrNull(args: Record<string, unknown>): string | null {
  try {
    return personKey(args as { peopleId?: string | null; email?: string | null });
  } catch {
    return null;
  }
}

builder.objectFields(WebsiteRef, (t) => ({
  person: t.field({
    type: PersonRef,
    nullable: true,
    description:
      "By Crisp people id or by email (exactly one): GET /website/{website_id}/people/profile/{people_id or email}. Null when missing.",
    crispCost: { requests: 1 },
    args: {
      peopleId: t.arg.id({ description: "Crisp people id (a UUID)." }),
      email: t.arg.string({ description: "The person's email." }),
    },
    checkArgs: (args) => {
      personKey(args);
    },
    resolve: async (website, args, ctx) => {
      const key = personKey(args);
      const profile = await ctx.loaders.person(website.websiteId, key);
      return profile === null ? null : { websiteId: website.websiteId, profile };
    },
  }),
  people: t.field({
    type: PersonConnection,
    description:
      "People profiles, newest first unless sorted: GET /website/{website_id}/people/profiles/{page} with per_page, sort_field/sort_order, search_text, search_filter/search_operator and filter_date_start/filter_date_end. One Crisp request per page (two at worst for a window no page size holds); every profile field comes with it. Cursors remember the last profile (its place, id and creation time): in the default order (newest created first), paging from the first page to the last returns every profile that existed when paging began exactly once, whatever is created or removed meanwhile. Sorted by a field, a profile whose value changes moves, and one that crosses the cursor between two windows can be missed or seen twice. A window after a cursor may read up to 4 pages when the list moved; one that finds no place within them returns no edge, `hasNextPage` true and an `endCursor` to go on from.",
    crispCost: seekingConnectionCost,
    checkArgs: (args) => {
      checkForwardWindow(args, "seek");
      peopleListQuery(args);
    },
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last person already seen." }),
      search: t.arg.string({
        description: "Crisp's search_text: a quick search on name, email, company.",
      }),
      sort: t.arg({ type: PeopleSort }),
      filter: t.arg({ type: PeopleFilter }),
    },
    resolve: async (website, args, ctx) => {
      const query = peopleListQuery(args);
      return pagedConnection(
        args,
        {
          perPage: "chosen",
          fetch: (page, perPage) =>
            ctx.loaders.peoplePage(website.websiteId, { ...query, page, perPage }),
          order: peopleOrder(query),
        },
        (profile) => ({ websiteId: website.websiteId, profile }),
      );
    },
  }),
  allPeople: t.field({
    type: [PersonRef],
    description:
      "Every people profile of the website, for exports: select it with @stream (without, it is refused) and profiles arrive a page at a time, as GET /website/{website_id}/people/profiles/{page} answers, however many there are. In the default order (newest created first) every profile that existed when the stream began comes exactly once, whatever is created or removed meanwhile; sorted by a field, a profile whose value changes may be missed, none comes twice. Metered by page: each page may spend what the estimate says one page costs.",
    crispCost: { requests: SEEK_MAX_PAGES, items: STREAM_PAGE_SIZE, stream: true },
    checkArgs: (args) => {
      peopleListQuery(args);
    },
    args: {
      search: t.arg.string({
        description: "Crisp's search_text: a quick search on name, email, company.",
      }),
      sort: t.arg({ type: PeopleSort }),
      filter: t.arg({ type: PeopleFilter }),
    },
    resolve: async function* (website, args, ctx, info) {
      const query = peopleListQuery(args);
      const profiles = streamPages(ctx, info, peopleOrder(query), (page, perPage) =>
        ctx.loaders.peoplePage(website.websiteId, { ...query, page, perPage }),
      );
      for await (const profile of profiles) {
        yield { websiteId: website.websiteId, profile };
      }
    },
  }),
}));

/** The read of a conversation's person, when it has one: its field's, and its page's. */
function readPersonOf(
  c: CrispConversation,
  ctx: GatewayContext,
): Promise<CrispPeopleProfile | null> | undefined {
  return c.people_id && isUuid(c.people_id)
    ? ctx.loaders.person(c.website_id, c.people_id)
    : undefined;
}

// A page of conversations read at the start of the operation starts each one's person read.
startsReadOfEach("Conversation", "person", isConversation, (c, _args, ctx) => readPersonOf(c, ctx));

builder.objectField(ConversationRef, "person", (t) =>
  t.field({
    type: PersonRef,
    nullable: true,
    description:
      "The people profile bound to this conversation, if any: one GET …/people/profile/{people_id} per distinct person per operation.",
    crispCost: { requests: 1 },
    resolve: async (c, _args, ctx) => {
      const profile = await readPersonOf(c, ctx);
      return profile === null || profile === undefined
        ? null
        : { websiteId: c.website_id, profile };
    },
  }),
);

builder.objectField(PersonRef, "conversations", (t) =>
  t.field({
    type: ConversationConnection,
    description:
      "The person's conversations, newest first: GET /website/{website_id}/people/conversations/{people_id}/list/{page} gives session ids, a page at a time (Crisp does not say how many a page holds), then each conversation costs one GET …/conversation/{session_id}.",
    crispCost: {
      requests: (args) => {
        const first = requestedPageSize("first")(args);
        return walkPageLimit(first) + first;
      },
      items: requestedPageSize("first"),
    },
    checkArgs: (args) => checkForwardWindow(args, "page"),
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last conversation already seen." }),
    },
    resolve: (person, args, ctx) =>
      readPersonConversations(person.websiteId, person.profile.people_id, args, ctx),
  }),
);

/** A person's conversations window: its field's read, and the one its person read starts. */
function readPersonConversations(
  websiteId: string,
  peopleId: string,
  args: { first?: number | null; after?: string | null },
  ctx: GatewayContext,
) {
  return pagedConnection(
    args,
    {
      perPage: "crisp",
      fetch: (page) => ctx.loaders.personConversationPage(websiteId, peopleId, page),
    },
    // A session id Crisp lists but no longer holds, or cannot hold, is left out.
    (sessionId) => (isSessionId(sessionId) ? ctx.loaders.conversation(websiteId, sessionId) : null),
  );
}

startsReadOfEach("Person", "conversations", hasPeopleIds, (p, args, ctx) =>
  readPersonConversations(p.websiteId, p.profile.people_id, args, ctx),
);
