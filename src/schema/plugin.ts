import type { GatewayContext } from "../context.js";
import { requireId } from "../crisp/ids.js";
import { MAX_RAW_BODY_BYTES } from "../crisp/raw.js";
import { badUserInput, ErrorCode, GatewayError } from "../errors.js";
import { builder } from "./builder.js";
import { WebsiteRef } from "./website.js";

/**
 * Plugin mode: a Crisp plugin serves every website that installed it, each with its own
 * settings (crisp-api.md §4.9). The plugin's id comes from GET /plugin/connect/account, once
 * per token (cached for an hour: it never changes).
 */

/** Reading the plugin's id, then the settings. */
const SETTINGS_READ = 2;

/** Plugin settings are the plugin's: only a plugin-tier token has them. */
function requirePluginTier(ctx: GatewayContext, field: string): void {
  if (ctx.gateway.tier !== "plugin") {
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `${field} needs a Crisp plugin-tier token (CRISP_TIER=plugin): plugin settings belong to a plugin, and this gateway holds a ${ctx.gateway.tier} token.`,
      { crispReason: "restricted_route_tier" },
    );
  }
}

/** Settings are a JSON object of the plugin's own shape, small enough for a URL-less body. */
function settingsObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badUserInput(field, "expected a JSON object of the plugin's settings.");
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_RAW_BODY_BYTES) {
    throw badUserInput(field, `at most ${MAX_RAW_BODY_BYTES} bytes of JSON.`);
  }
  return value as Record<string, unknown>;
}

const pluginTier = (ctx: GatewayContext | undefined) =>
  ctx === undefined || ctx.gateway.tier === "plugin";

builder.objectFields(WebsiteRef, (t) => ({
  pluginSettings: t.field({
    type: "JSON",
    nullable: true,
    description:
      "The plugin's settings for this website (plugin tier; FORBIDDEN otherwise, with no Crisp request): GET /plugin/connect/account for the plugin's id (once per token, cached for an hour), then GET /plugins/subscription/{website_id}/{plugin_id}/settings (cached for a minute). `{}` when the website set none.",
    crispCost: { requests: (_args, ctx) => (pluginTier(ctx) ? SETTINGS_READ : 0) },
    resolve: (website, _args, ctx) => {
      requirePluginTier(ctx, "pluginSettings");
      return ctx.loaders.pluginSettings(website.websiteId);
    },
  }),
}));

builder.mutationFields((t) => ({
  updatePluginSettings: t.field({
    type: "JSON",
    nullable: true,
    description:
      "Writes the plugin's settings for one website (plugin tier; FORBIDDEN otherwise, with no Crisp request): PATCH /plugins/subscription/{website_id}/{plugin_id}/settings merges `settings` into what is there, `replace: true` PUTs them instead; then the settings are read back (the plugin's id comes from GET /plugin/connect/account, once per token). Answers the settings as Crisp now holds them.",
    crispCost: { requests: (_args, ctx) => (pluginTier(ctx) ? SETTINGS_READ + 1 : 0) },
    args: {
      websiteId: t.arg.id({ required: true }),
      settings: t.arg({
        type: "JSON",
        required: true,
        description: "A JSON object of the plugin's own settings, at most 64 KiB.",
      }),
      replace: t.arg.boolean({
        description: "PUT (replace every setting) instead of PATCH (merge). Default false.",
      }),
    },
    checkArgs: (args) => {
      requireId("websiteId", args.websiteId);
      settingsObject(args.settings, "settings");
    },
    resolve: async (_root, args, ctx) => {
      const websiteId = requireId("websiteId", args.websiteId);
      const settings = settingsObject(args.settings, "settings");
      requirePluginTier(ctx, "updatePluginSettings");
      await ctx.writes.savePluginSettings(websiteId, settings, args.replace === true);
      return ctx.loaders.pluginSettings(websiteId);
    },
  }),
}));
