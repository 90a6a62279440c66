import { canonicalId } from "../../crisp/ids.js";
import type { CrispPeopleProfile } from "../../crisp/types.js";
import { badUserInput } from "../../errors.js";
import { builder } from "../builder.js";
import { GeolocationRef } from "../common.js";
import { joinIdParts, splitIdParts } from "../global-id.js";
import { startsReadOfEach } from "../prefetch.js";
import { fromCrispTime } from "../scalars.js";
import { WebsiteRef } from "../website.js";

/** Crisp leaves a cleared text as "": it reads back as null, as a field never set does. */
const text = (value: string | null | undefined): string | null => value || null;

/** People profiles carry no website id in Crisp's payload; the gateway keeps it beside. */
export interface PersonShape {
  websiteId: string;
  profile: CrispPeopleProfile;
}

export const PersonRef = builder.objectRef<PersonShape>("Person");

/**
 * A person, or what names one before its profile is read (`Website.person(peopleId:)`): its
 * website's id and its people id. What a read started by those ids needs.
 */
export function hasPeopleIds(
  value: unknown,
): value is { websiteId: string; profile: { people_id: string } } {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const { websiteId, profile } = value as { websiteId?: unknown; profile?: unknown };
  return (
    typeof websiteId === "string" &&
    typeof profile === "object" &&
    profile !== null &&
    typeof (profile as { people_id?: unknown }).people_id === "string"
  );
}

// A person's custom data needs only its ids: `Website.person(peopleId:)` starts it at once.
startsReadOfEach("Person", "data", hasPeopleIds, (p, _args, ctx) =>
  ctx.loaders.personData(p.websiteId, p.profile.people_id),
);

type Company = NonNullable<CrispPeopleProfile["company"]>;
type Employment = NonNullable<NonNullable<CrispPeopleProfile["person"]>["employment"]>;
type SocialProfile = NonNullable<NonNullable<CrispPeopleProfile["person"]>["profiles"]>[number];

const SocialProfileRef = builder.objectRef<SocialProfile>("SocialProfile").implement({
  description: "A social network profile of the person.",
  fields: (t) => ({
    type: t.string({ description: "e.g. twitter, linkedin.", resolve: (p) => p.type ?? "" }),
    handle: t.string({ resolve: (p) => p.handle ?? "" }),
    url: t.string({ nullable: true, resolve: (p) => text(p.url) }),
  }),
});

const EmploymentRef = builder.objectRef<Employment>("Employment").implement({
  description: "Where the person works.",
  fields: (t) => ({
    name: t.string({ nullable: true, resolve: (e) => text(e.name) }),
    domain: t.string({ nullable: true, resolve: (e) => text(e.domain) }),
    title: t.string({ nullable: true, resolve: (e) => text(e.title) }),
    role: t.string({ nullable: true, resolve: (e) => text(e.role) }),
    seniority: t.string({ nullable: true, resolve: (e) => text(e.seniority) }),
  }),
});

const CompanyRef = builder.objectRef<Company>("Company").implement({
  description: "The person's company, as enriched by Crisp.",
  fields: (t) => ({
    name: t.string({ nullable: true, resolve: (c) => text(c.name) }),
    legalName: t.string({ nullable: true, resolve: (c) => text(c.legal_name) }),
    domain: t.string({ nullable: true, resolve: (c) => text(c.domain) }),
    url: t.string({ nullable: true, resolve: (c) => text(c.url) }),
    description: t.string({ nullable: true, resolve: (c) => text(c.description) }),
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
    tags: t.stringList({
      description: "The company's tags (Crisp's company.tags).",
      resolve: (c) => c.tags ?? [],
    }),
  }),
});

builder.node(PersonRef, {
  description:
    "A Crisp people profile (contact). GET /website/{website_id}/people/profile/{people_id}: one Crisp request per distinct person per operation, none when a people list in the operation returned it.",
  id: {
    resolve: (p) => joinIdParts(p.websiteId, p.profile.people_id),
    parse: (id) => {
      const [websiteId = "", peopleId = ""] = splitIdParts(id, 2);
      const website = canonicalId("websiteId", websiteId);
      const person = canonicalId("peopleId", peopleId);
      if (website === null || person === null) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return joinIdParts(website, person);
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
    email: t.string({ nullable: true, resolve: (p) => text(p.profile.email) }),
    nickname: t.string({ nullable: true, resolve: (p) => text(p.profile.person?.nickname) }),
    avatar: t.string({ nullable: true, resolve: (p) => text(p.profile.person?.avatar) }),
    gender: t.string({ nullable: true, resolve: (p) => text(p.profile.person?.gender) }),
    phone: t.string({ nullable: true, resolve: (p) => text(p.profile.person?.phone) }),
    address: t.string({ nullable: true, resolve: (p) => text(p.profile.person?.address) }),
    description: t.string({
      nullable: true,
      resolve: (p) => text(p.profile.person?.description),
    }),
    websiteUrl: t.string({
      nullable: true,
      description: "The person's own website (Crisp's person.website).",
      resolve: (p) => text(p.profile.person?.website),
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
    data: t.field({
      type: "JSON",
      nullable: true,
      description:
        "The profile's custom data, an object of keys to strings, numbers or booleans: GET /website/{website_id}/people/data/{people_id}, once per person per operation ({} when it has none; null once the profile is gone).",
      crispCost: { requests: 1 },
      resolve: (p, _args, ctx) => ctx.loaders.personData(p.websiteId, p.profile.people_id),
    }),
    notepad: t.string({ nullable: true, resolve: (p) => text(p.profile.notepad) }),
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

export const PersonConnection = builder.connectionObject(
  { type: PersonRef, name: "PersonConnection", description: "A page of people profiles." },
  { name: "PersonEdge", description: "One person and its cursor." },
);
