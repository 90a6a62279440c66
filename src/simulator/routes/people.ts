/**
 * People routes (crisp-api.md §4.7): the profile list with its search and sort, one profile,
 * a person's conversations, and creating, merging (PATCH), replacing (PUT) and removing a
 * profile. Each write emits its `people:profile:*` event (§5.5).
 *
 * Our inferred choices [I]: a profile whose email another profile of the website already has
 * answers 409 `people_exists`; removing a profile leaves its conversations as they are.
 */

import type { SimulatorEnvironment } from "../environment.js";
import { CrispHttpError } from "../errors.js";
import { isUuid } from "../ids.js";
import { compact, emitWriteEvent } from "../mutations.js";
import type { WirePeopleData, WirePeopleProfile } from "../payloads.js";
import { Reason, RtmEvent, Status, USER_PLUGIN } from "../protocol.js";
import { dateRange, flag, parseFilter, parsePage, parsePerPage, type Query } from "../query.js";
import type { HttpMethod, Route, RouteAnswer, RouteContext } from "../router.js";
import type { PeopleQuery, WebsiteRecord } from "../store.js";
import {
  checkObject,
  fail,
  type JsonObject,
  objectBody,
  onlyKeys,
} from "../validation/primitives.js";
import { checkProfile, mergeDeep } from "../validation/profile.js";
import { created, deleted, listed, resolved, updated } from "./answers.js";
import { listRoute, profileRoute } from "./builders.js";
import { profileTarget, websiteOf, websiteRecord } from "./targets.js";

/** The query of List People Profiles (§4.7 [V D-PM]) as a store query. */
function peopleQuery(query: Query): PeopleQuery {
  const result: PeopleQuery = {};
  if (query.sort_field !== undefined && query.sort_field !== "") {
    result.sortField = query.sort_field;
  }
  if (query.sort_order === "ascending" || query.sort_order === "descending") {
    result.sortOrder = query.sort_order;
  }
  if (query.search_text !== undefined && query.search_text !== "") {
    result.searchText = query.search_text;
  }
  if (query.search_filter !== undefined && query.search_filter !== "") {
    result.filter = parseFilter(query.search_filter, query.search_operator, ["people"]);
  }
  Object.assign(result, dateRange(query));
  return result;
}

/**
 * A `PUT`/`PATCH …/people/data/{people_id}` body: `{ data: { key: string | number | boolean } }`
 * (§4.7 [L GO `PeopleData`, NODE `savePeopleData`]).
 */
function checkPeopleData(body: unknown): WirePeopleData {
  const value = objectBody(body);
  onlyKeys(value, ["data"]);
  const data = checkObject(value.data, "data");
  for (const [key, item] of Object.entries(data)) {
    if (!["string", "number", "boolean"].includes(typeof item)) {
      fail(`data.${key}`, "a string, a number or a boolean");
    }
  }
  return data as WirePeopleData;
}

/** A route on `/website/:website_id/people/data/:people_id`, or the people 404. */
function peopleDataRoute(
  method: HttpMethod,
  handle: (found: ReturnType<typeof profileTarget>, context: RouteContext) => Answered,
): Route {
  return {
    method,
    path: "/website/:website_id/people/data/:people_id",
    tiers: USER_PLUGIN,
    handle: (context) => handle(profileTarget(context), context),
  };
}

type Answered = RouteAnswer | Promise<RouteAnswer>;

/** 409 `people_exists` when another profile of the website has `email` (case-insensitive). */
function ensureEmailFree(record: WebsiteRecord, email: string | undefined, except?: string): void {
  if (email === undefined) {
    return;
  }
  const wanted = email.toLowerCase();
  if (
    record.people.some((item) => item.people_id !== except && item.email?.toLowerCase() === wanted)
  ) {
    throw new CrispHttpError(Status.CONFLICT, Reason.PEOPLE_EXISTS);
  }
}

