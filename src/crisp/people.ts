import { badUserInput } from "../errors.js";
import { requireAnsweredId } from "./answers.js";
import { type CrispApi, crispPath } from "./client.js";
import { isEmail, isUuid, requireId } from "./ids.js";
import { nullIfNotFound } from "./not-found.js";
import type { CrispPeopleProfile } from "./types.js";

/** Parameters of `GET /website/{id}/people/profiles/{page}` (crisp-api.md §4.7). */
export interface PeopleListParams {
  page: number;
  /** Crisp accepts 20 to 50. */
  perPage: number;
  /** A Crisp search field name, sent as `sort_field` (there is no `sort` parameter). */
  sortField?: string;
  sortOrder?: "ascending" | "descending";
  searchText?: string;
  /** Crisp's search_filter: a JSON array of `{ model, criterion, operator, query }`, as text. */
  searchFilter?: string;
  /** How the filter's criteria combine (search_operator). */
  searchOperator?: "and" | "or";
  /** ISO 8601 bounds on the profile's creation (filter_date_start / filter_date_end). */
  filterDateStart?: string;
  filterDateEnd?: string;
}

/** `GET /website/{website_id}/people/profiles/{page}`. */
export async function listPeopleProfiles(
  client: CrispApi,
  websiteId: string,
  params: PeopleListParams,
  signal?: AbortSignal,
): Promise<CrispPeopleProfile[]> {
  requireId("websiteId", websiteId);
  const { data } = await client.request<CrispPeopleProfile[]>({
    method: "GET",
    path: crispPath`/website/${websiteId}/people/profiles/${params.page}`,
    query: {
      per_page: params.perPage,
      sort_field: params.sortField,
      sort_order: params.sortOrder,
      search_text: params.searchText,
      search_filter: params.searchFilter,
      search_operator: params.searchOperator,
      filter_date_start: params.filterDateStart,
      filter_date_end: params.filterDateEnd,
    },
    signal,
  });
  return Array.isArray(data) ? data : [];
}

/**
 * `GET /website/{website_id}/people/profile/{people_id}`; Crisp also takes an email in place
 * of the id. Null when missing.
 */
export async function getPeopleProfile(
  client: CrispApi,
  websiteId: string,
  peopleIdOrEmail: string,
  signal?: AbortSignal,
): Promise<CrispPeopleProfile | null> {
  requireId("websiteId", websiteId);
  if (!isUuid(peopleIdOrEmail) && !isEmail(peopleIdOrEmail)) {
    throw badUserInput("peopleId", "expected a people id (a UUID) or an email address.");
  }
  return nullIfNotFound(
    client
      .request<CrispPeopleProfile>({
        method: "GET",
        path: crispPath`/website/${websiteId}/people/profile/${peopleIdOrEmail}`,
        signal,
      })
      .then((response) => response.data),
  );
}

/** `GET /website/{id}/people/conversations/{people_id}/list/{page}`: session ids, newest first. */
export async function listPersonConversations(
  client: CrispApi,
  websiteId: string,
  peopleId: string,
  page: number,
  signal?: AbortSignal,
): Promise<string[]> {
  requireId("websiteId", websiteId);
  requireId("peopleId", peopleId);
  const { data } = await client.request<string[]>({
    method: "GET",
    path: crispPath`/website/${websiteId}/people/conversations/${peopleId}/list/${page}`,
    signal,
  });
  return Array.isArray(data) ? data : [];
}

/** A people profile as Crisp takes it on create and update (`PeopleProfileUpdateCard`). */
export type PeopleProfileCard = Partial<
  Omit<CrispPeopleProfile, "people_id" | "created_at" | "updated_at" | "score" | "active">
>;

type CrispPerson = NonNullable<CrispPeopleProfile["person"]>;
type CrispCompany = NonNullable<CrispPeopleProfile["company"]>;

/**
 * A change to a people profile, as the schema checked it: only what was given, under the
 * gateway's names (`profileCard` gives it Crisp's). The person's details are Crisp's own,
 * flattened; the two that Crisp names otherwise are renamed.
 */
export type ProfileChanges = Pick<
  CrispPerson,
  | "nickname"
  | "gender"
  | "phone"
  | "address"
  | "description"
  | "avatar"
  | "timezone"
  | "locales"
  | "employment"
> &
  Pick<CrispPeopleProfile, "email" | "segments" | "notepad"> & {
    /** The person's own website: Crisp's `person.website`. */
    websiteUrl?: string;
    company?: Pick<CrispCompany, "name" | "domain" | "url" | "description"> & {
      /** Crisp's `legal_name`. */
      legalName?: string;
    };
  };

/** The object without its undefined entries, in the order given. */
function given<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/**
 * Crisp's `PeopleProfileUpdateCard` for some changes: the person's details under `person`, the
 * company's under `company` with Crisp's names, and nothing that was not given, so a PATCH
 * changes only that.
 */
export function profileCard(changes: ProfileChanges): PeopleProfileCard {
  const person = given({
    nickname: changes.nickname,
    gender: changes.gender,
    phone: changes.phone,
    address: changes.address,
    description: changes.description,
    avatar: changes.avatar,
    website: changes.websiteUrl,
    timezone: changes.timezone,
    locales: changes.locales,
    employment: changes.employment,
  });
  const company =
    changes.company === undefined
      ? undefined
      : given({
          name: changes.company.name,
          domain: changes.company.domain,
          description: changes.company.description,
          legal_name: changes.company.legalName,
          url: changes.company.url,
        });
  return given({
    email: changes.email,
    person: Object.keys(person).length > 0 ? person : undefined,
    company,
    segments: changes.segments,
    notepad: changes.notepad,
  });
}

/** `POST /website/{website_id}/people/profile`: answers the new `people_id`. */
export async function createPeopleProfile(
  client: CrispApi,
  websiteId: string,
  changes: ProfileChanges,
  signal?: AbortSignal,
): Promise<string> {
  requireId("websiteId", websiteId);
  const { data } = await client.request<{ people_id?: string }>({
    method: "POST",
    path: crispPath`/website/${websiteId}/people/profile`,
    body: profileCard(changes),
    signal,
  });
  return requireAnsweredId(data.people_id, "people_id");
}

/** `PATCH /website/{website_id}/people/profile/{people_id}`: Crisp merges what is given. */
export async function updatePeopleProfile(
  client: CrispApi,
  websiteId: string,
  peopleId: string,
  changes: ProfileChanges,
  signal?: AbortSignal,
): Promise<void> {
  requireId("websiteId", websiteId);
  requireId("peopleId", peopleId);
  await client.request({
    method: "PATCH",
    path: crispPath`/website/${websiteId}/people/profile/${peopleId}`,
    body: profileCard(changes),
    signal,
  });
}

/** `DELETE /website/{website_id}/people/profile/{people_id}`. */
export async function removePeopleProfile(
  client: CrispApi,
  websiteId: string,
  peopleId: string,
  signal?: AbortSignal,
): Promise<void> {
  requireId("websiteId", websiteId);
  requireId("peopleId", peopleId);
  await client.request({
    method: "DELETE",
    path: crispPath`/website/${websiteId}/people/profile/${peopleId}`,
    signal,
  });
}
