import type { GatewayContext } from "../context.js";
import { isEmail, isSessionId, isUuid, requireId } from "../crisp/ids.js";
import type { PeopleProfileCard } from "../crisp/people.js";
import type { CrispPeopleProfile } from "../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../errors.js";
import { SIZED_WINDOW_MAX_PAGES, walkPageLimit } from "../loaders/paging.js";
import { builder } from "./builder.js";
import { GeolocationRef } from "./common.js";
import { pagedConnection, requestedPageSize } from "./connection.js";
import { ConversationConnection, ConversationRef } from "./conversation.js";
import { joinIdParts, splitIdParts } from "./global-id.js";
import { email, MAX_TEXT_LENGTH, shortString, stringList, url } from "./input.js";
import { fromCrispTime } from "./scalars.js";
import { WebsiteRef } from "./website.js";

/** People profiles carry no website id in Crisp's payload; the gateway keeps it beside. */
export interface PersonShape {
  websiteId: string;
  profile: CrispPeopleProfile;
}

export const PersonRef = builder.objectRef<PersonShape>("Person");

type Company = NonNullable<CrispPeopleProfile["company"]>;
type Employment = NonNullable<NonNullable<CrispPeopleProfile["person"]>["employment"]>;
type SocialProfile = NonNullable<NonNullable<CrispPeopleProfile["person"]>["profiles"]>[number];

const SocialProfileRef = builder.objectRef<SocialProfile>("SocialProfile").implement({
  description: "A social network profile of the person.",
  fields: (t) => ({
    type: t.string({ description: "e.g. twitter, linkedin.", resolve: (p) => p.type ?? "" }),
    handle: t.string({ resolve: (p) => p.handle ?? "" }),
    url: t.string({ nullable: true, resolve: (p) => p.url ?? null }),
  }),
});

const EmploymentRef = builder.objectRef<Employment>("Employment").implement({
  description: "Where the person works.",
  fields: (t) => ({
    name: t.string({ nullable: true, resolve: (e) => e.name ?? null }),
    domain: t.string({ nullable: true, resolve: (e) => e.domain ?? null }),
    title: t.string({ nullable: true, resolve: (e) => e.title ?? null }),
    role: t.string({ nullable: true, resolve: (e) => e.role ?? null }),
    seniority: t.string({ nullable: true, resolve: (e) => e.seniority ?? null }),
  }),
});

const CompanyRef = builder.objectRef<Company>("Company").implement({
  description: "The person's company, as enriched by Crisp.",
  fields: (t) => ({
    name: t.string({ nullable: true, resolve: (c) => c.name ?? null }),
    legalName: t.string({ nullable: true, resolve: (c) => c.legal_name ?? null }),
    domain: t.string({ nullable: true, resolve: (c) => c.domain ?? null }),
    url: t.string({ nullable: true, resolve: (c) => c.url ?? null }),
    description: t.string({ nullable: true, resolve: (c) => c.description ?? null }),
    timezone: t.int({ nullable: true, resolve: (c) => c.timezone ?? null }),
    phones: t.stringList({ resolve: (c) => c.phones ?? [] }),
    emails: t.stringList({ resolve: (c) => c.emails ?? [] }),
    geolocation: t.field({
      type: GeolocationRef,
      nullable: true,
      resolve: (c) => c.geolocation ?? null,
    }),
    employees: t.int({ nullable: true, resolve: (c) => c.metrics?.employees ?? null }),
    marketCap: t.float({ nullable: true, resolve: (c) => c.metrics?.market_cap ?? null }),
    raised: t.float({ nullable: true, resolve: (c) => c.metrics?.raised ?? null }),
    arr: t.float({ nullable: true, resolve: (c) => c.metrics?.arr ?? null }),
  }),
});

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

