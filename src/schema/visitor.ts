import { isSessionId } from "../crisp/ids.js";
import type { CrispVisitor, CrispVisitorCount } from "../crisp/types.js";
import { walkPageLimit } from "../loaders/paging.js";
import { builder } from "./builder.js";
import { GeolocationRef } from "./common.js";
import { checkForwardWindow, pagedConnection, requestedPageSize } from "./connection.js";
import { ConversationRef } from "./conversation/type.js";
import { WebsiteRef } from "./website.js";

interface VisitorShape {
  websiteId: string;
  visitor: CrispVisitor;
}

const VisitedPage = builder
  .objectRef<NonNullable<CrispVisitor["last_page"]>>("VisitedPage")
  .implement({
    description: "The last page a visitor looked at.",
    fields: (t) => ({
      title: t.string({ nullable: true, resolve: (p) => p.page_title ?? null }),
      url: t.string({ nullable: true, resolve: (p) => p.page_url ?? null }),
    }),
  });

const VisitorRef = builder.objectRef<VisitorShape>("Visitor").implement({
  description:
    "A visitor on the website right now, from GET /website/{website_id}/visitors/list/{page}. Not a Node: Crisp has no route to fetch one visitor again.",
  fields: (t) => ({
    sessionId: t.id({ resolve: (v) => v.visitor.session_id }),
    nickname: t.string({ nullable: true, resolve: (v) => v.visitor.nickname ?? null }),
    email: t.string({ nullable: true, resolve: (v) => v.visitor.email ?? null }),
    avatar: t.string({ nullable: true, resolve: (v) => v.visitor.avatar ?? null }),
    useragent: t.string({ nullable: true, resolve: (v) => v.visitor.useragent ?? null }),
    initiated: t.boolean({
      description: "The visitor started a conversation.",
      resolve: (v) => v.visitor.initiated === true,
    }),
    active: t.boolean({ resolve: (v) => v.visitor.active === true }),
    lastPage: t.field({
      type: VisitedPage,
      nullable: true,
      resolve: (v) => v.visitor.last_page ?? null,
    }),
    geolocation: t.field({
      type: GeolocationRef,
      nullable: true,
      resolve: (v) => v.visitor.geolocation ?? null,
    }),
    timezone: t.int({
      nullable: true,
      description: "Minutes offset from UTC.",
      resolve: (v) => v.visitor.timezone ?? null,
    }),
    capabilities: t.stringList({ resolve: (v) => v.visitor.capabilities ?? [] }),
    locales: t.stringList({ resolve: (v) => v.visitor.locales ?? [] }),
    conversation: t.field({
      type: ConversationRef,
      nullable: true,
      description:
        "The conversation behind this visitor's session, when one was initiated: one GET …/conversation/{session_id} per visitor.",
      crispCost: { requests: 1 },
      resolve: (v, _args, ctx) =>
        v.visitor.initiated && isSessionId(v.visitor.session_id)
          ? ctx.loaders.conversation(v.websiteId, v.visitor.session_id)
          : null,
    }),
  }),
});

const VisitorConnection = builder.connectionObject(
  { type: VisitorRef, name: "VisitorConnection", description: "A page of live visitors." },
  { name: "VisitorEdge", description: "One visitor and its cursor." },
);

const VisitorCountRef = builder.objectRef<CrispVisitorCount>("VisitorCount").implement({
  description: "How many visitors are on the website: GET /website/{website_id}/visitors/count.",
  fields: (t) => ({
    count: t.exposeInt("count", { description: "Visitors on the website." }),
    active: t.exposeInt("active", { description: "Of them, active right now." }),
    limited: t.exposeBoolean("limited", { description: "Crisp capped the count (plan limit)." }),
  }),
});

builder.objectFields(WebsiteRef, (t) => ({
  visitors: t.field({
    type: VisitorConnection,
    description:
      "Live visitors: GET /website/{website_id}/visitors/list/{page}, one Crisp request per page the window touches (Crisp takes no page size here and does not say how many a page holds).",
    crispCost: {
      requests: (args) => walkPageLimit(requestedPageSize("first")(args)),
      items: requestedPageSize("first"),
    },
    checkArgs: (args) => checkForwardWindow(args, "page"),
    args: {
      first: t.arg.int({ description: "Page size, default 20, at most 50." }),
      after: t.arg.string({ description: "Cursor of the last visitor already seen." }),
    },
    resolve: (website, args, ctx) =>
      pagedConnection(
        args,
        { perPage: "crisp", fetch: (page) => ctx.loaders.visitorPage(website.websiteId, page) },
        (visitor) => ({ websiteId: website.websiteId, visitor }),
      ),
  }),
  visitorCount: t.field({
    type: VisitorCountRef,
    description: "GET /website/{website_id}/visitors/count.",
    crispCost: { requests: 1 },
    resolve: (website, _args, ctx) => ctx.loaders.visitorCount(website.websiteId),
  }),
}));
