import { isEmail, isSessionId, isUuid, requireId } from "../../crisp/ids.js";
import { badUserInput } from "../../errors.js";
import { SIZED_WINDOW_MAX_PAGES, walkPageLimit } from "../../loaders/paging.js";
import { builder } from "../builder.js";
import { pagedConnection, requestedPageSize } from "../connection.js";
import { ConversationConnection, ConversationRef } from "../conversation/type.js";
import { WebsiteRef } from "../website.js";
import { PersonConnection, PersonRef } from "./type.js";

const SortOrder = builder.enumType("SortOrder", {
  description: "Crisp's sort_order.",
  values: { ASCENDING: { value: "ascending" }, DESCENDING: { value: "descending" } } as const,
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
    resolve: async (website, args, ctx) => {
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
      const profile = await ctx.loaders.person(website.websiteId, key);
      return profile === null ? null : { websiteId: website.websiteId, profile };
    },
  }),
  people: t.field({
    type: PersonConnection,
    description:
      "People profiles, newest first unless sorted: GET /website/{website_id}/people/profiles/{page} with per_page, sort_field/sort_order and search_text. One Crisp request per page (two at worst for a window no page size holds); every profile field comes with it.",
    crispCost: { requests: SIZED_WINDOW_MAX_PAGES, items: requestedPageSize("first") },
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last person already seen." }),
      search: t.arg.string({
        description: "Crisp's search_text: a quick search on name, email, company.",
      }),
      sort: t.arg({ type: PeopleSort }),
    },
    resolve: async (website, args, ctx) => {
      if ((args.search?.length ?? 0) > MAX_SEARCH_LENGTH) {
        throw badUserInput("search", `at most ${MAX_SEARCH_LENGTH} characters.`);
      }
      if (args.sort && !/^[a-z][a-z0-9_.]{0,63}$/i.test(args.sort.field)) {
        throw badUserInput("sort.field", "expected a Crisp field name such as nickname.");
      }
      return pagedConnection(
        args,
        {
          perPage: "chosen",
          fetch: (page, perPage) =>
            ctx.loaders.peoplePage(website.websiteId, {
              page,
              perPage,
              searchText: args.search ?? undefined,
              sortField: args.sort?.field,
              sortOrder: args.sort?.order ?? undefined,
            }),
        },
        (profile) => ({ websiteId: website.websiteId, profile }),
      );
    },
  }),
}));

builder.objectField(ConversationRef, "person", (t) =>
  t.field({
    type: PersonRef,
    nullable: true,
    description:
      "The people profile bound to this conversation, if any: one GET …/people/profile/{people_id} per distinct person per operation.",
    crispCost: { requests: 1 },
    resolve: async (c, _args, ctx) => {
      if (!c.people_id || !isUuid(c.people_id)) {
        return null;
      }
      const profile = await ctx.loaders.person(c.website_id, c.people_id);
      return profile === null ? null : { websiteId: c.website_id, profile };
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
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last conversation already seen." }),
    },
    resolve: (person, args, ctx) => {
      const { websiteId } = person;
      const peopleId = person.profile.people_id;
      return pagedConnection(
        args,
        {
          perPage: "crisp",
          fetch: (page) => ctx.loaders.personConversationPage(websiteId, peopleId, page),
        },
        // A session id Crisp lists but no longer holds, or cannot hold, is left out.
        (sessionId) =>
          isSessionId(sessionId) ? ctx.loaders.conversation(websiteId, sessionId) : null,
      );
    },
  }),
);
