import type { GatewayContext } from "../../context.js";
import { requireId } from "../../crisp/ids.js";
import type {
  CompanyChanges,
  GeolocationChanges,
  ProfileChanges,
} from "../../crisp/profile-card.js";
import { badUserInput, ErrorCode, GatewayError } from "../../errors.js";
import { builder } from "../builder.js";
import { email, MAX_TEXT_LENGTH, nonEmpty, shortString, stringList, url } from "../input.js";
import { PersonRef, type PersonShape } from "./type.js";

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

const GeolocationInput = builder.inputType("GeolocationInput", {
  description:
    "Where a person or company is (Crisp's geolocation); latitude and longitude go together.",
  fields: (t) => ({
    country: t.string({ description: "ISO 3166-1 alpha-2 country code, e.g. FR." }),
    region: t.string(),
    city: t.string(),
    latitude: t.float({ description: "-90 to 90, with longitude." }),
    longitude: t.float({ description: "-180 to 180, with latitude." }),
  }),
});

const SocialProfileInput = builder.inputType("SocialProfileInput", {
  description: "A social network profile of the person (Crisp's person.profiles).",
  fields: (t) => ({
    type: t.string({ required: true, description: "e.g. twitter, linkedin, facebook." }),
    handle: t.string({ required: true }),
    url: t.string({ description: "An http(s) URL." }),
  }),
});

const CompanyInput = builder.inputType("CompanyInput", {
  description: "The person's company (Crisp's company, metrics included).",
  fields: (t) => ({
    name: t.string(),
    legalName: t.string(),
    domain: t.string(),
    url: t.string(),
    description: t.string(),
    timezone: t.int({ description: "Minutes offset from UTC." }),
    phones: t.stringList(),
    emails: t.stringList(),
    geolocation: t.field({ type: GeolocationInput }),
    employees: t.int({ description: "Crisp's company.metrics.employees." }),
    marketCap: t.float({ description: "Crisp's company.metrics.market_cap." }),
    raised: t.float({ description: "Crisp's company.metrics.raised." }),
    arr: t.float({ description: "Crisp's company.metrics.arr (annual recurring revenue)." }),
    tags: t.stringList(),
  }),
});

const PersonInput = builder.inputType("PersonInput", {
  description:
    "A people profile: every field of Crisp's profile card. On create, what is given is set. On update only the fields given are sent (PATCH): a field left out keeps its value, a field set to null is cleared (a text becomes empty, a list empty, a number is removed; an object, such as employment, company or geolocation, is cleared field by field).",
  fields: (t) => ({
    websiteId: t.id({ required: true }),
    peopleId: t.id({ description: "Required on update, absent on create." }),
    email: t.string({ description: "Required on create; may change, never be cleared." }),
    nickname: t.string(),
    avatar: t.string(),
    gender: t.string(),
    phone: t.string(),
    address: t.string(),
    description: t.string(),
    websiteUrl: t.string(),
    timezone: t.int({ description: "Minutes offset from UTC." }),
    locales: t.stringList(),
    profiles: t.field({ type: [SocialProfileInput] }),
    employment: t.field({ type: EmploymentInput }),
    geolocation: t.field({ type: GeolocationInput }),
    company: t.field({ type: CompanyInput }),
    segments: t.stringList(),
    notepad: t.string(),
  }),
});

type PersonInputShape = typeof PersonInput.$inferInput;

/** Profiles a person may list: far past any real one. */
const MAX_SOCIAL_PROFILES = 20;
/** Minutes from UTC Crisp can mean: UTC-14:00 to UTC+14:00. */
const MAX_TIMEZONE_MINUTES = 840;

/**
 * Reads the given fields of an input object into changes: each value checked by `check`, null
 * kept as "clear" on update and left out on create, absent left out.
 */
function reader(mode: "create" | "update") {
  return <I, K extends keyof I, V>(
    input: I,
    key: K,
    check: (value: NonNullable<I[K]>) => V,
  ): V | null | undefined => {
    const value = input[key];
    if (value === undefined || (value === null && mode === "create")) {
      return undefined;
    }
    return value === null ? null : check(value as NonNullable<I[K]>);
  };
}

/** Sets `key` of `into` only when `value` is not undefined (so a PATCH sends only that). */
function put<T, K extends keyof T>(into: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) {
    into[key] = value;
  }
}

function timezone(value: number, field: string): number {
  if (value < -MAX_TIMEZONE_MINUTES || value > MAX_TIMEZONE_MINUTES) {
    throw badUserInput(
      field,
      `expected minutes from UTC, -${MAX_TIMEZONE_MINUTES} to ${MAX_TIMEZONE_MINUTES}.`,
    );
  }
  return value;
}

function amount(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw badUserInput(field, "expected a number of 0 or more.");
  }
  return value;
}

function geolocationChanges(
  input: typeof GeolocationInput.$inferInput,
  at: string,
  mode: "create" | "update",
): GeolocationChanges {
  const read = reader(mode);
  const changes: GeolocationChanges = {};
  for (const key of ["country", "region", "city"] as const) {
    put(
      changes,
      key,
      read(input, key, (value) => shortString(value, `${at}.${key}`)),
    );
  }
  const { latitude, longitude } = input;
  if (latitude !== undefined || longitude !== undefined) {
    if (latitude === null && longitude === null) {
      if (mode === "update") {
        changes.coordinates = null;
      }
    } else if (
      typeof latitude !== "number" ||
      typeof longitude !== "number" ||
      latitude < -90 ||
      latitude > 90 ||
      longitude < -180 ||
      longitude > 180
    ) {
      throw badUserInput(
        `${at}.latitude`,
        "give latitude (-90 to 90) and longitude (-180 to 180) together, or both null.",
      );
    } else {
      changes.coordinates = { latitude, longitude };
    }
  }
  return changes;
}

