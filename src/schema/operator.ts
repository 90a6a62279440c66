import { canonicalId } from "../crisp/ids.js";
import type { CrispOperatorListItem } from "../crisp/types.js";
import { badUserInput } from "../errors.js";
import { builder } from "./builder.js";
import { MAX_PAGE_SIZE } from "./connection.js";
import { ConversationRef } from "./conversation/type.js";
import { joinIdParts, splitIdParts } from "./global-id.js";
import { startsRead } from "./prefetch.js";
import { WebsiteRef } from "./website.js";

/**
 * How many operators the estimate assumes a list holds. Crisp returns them all, unpaged; no
 * Operator field loads anything, so this bound multiplies nothing today, and stands for the
 * day one does.
 */
const OPERATORS_BOUND = MAX_PAGE_SIZE;

/** Operators belong to a website in Crisp: the website is part of their identity here. */
export interface OperatorShape {
  websiteId: string;
  details: CrispOperatorListItem["details"];
}

export const OperatorRef = builder.objectRef<OperatorShape>("Operator");

builder.node(OperatorRef, {
  description:
    "A Crisp operator of a website. Every operator field of a website comes from one GET /website/{website_id}/operators/list per operation, however many conversations ask.",
  id: {
    resolve: (o) => joinIdParts(o.websiteId, o.details.user_id),
    parse: (id) => {
      const [websiteId = "", userId = ""] = splitIdParts(id, 2);
      const website = canonicalId("websiteId", websiteId);
      const user = canonicalId("userId", userId);
      if (website === null || user === null) {
        throw badUserInput("id", "not a global id of this gateway.");
      }
      return joinIdParts(website, user);
    },
  },
  loadOne: async (id, ctx) => {
    const [websiteId = "", userId = ""] = id.split("/");
    const item = await ctx.loaders.operator(websiteId, userId);
    return item === null ? null : { websiteId, details: item.details };
  },
  fields: (t) => ({
    userId: t.id({
      description: "Crisp's operator user id (a UUID).",
      resolve: (o) => o.details.user_id,
    }),
    email: t.string({ nullable: true, resolve: (o) => o.details.email ?? null }),
    avatar: t.string({ nullable: true, resolve: (o) => o.details.avatar ?? null }),
    firstName: t.string({ nullable: true, resolve: (o) => o.details.first_name ?? null }),
    lastName: t.string({ nullable: true, resolve: (o) => o.details.last_name ?? null }),
    role: t.string({
      nullable: true,
      description: "owner or member.",
      resolve: (o) => o.details.role ?? null,
    }),
    title: t.string({ nullable: true, resolve: (o) => o.details.title ?? null }),
    availability: t.string({
      nullable: true,
      description: "online, away or offline.",
      resolve: (o) => o.details.availability ?? null,
    }),
  }),
});

builder.objectField(WebsiteRef, "operators", (t) =>
  t.field({
    type: [OperatorRef],
    description: "The website's operators: GET /website/{website_id}/operators/list (not paged).",
    crispCost: { requests: 1, items: OPERATORS_BOUND },
    resolve: async (website, _args, ctx) =>
      (await ctx.loaders.operators(website.websiteId)).map((item) => ({
        websiteId: website.websiteId,
        details: item.details,
      })),
  }),
);

// Every assigned conversation resolves its assignee from the website's operators list: read
// it with the conversations (one round trip sooner), not once they have arrived.
startsRead("Conversation", "assignee", (websiteId, _args, ctx) => ctx.loaders.operators(websiteId));

builder.objectFields(ConversationRef, (t) => ({
  assignee: t.field({
    type: OperatorRef,
    nullable: true,
    description:
      "The operator the conversation is routed to, or null. Resolved from the website's operators list: one Crisp request per website per operation, shared by every conversation.",
    crispCost: { requests: 1 },
    resolve: async (c, _args, ctx) => {
      const userId = c.assigned?.user_id;
      if (!userId) {
        return null;
      }
      const item = await ctx.loaders.operator(c.website_id, userId);
      return item === null ? null : { websiteId: c.website_id, details: item.details };
    },
  }),
  mentions: t.field({
    type: [OperatorRef],
    description:
      "Operators mentioned in the conversation (same operators list request as `assignee`).",
    crispCost: { requests: 1, items: OPERATORS_BOUND },
    resolve: async (c, _args, ctx) => {
      const ids = c.mentions ?? [];
      if (ids.length === 0) {
        return [];
      }
      const operators = await ctx.loaders.operators(c.website_id);
      return operators
        .filter((item) => ids.includes(item.details.user_id))
        .map((item) => ({ websiteId: c.website_id, details: item.details }));
    },
  }),
}));
