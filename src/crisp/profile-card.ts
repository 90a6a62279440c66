/**
 * The body of Crisp's people profile writes (`PeopleProfileUpdateCard`, crisp-api.md §4.7),
 * built from the gateway's camelCase changes: what `createPeopleProfile` and
 * `updatePeopleProfile` (src/crisp/people.ts) send.
 */

/**
 * A change to one field: its new value, or null to clear it. Only updates clear; on create the
 * schema leaves null fields out.
 */
export type Change<T> = T | null;

/** A place, under the gateway's names (Crisp nests the coordinates). */
export interface GeolocationChanges {
  country?: Change<string>;
  region?: Change<string>;
  city?: Change<string>;
  /** Both or neither: Crisp keeps them together as `coordinates`. */
  coordinates?: Change<{ latitude: number; longitude: number }>;
}

/** The company of a profile, under the gateway's names (`profileCard` gives Crisp's). */
export interface CompanyChanges {
  name?: Change<string>;
  legalName?: Change<string>;
  domain?: Change<string>;
  url?: Change<string>;
  description?: Change<string>;
  /** Minutes from UTC. */
  timezone?: Change<number>;
  phones?: Change<string[]>;
  emails?: Change<string[]>;
  geolocation?: Change<GeolocationChanges>;
  employees?: Change<number>;
  marketCap?: Change<number>;
  raised?: Change<number>;
  arr?: Change<number>;
  tags?: Change<string[]>;
}

/**
 * A change to a people profile, as the schema checked it: only what was given, under the
 * gateway's names, every field of Crisp's profile card (crisp-api.md §4.7). `profileCard`
 * gives it Crisp's shape.
 */
export interface ProfileChanges {
  /** Crisp requires one: it can change, never be cleared. */
  email?: string;
  nickname?: Change<string>;
  avatar?: Change<string>;
  gender?: Change<string>;
  phone?: Change<string>;
  address?: Change<string>;
  description?: Change<string>;
  /** The person's own website: Crisp's `person.website`. */
  websiteUrl?: Change<string>;
  /** Minutes from UTC. */
  timezone?: Change<number>;
  locales?: Change<string[]>;
  profiles?: Change<{ type: string; handle: string; url?: string }[]>;
  employment?: Change<{
    name?: Change<string>;
    domain?: Change<string>;
    title?: Change<string>;
    role?: Change<string>;
    seniority?: Change<string>;
  }>;
  geolocation?: Change<GeolocationChanges>;
  company?: Change<CompanyChanges>;
  segments?: Change<string[]>;
  notepad?: Change<string>;
}

/** Crisp's coordinates, or JSON null to clear them (numbers have no empty value). */
type WireCoordinates = { latitude: number; longitude: number } | null;
interface WireGeolocationCard {
  country?: string;
  region?: string;
  city?: string;
  coordinates?: WireCoordinates;
}

/**
 * Crisp's `PeopleProfileUpdateCard` (crisp-api.md §4.7, NODE `PeopleProfileUpdateCard`), with
 * JSON null where a number is cleared.
 */
export interface PeopleProfileCard {
  email?: string;
  person?: {
    nickname?: string;
    avatar?: string;
    gender?: string;
    phone?: string;
    address?: string;
    description?: string;
    website?: string;
    timezone?: number | null;
    locales?: string[];
    profiles?: { type: string; handle: string; url?: string }[];
    employment?: Partial<Record<"name" | "domain" | "title" | "role" | "seniority", string>>;
    geolocation?: WireGeolocationCard;
  };
  company?: {
    name?: string;
    legal_name?: string;
    domain?: string;
    url?: string;
    description?: string;
    timezone?: number | null;
    phones?: string[];
    emails?: string[];
    geolocation?: WireGeolocationCard;
    metrics?: Partial<Record<"employees" | "market_cap" | "raised" | "arr", number | null>>;
    tags?: string[];
  };
  segments?: string[];
  notepad?: string;
}

/** The object without its undefined entries, in the order given. */
function given<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/**
 * How a cleared field is sent. Crisp merges a PATCH, and clears a text with "" and a list with
 * [] (what clients did before null was accepted); a number has no empty value, so a cleared
 * number is sent as JSON null [I: crisp-api.md §4.7 types no field nullable]. An object is
 * cleared field by field, since a merge would keep what `{}` leaves out.
 */
const text = (value: Change<string> | undefined): string | undefined =>
  value === null ? "" : value;
const list = <T>(value: Change<T[]> | undefined): T[] | undefined => (value === null ? [] : value);

function objectOrNothing<T extends Record<string, unknown>>(object: T): Partial<T> | undefined {
  const kept = given(object);
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function geolocationCard(
  change: Change<GeolocationChanges> | undefined,
): WireGeolocationCard | undefined {
  if (change === undefined) {
    return undefined;
  }
  const geolocation = change ?? { country: null, region: null, city: null, coordinates: null };
  return given({
    country: text(geolocation.country),
    region: text(geolocation.region),
    city: text(geolocation.city),
    coordinates: geolocation.coordinates,
  });
}

function companyCard(change: Change<CompanyChanges> | undefined): PeopleProfileCard["company"] {
  if (change === undefined) {
    return undefined;
  }
  const company: CompanyChanges = change ?? {
    name: null,
    legalName: null,
    domain: null,
    url: null,
    description: null,
    timezone: null,
    phones: null,
    emails: null,
    geolocation: null,
    employees: null,
    marketCap: null,
    raised: null,
    arr: null,
    tags: null,
  };
  return given({
    name: text(company.name),
    legal_name: text(company.legalName),
    domain: text(company.domain),
    url: text(company.url),
    description: text(company.description),
    timezone: company.timezone,
    phones: list(company.phones),
    emails: list(company.emails),
    geolocation: geolocationCard(company.geolocation),
    metrics: objectOrNothing({
      employees: company.employees,
      market_cap: company.marketCap,
      raised: company.raised,
      arr: company.arr,
    }),
    tags: list(company.tags),
  });
}

/**
 * Crisp's `PeopleProfileUpdateCard` for some changes: the person's details under `person`, the
 * company's under `company` with Crisp's names, and nothing that was not given, so a PATCH
 * changes only that; a cleared field is sent as its empty value (see `text`, `list` above).
 */
export function profileCard(changes: ProfileChanges): PeopleProfileCard {
  const employment = changes.employment;
  const person = objectOrNothing({
    nickname: text(changes.nickname),
    gender: text(changes.gender),
    phone: text(changes.phone),
    address: text(changes.address),
    description: text(changes.description),
    avatar: text(changes.avatar),
    website: text(changes.websiteUrl),
    timezone: changes.timezone,
    locales: list(changes.locales),
    profiles: list(changes.profiles),
    employment:
      employment === undefined
        ? undefined
        : employment === null
          ? { name: "", domain: "", title: "", role: "", seniority: "" }
          : given({
              name: text(employment.name),
              domain: text(employment.domain),
              title: text(employment.title),
              role: text(employment.role),
              seniority: text(employment.seniority),
            }),
    geolocation: geolocationCard(changes.geolocation),
  });
  return given({
    email: changes.email,
    person,
    company: companyCard(changes.company),
    segments: list(changes.segments),
    notepad: text(changes.notepad),
  });
}