function companyChanges(
  input: typeof CompanyInput.$inferInput,
  mode: "create" | "update",
): CompanyChanges {
  const read = reader(mode);
  const at = "input.company";
  const changes: CompanyChanges = {};
  for (const key of ["name", "legalName", "domain", "description"] as const) {
    put(
      changes,
      key,
      read(input, key, (value) =>
        shortString(value, `${at}.${key}`, key === "description" ? 2_000 : undefined),
      ),
    );
  }
  put(
    changes,
    "url",
    read(input, "url", (value) => url(value, `${at}.url`)),
  );
  put(
    changes,
    "timezone",
    read(input, "timezone", (value) => timezone(value, `${at}.timezone`)),
  );
  put(
    changes,
    "phones",
    read(input, "phones", (value) => stringList(value, `${at}.phones`)),
  );
  put(
    changes,
    "emails",
    read(input, "emails", (value) =>
      stringList(value, `${at}.emails`).map((item, index) => email(item, `${at}.emails[${index}]`)),
    ),
  );
  put(
    changes,
    "geolocation",
    read(input, "geolocation", (value) => geolocationChanges(value, `${at}.geolocation`, mode)),
  );
  put(
    changes,
    "employees",
    read(input, "employees", (value) => amount(value, `${at}.employees`)),
  );
  for (const key of ["marketCap", "raised", "arr"] as const) {
    put(
      changes,
      key,
      read(input, key, (value) => amount(value, `${at}.${key}`)),
    );
  }
  put(
    changes,
    "tags",
    read(input, "tags", (value) => stringList(value, `${at}.tags`)),
  );
  return changes;
}

/**
 * Only what was given, each value checked: what a create sets, or what a PATCH changes (null:
 * clears) and nothing else. `profileCard` (src/crisp/profile-card.ts) puts it under Crisp's names.
 */
function profileChanges(input: PersonInputShape, mode: "create" | "update"): ProfileChanges {
  const read = reader(mode);
  const changes: ProfileChanges = {};
  if (input.email === null) {
    throw badUserInput("input.email", "a profile keeps an email: give another one, not null.");
  }
  if (input.email !== undefined) {
    changes.email = email(input.email, "input.email");
  }
  for (const key of ["nickname", "gender", "phone", "address", "description"] as const) {
    put(
      changes,
      key,
      read(input, key, (value) =>
        shortString(value, `input.${key}`, key === "description" ? 2_000 : undefined),
      ),
    );
  }
  put(
    changes,
    "avatar",
    read(input, "avatar", (value) => url(value, "input.avatar")),
  );
  put(
    changes,
    "websiteUrl",
    read(input, "websiteUrl", (value) => url(value, "input.websiteUrl")),
  );
  put(
    changes,
    "timezone",
    read(input, "timezone", (value) => timezone(value, "input.timezone")),
  );
  put(
    changes,
    "locales",
    read(input, "locales", (value) => stringList(value, "input.locales")),
  );
  put(
    changes,
    "profiles",
    read(input, "profiles", (value) => {
      if (value.length > MAX_SOCIAL_PROFILES) {
        throw badUserInput("input.profiles", `at most ${MAX_SOCIAL_PROFILES} items.`);
      }
      return value.map((profile, index) => {
        const at = `input.profiles[${index}]`;
        return {
          type: nonEmpty(profile.type, `${at}.type`, 50),
          handle: nonEmpty(profile.handle, `${at}.handle`),
          ...(profile.url === null || profile.url === undefined
            ? {}
            : { url: url(profile.url, `${at}.url`) }),
        };
      });
    }),
  );
  put(
    changes,
    "employment",
    read(input, "employment", (value) => {
      const employment: NonNullable<ProfileChanges["employment"]> = {};
      for (const key of ["name", "domain", "title", "role", "seniority"] as const) {
        put(
          employment,
          key,
          read(value, key, (item) => shortString(item, `input.employment.${key}`)),
        );
      }
      return employment;
    }),
  );
  put(
    changes,
    "geolocation",
    read(input, "geolocation", (value) => geolocationChanges(value, "input.geolocation", mode)),
  );
  put(
    changes,
    "company",
    read(input, "company", (value) => companyChanges(value, mode)),
  );
  put(
    changes,
    "segments",
    read(input, "segments", (value) => stringList(value, "input.segments")),
  );
  put(
    changes,
    "notepad",
    read(input, "notepad", (value) => shortString(value, "input.notepad", MAX_TEXT_LENGTH)),
  );
  return changes;
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
      const peopleId = await ctx.writes.createPerson(websiteId, profileChanges(input, "create"));
      return personAfterWrite(ctx, websiteId, peopleId);
    },
  }),
  updatePerson: t.field({
    type: PersonRef,
    description:
      "Changes only the fields given (null clears one): PATCH /website/{website_id}/people/profile/{people_id}, then GET it.",
    crispCost: { requests: 2 },
    args: { input: t.arg({ type: PersonInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const websiteId = requireId("websiteId", input.websiteId, "input.websiteId");
      if (input.peopleId === null || input.peopleId === undefined) {
        throw badUserInput("input.peopleId", "required to update a person.");
      }
      const peopleId = requireId("peopleId", input.peopleId, "input.peopleId");
      const changes = profileChanges(input, "update");
      if (Object.keys(changes).length === 0) {
        throw badUserInput("input", "give at least one field to change.");
      }
      await ctx.writes.updatePerson(websiteId, peopleId, changes);
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
