import { requireRaw } from "../auth.js";
import { parseRawBody, parseRawPath, parseRawQuery, type RawAnswer } from "../crisp/raw.js";
import { builder } from "./builder.js";

/**
 * Raw Crisp calls: any route of Crisp's REST API v1 the schema does not model (website settings,
 * people events, participants, block, inbox, statistics…), for clients allowed them, through the
 * same client, loaders, quota, backoff, breaker and cache as every other field.
 */

const CrispResponseRef = builder.objectRef<RawAnswer>("CrispResponse").implement({
  description:
    "One Crisp REST answer, as Crisp gave it, its envelope unwrapped. A Crisp error answer is not one: it is a GraphQL error with its code and Crisp's reason, as anywhere else.",
  fields: (t) => ({
    status: t.int({
      description: "HTTP status Crisp answered (e.g. 200, 201, 206 while more remain).",
      resolve: (answer) => answer.status,
    }),
    reason: t.string({
      nullable: true,
      description: 'Crisp\'s `reason` (e.g. "resolved", "listed").',
      resolve: (answer) => answer.reason || null,
    }),
    data: t.field({
      type: "JSON",
      nullable: true,
      description: "Crisp's `data`, as sent.",
      resolve: (answer) => answer.data ?? null,
    }),
  }),
});

const CrispWriteMethod = builder.enumType("CrispWriteMethod", {
  description: "The HTTP method of a raw write.",
  values: {
    POST: { value: "POST" },
    PUT: { value: "PUT" },
    PATCH: { value: "PATCH" },
    DELETE: { value: "DELETE" },
  } as const,
});

const PATH_DESCRIPTION =
  'A path relative to /v1, e.g. "/website/{website_id}/people/stats": plain segments, ids in Crisp\'s shapes (never a scheme, host, .., %-encoding, query or fragment). A path under /website/{website_id} (or /plugins/subscription/{website_id}) must name a website the client may see; any other needs access to every website.';
const QUERY_DESCRIPTION =
  'Query parameters as a JSON object of Crisp\'s names to strings, numbers or booleans (sent as 1/0), e.g. {"per_page": 50}.';

/** What both raw fields check before anything is sent, the viewer's right first. */
function checkRaw(
  args: { path: string; query?: unknown; body?: unknown },
  viewer: Parameters<typeof requireRaw>[0] | undefined,
): void {
  if (viewer !== undefined) {
    requireRaw(viewer);
  }
  parseRawPath(args.path);
  parseRawQuery(args.query);
  parseRawBody(args.body);
}

builder.queryFields((t) => ({
  crispRequest: t.field({
    type: CrispResponseRef,
    description:
      "Any GET route of Crisp's REST API v1, for clients allowed raw calls (an API key with raw: true, a JWT with a raw: true claim; others get FORBIDDEN before anything is sent). Through the same daily quota, backoff and circuit breaker as every read, retried like them, and cached for 15 s (CACHE_TTL_MS kind raw).",
    crispCost: { requests: 1 },
    args: {
      path: t.arg.string({ required: true, description: PATH_DESCRIPTION }),
      query: t.arg({ type: "JSON", description: QUERY_DESCRIPTION }),
    },
    checkArgs: (args, ctx) => checkRaw(args, ctx?.viewer),
    resolve: (_root, args, ctx) => {
      checkRaw(args, ctx.viewer);
      return ctx.loaders.raw(args.path, parseRawQuery(args.query));
    },
  }),
}));

builder.mutationFields((t) => ({
  crispRequest: t.field({
    type: CrispResponseRef,
    description:
      "Any write route of Crisp's REST API v1 (POST, PUT, PATCH, DELETE), for clients allowed raw calls and writes (others get FORBIDDEN before anything is sent). Sent once, never retried; then whatever the gateway holds of the website the path names is dropped, so later reads show the change.",
    crispCost: { requests: 1 },
    args: {
      method: t.arg({ type: CrispWriteMethod, required: true }),
      path: t.arg.string({ required: true, description: PATH_DESCRIPTION }),
      query: t.arg({ type: "JSON", description: QUERY_DESCRIPTION }),
      body: t.arg({
        type: "JSON",
        description: "The JSON body: an object or an array, at most 64 KiB.",
      }),
    },
    checkArgs: (args, ctx) => checkRaw(args, ctx?.viewer),
    resolve: (_root, args, ctx) => {
      checkRaw(args, ctx.viewer);
      return ctx.writes.raw(
        args.method,
        args.path,
        parseRawQuery(args.query),
        parseRawBody(args.body),
      );
    },
  }),
}));