export function peopleRoutes(env: SimulatorEnvironment): Route[] {
  /** PATCH merges the body into the profile; PUT replaces it, keeping Crisp's own fields. */
  const writeProfile =
    (mode: "merge" | "replace") =>
    async (
      { websiteId, record, profile }: ReturnType<typeof profileTarget>,
      context: RouteContext,
    ): Promise<RouteAnswer> => {
      const input = checkProfile(
        await context.readBody(),
        mode === "merge",
        context.assumptions.patchNull === "clears",
      );
      ensureEmailFree(record, input.email, profile.people_id);
      if (mode === "merge") {
        Object.assign(profile, mergeDeep(profile as unknown as JsonObject, input as JsonObject));
        profile.updated_at = env.clock();
      } else {
        const replaced: WirePeopleProfile = compact({
          people_id: profile.people_id,
          segments: [],
          notepad: "",
          score: profile.score,
          active: profile.active,
          created_at: profile.created_at,
          updated_at: env.clock(),
          ...input,
        });
        for (const key of Object.keys(profile)) {
          delete (profile as unknown as JsonObject)[key];
        }
        Object.assign(profile, replaced);
      }
      emitWriteEvent(
        env,
        RtmEvent.PEOPLE_PROFILE_UPDATED,
        websiteId,
        { people_id: profile.people_id, email: profile.email, update: structuredClone(input) },
        profile.updated_at,
      );
      return updated(context.assumptions);
    };

  return [
    listRoute(
      "people/profiles",
      ({ query, store }, websiteId) => store.listPeople(websiteId, peopleQuery(query)),
      ({ assumptions, query }) => parsePerPage(query.per_page, assumptions),
    ),
    profileRoute("GET", ({ profile }) => resolved(profile)),
    {
      method: "GET",
      path: "/website/:website_id/people/conversations/:people_id/list/:page",
      tiers: USER_PLUGIN,
      handle: (context) => {
        const websiteId = websiteOf(context).website_id;
        const id = context.params.people_id ?? "";
        const sessions = isUuid(id)
          ? context.store.personConversations(websiteId, id, {
              unread: flag(context.query, "filter_unread"),
              resolved: flag(context.query, "filter_resolved"),
              notResolved: flag(context.query, "filter_not_resolved"),
            })
          : undefined;
        if (sessions === undefined) {
          throw new CrispHttpError(Status.NOT_FOUND, context.assumptions.notFoundReasons.people);
        }
        const page = parsePage(context.params.page ?? "");
        const size = context.assumptions.pageSizes.personConversations;
        return listed(context.assumptions, sessions, page, size);
      },
    },
    {
      method: "POST",
      path: "/website/:website_id/people/profile",
      tiers: USER_PLUGIN,
      handle: async (context) => {
        const record = websiteRecord(context);
        const websiteId = record.website.website_id;
        const input = checkProfile(await context.readBody(), false);
        ensureEmailFree(record, input.email);
        const now = env.clock();
        const profile: WirePeopleProfile = {
          people_id: env.ids.uuid(),
          segments: [],
          notepad: "",
          score: 0,
          active: { now: false },
          created_at: now,
          updated_at: now,
          ...input,
        };
        record.people.push(profile);
        emitWriteEvent(
          env,
          RtmEvent.PEOPLE_PROFILE_CREATED,
          websiteId,
          { people_id: profile.people_id, email: profile.email },
          now,
        );
        return created(context.assumptions, { people_id: profile.people_id });
      },
    },
    profileRoute("PATCH", writeProfile("merge")),
    peopleDataRoute("GET", ({ record, profile }) =>
      resolved({ data: record.peopleData.get(profile.people_id) ?? {} }),
    ),
    peopleDataRoute("PUT", async ({ record, profile }, context) => {
      record.peopleData.set(profile.people_id, checkPeopleData(await context.readBody()));
      return updated(context.assumptions);
    }),
    peopleDataRoute("PATCH", async ({ record, profile }, context) => {
      const data = checkPeopleData(await context.readBody());
      record.peopleData.set(profile.people_id, {
        ...record.peopleData.get(profile.people_id),
        ...data,
      });
      return updated(context.assumptions);
    }),
    profileRoute("PUT", writeProfile("replace")),
    profileRoute("DELETE", ({ websiteId, record, profile }, { assumptions }) => {
      record.people = record.people.filter((item) => item.people_id !== profile.people_id);
      emitWriteEvent(env, RtmEvent.PEOPLE_PROFILE_REMOVED, websiteId, {
        people_id: profile.people_id,
        email: profile.email,
      });
      return deleted(assumptions);
    }),
  ];
}
