/**
 * Every field that reaches Crisp declares what it costs (`crispCost`, src/schema/cost.ts), and
 * never costs more than it declares. Found by running, not by reading the code: each field of
 * the schema is selected on its own, beside the same query without it, against the simulator
 * with the cache off; whatever Crisp requests the field added must be within its declaration,
 * and none at all for a field that declares nothing. Mutations and subscriptions are probed the
 * same way, so a new field that loads data without a declaration fails here.
 */

import { randomUUID } from "node:crypto";
import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  getNamedType,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from "graphql";
import { describe, expect, it } from "vitest";
import type { IncomingEvent } from "../src/events/event.js";
import { declaredCost, ownRequests } from "../src/schema/cost.js";
import { schema } from "../src/schema/index.js";
import { startTestGateway, userTierGateway } from "./helpers/gateway.js";
import { readEvents } from "./helpers/streams.js";

// No cost limit in the way: the point is to see what each field really sends.
const t = await startTestGateway({}, { maxOperationCost: 1_000_000 });
const store = t.simulator.store;
const W = t.simulator.defaultWebsiteId;
const userGateway = userTierGateway(t.simulator);

/** The conversation whose latest messages show the most kinds of content, with a person. */
const RICH = [...store.conversations(W)]
  .filter((c) => c.people_id !== undefined && (c.mentions?.length ?? 0) >= 0)
  .sort(
    (a, b) =>
      new Set(
        store
          .messages(W, b.session_id)
          ?.slice(-50)
          .map((m) => m.type),
      ).size -
        new Set(
          store
            .messages(W, a.session_id)
            ?.slice(-50)
            .map((m) => m.type),
        ).size || (a.session_id < b.session_id ? -1 : 1),
  )[0];
const S = RICH?.session_id ?? "";
const PERSON = store
  .people(W)
  .find((p) => (store.personConversations(W, p.people_id, {})?.length ?? 0) > 1);
const P = PERSON?.people_id ?? "";
// One recorded event, so the change feed (Website.changes) has an event whose fields are probed.
await t.gateway.ingest(
  {
    name: "session:set_state",
    websiteId: W,
    sessionId: S,
    data: { state: "unresolved" },
    timestamp: 1,
  },
  { source: "hook", dedupeKey: randomUUID() },
);

type Args = Record<string, unknown>;

/** Arguments for the fields that need some to return anything; page sizes stay small. */
const PROBE_ARGUMENTS: Readonly<Record<string, Args>> = {
  "Query.node": { id: globalId("Conversation", `${W}/${S}`) },
  "Query.nodes": { ids: [globalId("Conversation", `${W}/${S}`), globalId("Person", `${W}/${P}`)] },
  "Query.websiteExists": { domain: store.website(W)?.domain ?? "example.com" },
  "Query.website": { id: W },
  "Website.conversation": { sessionId: S },
  "Website.person": { peopleId: P },
  "Conversation.messages": { last: 50 },
  "Conversation.message": { fingerprint: store.messages(W, S)?.at(0)?.fingerprint ?? 1 },
  "Query.crispRequest": { path: `/website/${W}/visitors/count` },
};

/** Fields that walk a whole list under @stream: probed on their own, page by page (below). */
const STREAMED = ["Website.allConversations", "Website.allPeople", "Conversation.allMessages"];

/**
 * Fields that only lead elsewhere and are probed where they stand, not walked through (a
 * message by fingerprint is one message: its list reaches every kind of content).
 */
const NOT_WALKED = new Set(["Query.node", "Query.nodes", "Conversation.message", ...STREAMED]);

function globalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString("base64url");
}

function argumentsOf(coordinate: string, field: GraphQLField<unknown, unknown>): Args | null {
  const given = PROBE_ARGUMENTS[coordinate];
  if (given !== undefined) {
    return given;
  }
  if (field.args.some((argument) => isNonNullType(argument.type))) {
    return null;
  }
  const names = new Set(field.args.map((argument) => argument.name));
  return names.has("first") ? { first: 3 } : names.has("last") ? { last: 3 } : {};
}