builder.node(PersonRef, {
  description:
    "A Crisp people profile (contact). GET /website/{website_id}/people/profile/{people_id}: one Crisp request per distinct person per operation, none when a people list in the operation returned it.",
  id: {
    resolve: (p) => joinIdParts(p.websiteId, p.profile.people_id),
    parse: (id) => {
      const [websiteId = "", peopleId = ""] = splitIdParts(id, 2);
      if (!isUuid(websiteId) || !isUuid(peopleId)) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return id;
    },
  },
  loadOne: async (id, ctx) => {
    const [websiteId = "", peopleId = ""] = id.split("/");
    const profile = await ctx.loaders.person(websiteId, peopleId);
    return profile === null ? null : { websiteId, profile };
  },
  fields: (t) => ({
    peopleId: t.id({
      description: "Crisp's people id (a UUID).",
      resolve: (p) => p.profile.people_id,
    }),
    website: t.field({ type: WebsiteRef, resolve: (p) => ({ websiteId: p.websiteId }) }),
    email: t.string({ nullable: true, resolve: (p) => p.profile.email ?? null }),
    nickname: t.string({ nullable: true, resolve: (p) => p.profile.person?.nickname ?? null }),
    avatar: t.string({ nullable: true, resolve: (p) => p.profile.person?.avatar ?? null }),
    gender: t.string({ nullable: true, resolve: (p) => p.profile.person?.gender ?? null }),
    phone: t.string({ nullable: true, resolve: (p) => p.profile.person?.phone ?? null }),
    address: t.string({ nullable: true, resolve: (p) => p.profile.person?.address ?? null }),
    description: t.string({
      nullable: true,
      resolve: (p) => p.profile.person?.description ?? null,
    }),
    websiteUrl: t.string({
      nullable: true,
      description: "The person's own website (Crisp's person.website).",
      resolve: (p) => p.profile.person?.website ?? null,
    }),
    timezone: t.int({
      nullable: true,
      description: "Minutes offset from UTC.",
      resolve: (p) => p.profile.person?.timezone ?? null,
    }),
    locales: t.stringList({ resolve: (p) => p.profile.person?.locales ?? [] }),
    profiles: t.field({
      type: [SocialProfileRef],
      resolve: (p) => p.profile.person?.profiles ?? [],
    }),
    employment: t.field({
      type: EmploymentRef,
      nullable: true,
      resolve: (p) => p.profile.person?.employment ?? null,
    }),
    geolocation: t.field({
      type: GeolocationRef,
      nullable: true,
      resolve: (p) => p.profile.person?.geolocation ?? null,
    }),
    company: t.field({
      type: CompanyRef,
      nullable: true,
      resolve: (p) => p.profile.company ?? null,
    }),
    segments: t.stringList({ resolve: (p) => p.profile.segments ?? [] }),
    notepad: t.string({ nullable: true, resolve: (p) => p.profile.notepad ?? null }),
    active: t.boolean({
      nullable: true,
      description: "Online right now.",
      resolve: (p) => p.profile.active?.now ?? null,
    }),
    lastActiveAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (p) => fromCrispTime(p.profile.active?.last),
    }),
    createdAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (p) => fromCrispTime(p.profile.created_at),
    }),
    updatedAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (p) => fromCrispTime(p.profile.updated_at),
    }),
  }),
});

const PersonConnection = builder.connectionObject(
  { type: PersonRef, name: "PersonConnection", description: "A page of people profiles." },
  { name: "PersonEdge", description: "One person and its cursor." },
);

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

const EmploymentInput = builder.inputType("EmploymentInput", {
  description: "Where the person works (Crisp's person.employment).",
  fields: (t) => ({
    name: t.string(),
    domain: t.string(),
    title: t.string(),
    role: t.string(),
    seniority: t.string(),
  }),
});

const CompanyInput = builder.inputType("CompanyInput", {
  description: "The person's company (Crisp's company).",
  fields: (t) => ({
    name: t.string(),
    legalName: t.string(),
    domain: t.string(),
    url: t.string(),
    description: t.string(),
  }),
});

const PersonInput = builder.inputType("PersonInput", {
  description:
    "A people profile. On update only the fields given are sent (PATCH); a field left out or null keeps its value.",
  fields: (t) => ({
    websiteId: t.id({ required: true }),
    peopleId: t.id({ description: "Required on update, absent on create." }),
    email: t.string({ description: "Required on create." }),
    nickname: t.string(),
    avatar: t.string(),
    gender: t.string(),
    phone: t.string(),
    address: t.string(),
    description: t.string(),
    websiteUrl: t.string(),
    timezone: t.int({ description: "Minutes offset from UTC." }),
    locales: t.stringList(),
    employment: t.field({ type: EmploymentInput }),
    company: t.field({ type: CompanyInput }),
    segments: t.stringList(),
    notepad: t.string(),
  }),
});

type PersonInputShape = typeof PersonInput.$inferInput;

