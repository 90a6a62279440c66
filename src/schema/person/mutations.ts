import type { GatewayContext } from "../../context.js";
import { requireId } from "../../crisp/ids.js";
import type { ProfileChanges } from "../../crisp/people.js";
import { badUserInput, ErrorCode, GatewayError } from "../../errors.js";
import { builder } from "../builder.js";
import { email, MAX_TEXT_LENGTH, shortString, stringList, url } from "../input.js";
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

/**
 * Only what was given, each value checked: what a PATCH changes and nothing else.
 * src/crisp/people.ts puts it under Crisp's names.
 */
function profileChanges(input: PersonInputShape): ProfileChanges {
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
  const changes: ProfileChanges = strings(
    input,
    ["nickname", "gender", "phone", "address", "description"] as const,
    "input.",
  );
  if (given(input.avatar)) {
    changes.avatar = url(input.avatar, "input.avatar");
  }
  if (given(input.websiteUrl)) {
    changes.websiteUrl = url(input.websiteUrl, "input.websiteUrl");
  }
  if (given(input.timezone)) {
    if (input.timezone < -840 || input.timezone > 840) {
      throw badUserInput("input.timezone", "expected minutes from UTC, -840 to 840.");
    }
    changes.timezone = input.timezone;
  }
  if (given(input.locales)) {
    changes.locales = stringList(input.locales, "input.locales");
  }
  if (given(input.employment)) {
    changes.employment = strings(
      input.employment,
      ["name", "domain", "title", "role", "seniority"] as const,
      "input.employment.",
    );
  }
  if (given(input.email)) {
    changes.email = email(input.email, "input.email");
  }
  if (given(input.company)) {
    const { legalName, url: companyUrl, ...rest } = input.company;
    const company: NonNullable<ProfileChanges["company"]> = strings(
      rest,
      ["name", "domain", "description"] as const,
      "input.company.",
    );
    if (given(legalName)) {
      company.legalName = shortString(legalName, "input.company.legalName");
    }
    if (given(companyUrl)) {
      company.url = url(companyUrl, "input.company.url");
    }
    changes.company = company;
  }
  if (given(input.segments)) {
    changes.segments = stringList(input.segments, "input.segments");
  }
  if (given(input.notepad)) {
    changes.notepad = shortString(input.notepad, "input.notepad", MAX_TEXT_LENGTH);
  }
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
      const peopleId = await ctx.writes.createPerson(websiteId, profileChanges(input));
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
      const changes = profileChanges(input);
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
