import type { GatewayContext } from "../context.js";
import { canonicalId, isDomain, requireId } from "../crisp/ids.js";
import { MAX_CONNECTED_WEBSITE_PAGES } from "../crisp/plugin.js";
import type { CrispWebsite } from "../crisp/types.js";
import { badUserInput, ErrorCode, GatewayError } from "../errors.js";
import { builder } from "./builder.js";
import {
  checkForwardWindow,
  forwardWindow,
  offsetConnection,
  requestedPageSize,
} from "./connection.js";
import type { CrispCost } from "./cost.js";
import { decodeGlobalId } from "./global-id.js";
import { nonEmpty } from "./input.js";
import { startWebsiteReads } from "./prefetch.js";

/** A website is known by its id; its details load on demand (listing ids costs less). */
export interface WebsiteShape {
  websiteId: string;
}

export const WebsiteRef = builder.objectRef<WebsiteShape>("Website");

async function loadWebsite(ctx: GatewayContext, websiteId: string): Promise<CrispWebsite> {
  const website = await ctx.loaders.website(websiteId);
  if (website === null) {
    throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such website for this token.");
  }
  return website;
}

/** Every field of a website but its id comes from this one read, made once per website. */
const WEBSITE_READ: CrispCost = { requests: 1, shares: "GET /website/{website_id}" };

builder.node(WebsiteRef, {
  description:
    "A Crisp website (workspace). Its details come from GET /website/{website_id}: one Crisp request per website per operation, whatever fields ask for them; `websiteId` alone costs nothing.",
  id: {
    resolve: (website) => website.websiteId,
    parse: (id) => {
      const websiteId = canonicalId("websiteId", id);
      if (websiteId === null) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return websiteId;
    },
  },
  loadOne: async (websiteId, ctx) =>
    (await ctx.loaders.website(websiteId)) === null ? null : { websiteId },
  fields: (t) => ({
    websiteId: t.exposeID("websiteId", { description: "Crisp's website id (a UUID)." }),
    name: t.string({
      description: "From GET /website/{website_id}.",
      crispCost: WEBSITE_READ,
      resolve: async (website, _args, ctx) => (await loadWebsite(ctx, website.websiteId)).name,
    }),
    domain: t.string({
      nullable: true,
      description: "From GET /website/{website_id}.",
      crispCost: WEBSITE_READ,
      resolve: async (website, _args, ctx) =>
        (await loadWebsite(ctx, website.websiteId)).domain || null,
    }),
    logo: t.string({
      nullable: true,
      description: "Logo URL from GET /website/{website_id}; Crisp may leave it blank.",
      crispCost: WEBSITE_READ,
      resolve: async (website, _args, ctx) =>
        (await loadWebsite(ctx, website.websiteId)).logo || null,
    }),
  }),
});

const WebsiteConnection = builder.connectionObject(
  {
    type: WebsiteRef,
    name: "WebsiteConnection",
    description: "Websites the gateway's Crisp token reaches.",
  },
  { name: "WebsiteEdge", description: "One website and its cursor." },
);

/**
 * Whether listing the websites this token reaches walks the plugin's installations (every
 * page of GET /plugin/connect/websites/all/{page}); unknown context: assume it does.
 */
const walksInstallations = (ctx: GatewayContext | undefined) =>
  ctx === undefined || ctx.gateway.tier === "plugin";

/** Whether `website` with no id must find the first reachable website (no visible default). */
const needsFirstReachable = (ctx: GatewayContext | undefined) => {
  const configured = ctx?.gateway.defaultWebsiteId;
  return ctx === undefined || configured === undefined || !ctx.loaders.visible(configured);
};

/** The website ids this token reaches: the plugin's installations, or the configured one. */
async function reachableWebsiteIds(ctx: GatewayContext): Promise<string[]> {
  if (ctx.gateway.tier === "plugin") {
    return (await ctx.loaders.connectedWebsites()).map((website) => website.website_id);
  }
  const configured = ctx.gateway.defaultWebsiteId;
  return configured === undefined || !ctx.loaders.visible(configured) ? [] : [configured];
}

/** Accepts a Crisp website id or a Website global id. */
function parseWebsiteArgument(id: string): string {
  const websiteId = canonicalId("websiteId", id);
  if (websiteId !== null) {
    return websiteId;
  }
  const decoded = decodeGlobalId(id);
  const fromGlobal = decoded.typename === "Website" ? canonicalId("websiteId", decoded.id) : null;
  if (fromGlobal === null) {
    throw badUserInput("id", "expected a Crisp website id (a UUID) or a Website global id.");
  }
  return fromGlobal;
}

