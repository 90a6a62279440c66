/**
 * Plugin routes (crisp-api.md §4.2, §4.9): the plugin's own id, and its settings of each website
 * that installed it, read, replaced (PUT) and merged (PATCH). A write emits
 * `plugin:settings:saved` (NODE `EventsPluginSettingsSaved` [L]).
 *
 * Our inferred choices [I]: a plugin id other than the plugin's own answers 404
 * `plugin_not_found`; PATCH merges objects key by key, as a profile PATCH does.
 */

import type { SimulatorEnvironment } from "../environment.js";
import { CrispHttpError } from "../errors.js";
import { emitWriteEvent } from "../mutations.js";
import type { WirePluginSubscriptionSettings } from "../payloads.js";
import { PLUGIN_ONLY, Reason, RtmEvent, Status } from "../protocol.js";
import type { HttpMethod, Route, RouteAnswer, RouteContext } from "../router.js";
import type { WebsiteRecord } from "../store.js";
import { type JsonObject, objectBody } from "../validation/primitives.js";
import { mergeDeep } from "../validation/profile.js";
import { resolved, updated } from "./answers.js";
import { websiteRecord } from "./targets.js";

export function pluginRoutes(env: SimulatorEnvironment): Route[] {
  /** A route on `/plugins/subscription/:website_id/:plugin_id/settings`, or its 404. */
  const settingsRoute = (
    method: HttpMethod,
    handle: (record: WebsiteRecord, context: RouteContext) => RouteAnswer | Promise<RouteAnswer>,
  ): Route => ({
    method,
    path: "/plugins/subscription/:website_id/:plugin_id/settings",
    tiers: PLUGIN_ONLY,
    handle: (context) => {
      if (context.params.plugin_id !== env.pluginId) {
        throw new CrispHttpError(Status.NOT_FOUND, Reason.PLUGIN_NOT_FOUND);
      }
      return handle(websiteRecord(context), context);
    },
  });
  const saved = (record: WebsiteRecord, context: RouteContext): RouteAnswer => {
    emitWriteEvent(env, RtmEvent.PLUGIN_SETTINGS_SAVED, record.website.website_id, {
      plugin_id: env.pluginId,
      settings: structuredClone(record.connect.settings) as JsonObject,
    });
    return updated(context.assumptions);
  };
  return [
    {
      method: "GET",
      path: "/plugin/connect/account",
      tiers: PLUGIN_ONLY,
      handle: () => resolved({ plugin_id: env.pluginId }),
    },
    settingsRoute("GET", (record) => {
      const answer: WirePluginSubscriptionSettings = {
        plugin_id: env.pluginId,
        website_id: record.website.website_id,
        token: record.connect.token,
        settings: record.connect.settings,
      };
      return resolved(answer);
    }),
    settingsRoute("PUT", async (record, context) => {
      record.connect.settings = objectBody(await context.readBody());
      return saved(record, context);
    }),
    settingsRoute("PATCH", async (record, context) => {
      const patch = objectBody(await context.readBody());
      record.connect.settings = mergeDeep(record.connect.settings as JsonObject, patch);
      return saved(record, context);
    }),
  ];
}
