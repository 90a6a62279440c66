/**
 * Website routes (crisp-api.md §4.1-§4.3): the website itself, its existence by domain, creating
 * and deleting one (user tier), the plugin's installations and the operators.
 *
 * Our inferred choices [I]: `DELETE /website` accepts `SimulatorOptions.accountPassword` as the
 * secret of any verify method, and deletes at once (Crisp schedules it "after a few days").
 */

import type { SimulatorEnvironment } from "../environment.js";
import { CrispHttpError, invalidData } from "../errors.js";
import type { WireConnectedWebsite } from "../payloads.js";
import {
  ALL_TIERS,
  PLUGIN_ONLY,
  Reason,
  Status,
  USER_ONLY,
  USER_PLUGIN,
  VERIFY_METHODS,
} from "../protocol.js";
import { flag, parsePage } from "../query.js";
import type { Route } from "../router.js";
import { checkString, isObject, objectBody, onlyKeys } from "../validation/primitives.js";
import { found, listed, resolved, websiteAdded, websiteDeleted } from "./answers.js";
import { websiteOf } from "./targets.js";

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const VERIFY: readonly string[] = VERIFY_METHODS;

export function websiteRoutes(env: SimulatorEnvironment): Route[] {
  return [
    {
      method: "GET",
      path: "/website/:website_id",
      tiers: ALL_TIERS,
      handle: (context) => resolved(websiteOf(context)),
    },
    {
      method: "HEAD",
      path: "/website",
      tiers: ALL_TIERS,
      handle: ({ assumptions, query, store }) => {
        const domain = query.domain;
        if (domain === undefined || domain === "") {
          throw invalidData();
        }
        if (store.websiteByDomain(domain) === undefined) {
          throw new CrispHttpError(Status.NOT_FOUND, Reason.WEBSITE_NOT_FOUND);
        }
        return found(assumptions);
      },
    },
    {
      method: "POST",
      path: "/website",
      tiers: USER_ONLY,
      handle: async (context) => {
        const body = objectBody(await context.readBody());
        onlyKeys(body, ["name", "domain"]);
        const name = checkString(body.name, "name", true).trim();
        const domain = checkString(body.domain, "domain", true).trim().toLowerCase();
        if (!DOMAIN.test(domain)) {
          throw invalidData("domain must be a domain name, such as example.com");
        }
        const websiteId = env.ids.uuid();
        // The account creating it owns it: the seeded owner owns every seeded workspace.
        const firstSeeded = context.store.websites[0];
        const owner = (
          firstSeeded === undefined
            ? []
            : (context.store.record(firstSeeded.website_id)?.operators ?? [])
        ).filter((operator) => operator.details.role === "owner");
        context.store.addWebsite({
          website: {
            website_id: websiteId,
            name,
            domain,
            logo: null,
            verified: false,
            institutional: false,
          },
          connect: {
            token: env.ids.hex(64),
            settings: {},
            plan: { id: env.ids.uuid(), name: "Free", trialing: false },
          },
          operators: owner,
          inboxes: [],
          people: [],
          peopleData: new Map(),
          conversations: [],
          messages: new Map(),
          visitors: [],
        });
        context.token.websiteIds.push(websiteId);
        return websiteAdded({ website_id: websiteId });
      },
    },
    {
      method: "DELETE",
      path: "/website/:website_id",
      tiers: USER_ONLY,
      handle: async (context) => {
        const websiteId = websiteOf(context).website_id;
        const body = objectBody(await context.readBody());
        onlyKeys(body, ["verify"]);
        if (!isObject(body.verify)) {
          throw invalidData("verify must be an object { method, secret }");
        }
        const { method, secret } = body.verify;
        onlyKeys(body.verify, ["method", "secret"], "verify.");
        if (typeof method !== "string" || !VERIFY.includes(method)) {
          throw invalidData(`verify.method must be one of ${VERIFY.join(", ")}`);
        }
        checkString(secret, "verify.secret", true);
        if (secret !== env.accountPassword) {
          throw new CrispHttpError(Status.LOCKED, Reason.PASSWORD_UNVERIFIED);
        }
        context.store.removeWebsite(websiteId);
        for (const token of env.tokens) {
          token.websiteIds = token.websiteIds.filter((id) => id !== websiteId);
        }
        return websiteDeleted();
      },
    },
    {
      method: "GET",
      path: "/plugin/connect/websites/all/:page",
      tiers: PLUGIN_ONLY,
      handle: ({ assumptions, params, query, store, token }) => {
        const page = parsePage(params.page ?? "");
        const configuredOnly = flag(query, "filter_configured");
        const includePlan = flag(query, "include_plan");
        const items: WireConnectedWebsite[] = [];
        for (const websiteId of token.websiteIds) {
          const record = store.record(websiteId);
          if (record === undefined) {
            continue;
          }
          if (configuredOnly && Object.keys(record.connect.settings).length === 0) {
            continue;
          }
          items.push({
            website_id: websiteId,
            token: record.connect.token,
            settings: record.connect.settings,
            ...(includePlan ? { plan: record.connect.plan } : {}),
          });
        }
        return listed(assumptions, items, page, assumptions.pageSizes.pluginWebsites);
      },
    },
    {
      method: "GET",
      path: "/website/:website_id/operators/list",
      tiers: USER_PLUGIN,
      handle: (context) => resolved(context.store.operators(websiteOf(context).website_id)),
    },
  ];
}
