import { badUserInput } from "../errors.js";
import { requireAnsweredId } from "./answers.js";
import type { CrispApi } from "./client.js";
import { isEmail, isUuid, requireId } from "./ids.js";
import { nullIfNotFound } from "./not-found.js";
import { type ProfileChanges, profileCard } from "./profile-card.js";
import type { CrispPeopleProfile } from "./types.js";
import { crispPath } from "./url.js";

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

/**
 * `GET /website/{website_id}/people/data/{people_id}`: the profile's custom data (crisp-api.md
 * §4.7, GO `PeopleData { data }`); `{}` when it has none, null when the profile is missing.
 */
export async function getPeopleData(
  client: CrispApi,
  websiteId: string,
  peopleId: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown> | null> {
  requireId("websiteId", websiteId);
  requireId("peopleId", peopleId);
  return nullIfNotFound(
    client
      .request<{ data?: unknown }>({
        method: "GET",
        path: crispPath`/website/${websiteId}/people/data/${peopleId}`,
        signal,
      })
      .then(({ data }) =>
        typeof data.data === "object" && data.data !== null && !Array.isArray(data.data)
          ? (data.data as Record<string, unknown>)
          : {},
      ),
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

// The write functions below take these changes; callers that import them with the functions
// find them here too.
export type { ProfileChanges } from "./profile-card.js";

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