function render(args: Args): string {
  const entries = Object.entries(args);
  return entries.length === 0
    ? ""
    : `(${entries.map(([name, value]) => `${name}: ${JSON.stringify(value)}`).join(", ")})`;
}

/** How to reach objects of a type from the query root: a selection wrapper and the keys to walk. */
interface Path {
  wrap: (inner: string) => string;
  keys: string[];
}

function pathsFromQuery(): Map<string, Path> {
  const paths = new Map<string, Path>([["Query", { wrap: (inner) => `{ ${inner} }`, keys: [] }]]);
  const queue = ["Query"];
  for (let typeName = queue.shift(); typeName !== undefined; typeName = queue.shift()) {
    const type = schema.getType(typeName);
    const parent = paths.get(typeName);
    if (!isObjectType(type) || parent === undefined) {
      continue;
    }
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${typeName}.${field.name}`;
      const args = argumentsOf(coordinate, field);
      const named = getNamedType(field.type);
      if (NOT_WALKED.has(coordinate) || args === null || isLeafType(named)) {
        continue;
      }
      const members = isAbstractType(named) ? schema.getPossibleTypes(named) : [named];
      for (const member of members) {
        if (paths.has(member.name)) {
          continue;
        }
        const selection = (inner: string) =>
          isAbstractType(named) ? `... on ${member.name} { ${inner} }` : inner;
        paths.set(member.name, {
          wrap: (inner) => parent.wrap(`${field.name}${render(args)} { ${selection(inner)} }`),
          keys: [...parent.keys, field.name],
        });
        queue.push(member.name);
      }
    }
  }
  return paths;
}

/** The objects of `typeName` at the end of `keys` in a response. */
function objectsAt(data: unknown, keys: readonly string[], typeName: string): number {
  if (Array.isArray(data)) {
    return data.reduce<number>((sum, item) => sum + objectsAt(item, keys, typeName), 0);
  }
  if (typeof data !== "object" || data === null) {
    return 0;
  }
  const [key, ...rest] = keys;
  if (key === undefined) {
    return (data as { __typename?: string }).__typename === typeName ? 1 : 0;
  }
  return objectsAt((data as Record<string, unknown>)[key], rest, typeName);
}

function innerSelection(field: GraphQLField<unknown, unknown>, args: Args): string {
  return isLeafType(getNamedType(field.type))
    ? `probe: ${field.name}${render(args)}`
    : `probe: ${field.name}${render(args)} { __typename }`;
}

/** Whether a list of this type holds objects whose selection may reach a costed field. */
function reachesCost(type: GraphQLNamedType, seen = new Set<string>()): boolean {
  if (seen.has(type.name)) {
    return false;
  }
  seen.add(type.name);
  const members = isAbstractType(type) ? schema.getPossibleTypes(type) : [type];
  return members.some(
    (member) =>
      isObjectType(member) &&
      Object.values(member.getFields()).some(
        (field) => declaredCost(field) !== undefined || reachesCost(getNamedType(field.type), seen),
      ),
  );
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

describe("what the schema declares", () => {
  it("says how many items every list whose items can cost something holds", () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) {
        continue;
      }
      for (const field of Object.values(type.getFields())) {
        // A connection's edges and nodes run as many times as its field says.
        const connectionPart =
          type.name.endsWith("Connection") && (field.name === "edges" || field.name === "nodes");
        if (
          isList(field.type) &&
          !connectionPart &&
          reachesCost(getNamedType(field.type)) &&
          declaredCost(field)?.items === undefined
        ) {
          missing.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("states every declared cost in the field's description", () => {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) {
        continue;
      }
      for (const field of Object.values(type.getFields())) {
        if (declaredCost(field) !== undefined) {
          expect(field.description, `${type.name}.${field.name}`).toMatch(/Cost: /);
        }
      }
    }
  });
});

// Runs every field of the schema, one operation each, against the simulator: hundreds of
// operations in a row, seconds on a busy 2-core machine.
describe("what each field really costs, against the simulator with the cache off", {
  timeout: 30_000,
}, () => {
  const paths = pathsFromQuery();
  const exercised = new Set<string>();

  it("finds every query field within its declared cost, and free when it declares none", async () => {
    const over: string[] = [];
    for (const [typeName, path] of paths) {
      const type = schema.getType(typeName);
      if (!isObjectType(type)) {
        continue;
      }
      t.takeRequests();
      const baseline = await t.query(path.wrap("__typename"));
      expect(baseline.errors, typeName).toBeUndefined();
      const base = t.takeRequests().length;
      const parents = objectsAt(baseline.data, path.keys, typeName);
      if (parents === 0) {
        continue;
      }
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${typeName}.${field.name}`;
        const args = argumentsOf(coordinate, field);
        if (args === null || STREAMED.includes(coordinate)) {
          continue;
        }
        const probed = await t.query(path.wrap(`__typename ${innerSelection(field, args)}`));
        expect(probed.errors, coordinate).toBeUndefined();
        const added = t.takeRequests().length - base;
        const allowed = ownRequests(field, args) * parents;
        exercised.add(coordinate);
        if (added > allowed) {
          over.push(`${coordinate}: ${added} Crisp requests, declares ${allowed}`);
        }
      }
    }
    expect(over).toEqual([]);
  });

  it("finds every mutation within its declared cost", async () => {
    const people = store.people(W);
    const [c1, c2, c3] = store.conversations(W).filter((c) => c.session_id !== S);
    const message = store.messages(W, c1?.session_id ?? "")?.find((m) => m.type === "text");
    const removable = store.messages(W, c2?.session_id ?? "")?.at(-1);
    const probes: Record<string, { variables: Args; types: string; gateway?: "user" }> = {
      createConversation: { variables: { websiteId: W }, types: "$websiteId: ID!" },
      updatePluginSettings: {
        variables: { websiteId: W, settings: { probe: true } },
        types: "$websiteId: ID!, $settings: JSON!",
      },
      crispRequest: {
        variables: {
          method: "PATCH",
          path: `/website/${W}/conversation/${c1?.session_id}/state`,
          body: { state: "unresolved" },
        },
        types: "$method: CrispWriteMethod!, $path: String!, $body: JSON",
      },
      removeConversation: {
        variables: { websiteId: W, sessionId: c3?.session_id },
        types: "$websiteId: ID!, $sessionId: ID!",
      },
      setConversationState: {
        variables: { websiteId: W, sessionId: c1?.session_id, state: "RESOLVED" },
        types: "$websiteId: ID!, $sessionId: ID!, $state: ConversationState!",
      },
      assignConversation: {
        variables: { websiteId: W, sessionId: c1?.session_id, operatorId: null },
        types: "$websiteId: ID!, $sessionId: ID!, $operatorId: ID",
      },
      updateConversationMeta: {
        variables: { input: { websiteId: W, sessionId: c1?.session_id, subject: "Probe" } },
        types: "$input: ConversationMetaInput!",
      },
      sendMessage: {
        variables: {
          input: {
            websiteId: W,
            sessionId: c1?.session_id,
            type: "TEXT",
            content: "Hi",
            from: "OPERATOR",
          },
        },
        types: "$input: SendMessageInput!",
      },
      updateMessage: {
        variables: {
          input: {
            websiteId: W,
            sessionId: c1?.session_id,
            fingerprint: message?.fingerprint,
            content: "Edited",
          },
        },
        types: "$input: UpdateMessageInput!",
      },
      removeMessage: {
        variables: { websiteId: W, sessionId: c2?.session_id, fingerprint: removable?.fingerprint },
        types: "$websiteId: ID!, $sessionId: ID!, $fingerprint: SafeInt!",
      },
      createPerson: {
        variables: { input: { websiteId: W, email: "probe@cost.example", nickname: "Probe" } },
        types: "$input: PersonInput!",
      },
      updatePerson: {
        variables: { input: { websiteId: W, peopleId: people[0]?.people_id, nickname: "Probe" } },
        types: "$input: PersonInput!",
      },
      removePerson: {
        variables: { websiteId: W, peopleId: people.at(-1)?.people_id },
        types: "$websiteId: ID!, $peopleId: ID!",
      },
      createWebsite: {
        variables: { name: "Probe", domain: "probe-cost.example" },
        types: "$name: String!, $domain: String!",
        gateway: "user",
      },
      deleteWebsite: {
        variables: {
          input: {
            websiteId: store.websites.at(-1)?.website_id,
            method: "password",
            secret: "wrong",
          },
        },
        types: "$input: WebsiteDeletionInput!",
        gateway: "user",
      },
    };
    const mutation = schema.getMutationType();
    const fields = Object.values(mutation?.getFields() ?? {});
    // A new mutation needs a probe here: that is how its cost gets checked.
    expect(Object.keys(probes).sort()).toEqual(fields.map((field) => field.name).sort());
    const over: string[] = [];
    for (const field of fields) {
      const probe = probes[field.name];
      if (probe === undefined) {
        continue;
      }
      const passed = Object.keys(probe.variables)
        .map((name) => `${name}: $${name}`)
        .join(", ");
      const document = `mutation(${probe.types}) { probe: ${field.name}(${passed})${
        isLeafType(getNamedType(field.type)) ? "" : " { __typename }"
      } }`;
      t.takeRequests();
      const answer =
        probe.gateway === "user"
          ? await (
              await userGateway.yoga.fetch("http://gateway.test/graphql", {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ query: document, variables: probe.variables }),
              })
            ).json()
          : await t.query(document, probe.variables);
      const sent = t.takeRequests().length;
      // Each reached Crisp (deleteWebsite is refused by Crisp for the wrong secret: still one).
      expect(sent, field.name).toBeGreaterThan(0);
      expect(answer, field.name).toBeDefined();
      if (sent > ownRequests(field, probe.variables)) {
        over.push(
          `Mutation.${field.name}: ${sent}, declares ${ownRequests(field, probe.variables)}`,
        );
      }
    }
    expect(over).toEqual([]);
  });

  it("finds every subscription, and every field of its events, within its declared cost per event", async () => {
    const message = store.messages(W, S)?.at(-1);
    const events: Record<string, { args: Args; event: IncomingEvent }> = {
      messageAdded: {
        args: { websiteId: W, sessionId: S },
        event: hook("message:send", S, { ...message }),
      },
      messageUpdated: {
        args: { websiteId: W, sessionId: S },
        event: hook("message:updated", S, { fingerprint: message?.fingerprint, content: "x" }),
      },
      conversationUpdated: {
        args: { websiteId: W, sessionId: S },
        event: hook("session:set_state", S, { state: "resolved" }),
      },
      personUpdated: {
        args: { websiteId: W },
        event: hook("people:profile:updated", null, { people_id: P }),
      },
      crispEvents: { args: { websiteId: W }, event: hook("session:set_state", S, {}) },
      websiteConnectionChanged: {
        args: {},
        event: hook("plugin:subscription:updated", null, { bound: true, target: "website" }),
      },
    };
    const subscription = schema.getSubscriptionType();
    const fields = Object.values(subscription?.getFields() ?? {});
    expect(Object.keys(events).sort()).toEqual(fields.map((field) => field.name).sort());
    const over: string[] = [];
    for (const field of fields) {
      const probe = events[field.name];
      if (probe === undefined) {
        continue;
      }
      const payload = getNamedType(field.type);
      const base = await perEvent(
        `subscription { probe: ${field.name}${render(probe.args)} { __typename } }`,
        probe.event,
      );
      exercised.add(`Subscription.${field.name}`);
      if (base > ownRequests(field, probe.args)) {
        over.push(
          `Subscription.${field.name}: ${base}, declares ${ownRequests(field, probe.args)}`,
        );
      }
      // The fields of event types no query reaches are probed here.
      if (!isObjectType(payload) || paths.has(payload.name)) {
        continue;
      }
      for (const inner of Object.values(payload.getFields())) {
        const added =
          (await perEvent(
            `subscription { probe: ${field.name}${render(probe.args)} { __typename ${innerSelection(inner, {}).replace("probe:", "inner:")} } }`,
            probe.event,
          )) - base;
        exercised.add(`${payload.name}.${inner.name}`);
        if (added > ownRequests(inner, {})) {
          over.push(`${payload.name}.${inner.name}: ${added}, declares ${ownRequests(inner, {})}`);
        }
      }
    }
    expect(over).toEqual([]);
  });

  it("finds every streamed field within its declared cost per page, whatever the list's length", async () => {
    const over: string[] = [];
    for (const [coordinate, document] of [
      [
        "Website.allConversations",
        `{ website { probe: allConversations @stream { __typename } } }`,
      ],
      ["Website.allPeople", `{ website { probe: allPeople @stream { __typename } } }`],
      [
        "Conversation.allMessages",
        `{ website { conversation(sessionId: "${S}") { probe: allMessages @stream { __typename } } } }`,
      ],
    ] as const) {
      const [typeName, fieldName] = coordinate.split(".");
      const field = (
        schema.getType(typeName ?? "") as {
          getFields(): Record<string, GraphQLField<unknown, unknown>>;
        }
      ).getFields()[fieldName ?? ""];
      const cost = declaredCost(field);
      t.takeRequests();
      const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ query: document }),
      });
      const reader = response.body?.getReader();
      if (reader === undefined || cost === undefined) {
        throw new Error(`no stream or no cost for ${coordinate}`);
      }
      let items = 0;
      for await (const part of readEvents(reader)) {
        expect(part.errors, coordinate).toBeUndefined();
        const incremental = (part as { incremental?: { items?: unknown[] }[] }).incremental ?? [];
        items += incremental.reduce((sum, entry) => sum + (entry.items?.length ?? 0), 0);
      }
      exercised.add(coordinate);
      const sent = t.takeRequests().length;
      // The item-bearing requests of the field, against its declaration per page of items (a
      // message batch re-reads its oldest millisecond: one item fewer per page).
      const perPage = Math.max(1, ownRequests(field, {}));
      const pageItems = Math.max(1, (typeof cost.items === "number" ? cost.items : 1) - 1);
      const allowed = perPage * (Math.ceil(items / pageItems) + 1) + 2;
      expect(items, coordinate).toBeGreaterThan(0);
      if (sent > allowed) {
        over.push(`${coordinate}: ${sent} Crisp requests for ${items} items, declares ${allowed}`);
      }
    }
    expect(over).toEqual([]);
  });

  it("has run every field of the schema that can be reached", () => {
    const never: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__") || type.name === "Mutation") {
        continue;
      }
      for (const field of Object.values(type.getFields())) {
        if (!exercised.has(`${type.name}.${field.name}`)) {
          never.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(never).toEqual([]);
  });
});

function hook(name: string, sessionId: string | null, data: Args): IncomingEvent {
  return { name, websiteId: W, sessionId, data, timestamp: Date.now() };
}

/** Subscribes over SSE, publishes one event, and counts the Crisp requests that event cost. */
async function perEvent(query: string, event: IncomingEvent): Promise<number> {
  const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query }),
  });
  const reader = response.body?.getReader();
  if (reader === undefined) {
    throw new Error("no event stream");
  }
  const results = readEvents(reader);
  const first = results.next();
  await t.gateway.openSubscriptions(1);
  t.takeRequests();
  await t.gateway.ingest(event, { source: "hook", dedupeKey: randomUUID() });
  const result = (await first).value;
  await reader.cancel();
  await t.gateway.openSubscriptions(0);
  expect(result?.errors, query).toBeUndefined();
  const sent = t.takeRequests().length;
  expect(result?.extensions?.cost).toMatchObject({ crispRequests: sent });
  return sent;
}