/** Only what was given, under Crisp's names: a PATCH that changes nothing else. */
function toProfileCard(input: PersonInputShape): PeopleProfileCard {
  const given = <T>(value: T | null | undefined): value is T =>
    value !== null && value !== undefined;
  const strings = <K extends string>(
    source: Partial<Record<K, string | null>>,
    keys: readonly K[],
    at: string,
  ) => {
    const out: Partial<Record<K, string>> = {};
    for (const key of keys) {
      const value = source[key];
      if (typeof value === "string") {
        out[key] = shortString(value, `${at}${key}`, key === "description" ? 2_000 : undefined);
      }
    }
    return out;
  };
  const person: NonNullable<PeopleProfileCard["person"]> = strings(
    input,
    ["nickname", "gender", "phone", "address", "description"] as const,
    "input.",
  );
  if (given(input.avatar)) {
    person.avatar = url(input.avatar, "input.avatar");
  }
  if (given(input.websiteUrl)) {
    person.website = url(input.websiteUrl, "input.websiteUrl");
  }
  if (given(input.timezone)) {
    if (input.timezone < -840 || input.timezone > 840) {
      throw badUserInput("input.timezone", "expected minutes from UTC, -840 to 840.");
    }
    person.timezone = input.timezone;
  }
  if (given(input.locales)) {
    person.locales = stringList(input.locales, "input.locales");
  }
  if (given(input.employment)) {
    person.employment = strings(
      input.employment,
      ["name", "domain", "title", "role", "seniority"] as const,
      "input.employment.",
    );
  }
  const card: PeopleProfileCard = {};
  if (given(input.email)) {
    card.email = email(input.email, "input.email");
  }
  if (Object.keys(person).length > 0) {
    card.person = person;
  }
  if (given(input.company)) {
    const { legalName, url: companyUrl, ...rest } = input.company;
    const company: NonNullable<PeopleProfileCard["company"]> = strings(
      rest,
      ["name", "domain", "description"] as const,
      "input.company.",
    );
    if (given(legalName)) {
      company.legal_name = shortString(legalName, "input.company.legalName");
    }
    if (given(companyUrl)) {
      company.url = url(companyUrl, "input.company.url");
    }
    card.company = company;
  }
  if (given(input.segments)) {
    card.segments = stringList(input.segments, "input.segments");
  }
  if (given(input.notepad)) {
    card.notepad = shortString(input.notepad, "input.notepad", MAX_TEXT_LENGTH);
  }
  return card;
}

async function personAfterWrite(
  ctx: GatewayContext,
  websiteId: string,
  peopleId: string,
): Promise<PersonShape> {
  const profile = await ctx.loaders.person(websiteId, peopleId);
  if (profile === null) {
    throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such person.");
  }
  return { websiteId, profile };
}

builder.mutationFields((t) => ({
  createPerson: t.field({
    type: PersonRef,
    description:
      "Creates a people profile: POST /website/{website_id}/people/profile, then GET it. `email` is required; `peopleId` must be absent.",
    crispCost: { requests: 2 },
    args: { input: t.arg({ type: PersonInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const websiteId = requireId("websiteId", input.websiteId, "input.websiteId");
      if (input.peopleId !== null && input.peopleId !== undefined) {
        throw badUserInput("input.peopleId", "must be absent on create: Crisp chooses the id.");
      }
      if (input.email === null || input.email === undefined) {
        throw badUserInput("input.email", "required to create a person.");
      }
      const peopleId = await ctx.writes.createPerson(websiteId, toProfileCard(input));
      return personAfterWrite(ctx, websiteId, peopleId);
    },
  }),
  updatePerson: t.field({
    type: PersonRef,
    description:
      "Changes only the fields given: PATCH /website/{website_id}/people/profile/{people_id}, then GET it.",
    crispCost: { requests: 2 },
    args: { input: t.arg({ type: PersonInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const websiteId = requireId("websiteId", input.websiteId, "input.websiteId");
      if (input.peopleId === null || input.peopleId === undefined) {
        throw badUserInput("input.peopleId", "required to update a person.");
      }
      const peopleId = requireId("peopleId", input.peopleId, "input.peopleId");
      const card = toProfileCard(input);
      if (Object.keys(card).length === 0) {
        throw badUserInput("input", "give at least one field to change.");
      }
      await ctx.writes.updatePerson(websiteId, peopleId, card);
      return personAfterWrite(ctx, websiteId, peopleId);
    },
  }),
  removePerson: t.boolean({
    description: "DELETE /website/{website_id}/people/profile/{people_id}. NOT_FOUND when missing.",
    crispCost: { requests: 1 },
    args: { websiteId: t.arg.id({ required: true }), peopleId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await ctx.writes.removePerson(
        requireId("websiteId", args.websiteId),
        requireId("peopleId", args.peopleId),
      );
      return true;
    },
  }),
}));