builder.queryFields((t) => ({
  websites: t.field({
    type: WebsiteConnection,
    description:
      "Websites the configured token reaches. Plugin tier: every website that installed the plugin, from GET /plugin/connect/websites/all/{page} (all pages, one Crisp request per page of installations, plus one to find the end, at most 100; cached for 5 minutes); other tiers: the configured CRISP_WEBSITE_ID, at no cost. Listing `websiteId` costs nothing more; other fields cost one GET /website/{website_id} per website.",
    crispCost: {
      requests: (_args, ctx) => (walksInstallations(ctx) ? MAX_CONNECTED_WEBSITE_PAGES : 0),
      items: requestedPageSize("first"),
    },
    checkArgs: (args) => checkForwardWindow(args, "offset"),
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last website already seen." }),
    },
    resolve: async (_root, args, ctx) => {
      const { offset, first } = forwardWindow(args);
      const ids = await reachableWebsiteIds(ctx);
      const items = ids.slice(offset, offset + first).map((websiteId) => ({ websiteId }));
      return offsetConnection(items, offset, ids.length > offset + first);
    },
  }),
  website: t.field({
    type: WebsiteRef,
    nullable: true,
    description:
      "One website by Crisp website id (or Website global id); without id, the gateway's default website (CRISP_WEBSITE_ID, else the first website the plugin token reaches, which walks the plugin's installations like `websites`), among those the client may see. One GET /website/{website_id}. Null when Crisp has no such website, the token does not reach it, or the client may not see it.",
    crispCost: {
      requests: (args, ctx) =>
        1 +
        ((args.id === null || args.id === undefined) &&
        needsFirstReachable(ctx) &&
        walksInstallations(ctx)
          ? MAX_CONNECTED_WEBSITE_PAGES
          : 0),
    },
    args: { id: t.arg.id({ description: "Crisp website id or Website global id." }) },
    checkArgs: (args) => {
      if (args.id !== null && args.id !== undefined) {
        parseWebsiteArgument(args.id);
      }
    },
    resolve: async (_root, args, ctx, info) => {
      const configured = ctx.gateway.defaultWebsiteId;
      const websiteId =
        args.id === null || args.id === undefined
          ? configured !== undefined && ctx.loaders.visible(configured)
            ? configured
            : (await reachableWebsiteIds(ctx))[0]
          : parseWebsiteArgument(args.id);
      if (websiteId === undefined) {
        return null;
      }
      // Whether the website exists decides between null and an object, so its children wait
      // for its read; what they read needs only its id, so it starts now, alongside.
      const website = ctx.loaders.website(websiteId);
      startWebsiteReads(websiteId, ctx, info);
      return (await website) === null ? null : { websiteId };
    },
  }),
  websiteExists: t.boolean({
    description: "Whether any Crisp website uses this domain: HEAD /website?domain= (no body).",
    crispCost: { requests: 1 },
    args: {
      domain: t.arg.string({ required: true, description: "A domain such as example.com." }),
    },
    resolve: (_root, args, ctx) => ctx.loaders.websiteExists(args.domain),
  }),
}));

const WebsiteDeletionInput = builder.inputType("WebsiteDeletionInput", {
  description: "Crisp asks the account owner to verify a website deletion.",
  fields: (t) => ({
    websiteId: t.id({ required: true }),
    method: t.string({ required: true, description: "password, token or google, as Crisp asks." }),
    secret: t.string({
      required: true,
      description: "The password, token or Google proof. Never logged.",
    }),
  }),
});

const VERIFY_METHODS = ["password", "token", "google"] as const;

/** Creating and deleting websites is for Crisp account owners: user-tier tokens only. */
function requireUserTier(ctx: GatewayContext, mutation: string): void {
  if (ctx.gateway.tier !== "user") {
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `${mutation} needs a Crisp user-tier token (CRISP_TIER=user): Crisp lets only account owners create or delete websites, and this gateway holds a ${ctx.gateway.tier} token.`,
      { crispReason: "restricted_route_tier" },
    );
  }
}

builder.mutationFields((t) => ({
  createWebsite: t.field({
    type: WebsiteRef,
    description:
      "POST /website (user tier only; FORBIDDEN otherwise, with no Crisp request). The result's details, if asked for, cost one GET /website/{website_id} more.",
    crispCost: { requests: 1 },
    args: {
      name: t.arg.string({ required: true }),
      domain: t.arg.string({ required: true, description: "e.g. example.com" }),
    },
    resolve: async (_root, args, ctx) => {
      const name = nonEmpty(args.name, "name", 100);
      if (!isDomain(args.domain)) {
        throw badUserInput("domain", "expected a domain name such as example.com.");
      }
      requireUserTier(ctx, "createWebsite");
      const websiteId = await ctx.writes.createWebsite(name, args.domain.toLowerCase());
      return { websiteId };
    },
  }),
  deleteWebsite: t.boolean({
    description:
      "DELETE /website/{website_id} with Crisp's verification (user tier only; FORBIDDEN otherwise, with no Crisp request). Crisp schedules the deletion.",
    crispCost: { requests: 1 },
    args: { input: t.arg({ type: WebsiteDeletionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const websiteId = requireId("websiteId", input.websiteId, "input.websiteId");
      const method = VERIFY_METHODS.find((known) => known === input.method);
      if (method === undefined) {
        throw badUserInput("input.method", "expected password, token or google.");
      }
      const secret = nonEmpty(input.secret, "input.secret", 500);
      requireUserTier(ctx, "deleteWebsite");
      await ctx.writes.deleteWebsite(websiteId, { method, secret });
      return true;
    },
  }),
}));
