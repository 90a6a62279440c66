/**
 * The estimate is a worst case: for any operation over the schema, the Crisp requests it really
 * sends never exceed it. fast-check writes the operations (random fields, arguments, fragments
 * and nesting over the whole schema: queries, mutations, subscriptions); each runs against the
 * simulator with the cache off, and its response must say so in `extensions.cost`.
 */

import { randomUUID } from "node:crypto";
import fc from "fast-check";
import {
  type GraphQLField,
  type GraphQLNamedType,
  getNamedType,
  isAbstractType,
  isLeafType,
  isNonNullType,
  isObjectType,
} from "graphql";
import { describe, expect, it } from "vitest";
import type { IncomingEvent } from "../src/events/event.js";
import { encodeOffsetCursor } from "../src/schema/connection.js";
import { schema } from "../src/schema/index.js";
import { startTestGateway } from "./helpers/gateway.js";
import { readEvents } from "./helpers/streams.js";

const t = await startTestGateway({}, {});
const store = t.simulator.store;
const W = t.simulator.defaultWebsiteId;
const OTHER_WEBSITE = store.websites[1]?.website_id ?? W;
const conversations = store.conversations(W);
const S = conversations.find((c) => c.people_id !== undefined)?.session_id ?? "";
const person = store.people(W)[0];
const P = person?.people_id ?? "";
const operator = store.operators(W)[0]?.details.user_id ?? "";
const MISSING_SESSION = "session_00000000-0000-4000-8000-000000000000";
const MISSING_UUID = "00000000-0000-4000-8000-000000000000";
const fingerprint = store.messages(W, S)?.at(-1)?.fingerprint ?? 1;

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64url");
const GLOBAL_IDS = [
  globalId("Website", W),
  globalId("Conversation", `${W}/${S}`),
  globalId("Conversation", `${W}/${MISSING_SESSION}`),
  globalId("Person", `${W}/${P}`),
  globalId("Message", `${W}/${S}/${fingerprint}`),
  globalId("Operator", `${W}/${operator}`),
];

const str = (value: string) => JSON.stringify(value);
const pageSize = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(20, 21, 50) },
);

/** Values for each argument the schema has, as GraphQL literals; undefined leaves it out. */
const ARGUMENTS: Readonly<Record<string, fc.Arbitrary<string | undefined>>> = {
  first: fc.option(pageSize.map(String), { nil: undefined }),
  last: fc.option(pageSize.map(String), { nil: undefined }),
  after: fc.option(
    fc.oneof(
      fc.integer({ min: 0, max: 60 }).map((n) => str(encodeOffsetCursor(n))),
      fc.constant(str("bm90LWEtY3Vyc29y")),
    ),
    { nil: undefined, freq: 3 },
  ),
  before: fc.constant(undefined),
  sessionId: fc.constantFrom(str(S), str(MISSING_SESSION)),
  peopleId: fc.option(fc.constantFrom(str(P), str(MISSING_UUID)), { nil: undefined }),
  email: fc.option(fc.constantFrom(str(person?.email ?? "a@b.example"), str("nobody@x.example")), {
    nil: undefined,
    freq: 3,
  }),
  id: fc.oneof(
    fc.constantFrom(...GLOBAL_IDS.map(str)),
    fc.constantFrom(str(W), str(OTHER_WEBSITE)),
  ),
  ids: fc.subarray(GLOBAL_IDS, { minLength: 1, maxLength: 4 }).map((ids) => JSON.stringify(ids)),
  domain: fc.constantFrom(str(store.website(W)?.domain ?? "example.com"), str("nope.example")),
  search: fc.option(fc.constantFrom(str("a"), `{ query: "a" }`), { nil: undefined, freq: 3 }),
  filter: fc.option(
    fc.constantFrom("{ resolved: true }", "{ unread: false, includeEmpty: true }"),
    {
      nil: undefined,
      freq: 3,
    },
  ),
  orderBy: fc.option(fc.constantFrom("CREATED", "UPDATED", "WAITING"), { nil: undefined, freq: 3 }),
  sort: fc.option(fc.constant(`{ field: "nickname", order: ASCENDING }`), {
    nil: undefined,
    freq: 3,
  }),
};

/** Arguments a field takes, as `(name: value, …)`; null when one cannot be given. */
function argumentsOf(field: GraphQLField<unknown, unknown>): fc.Arbitrary<string> | null {
  const parts: fc.Arbitrary<string | undefined>[] = [];
  for (const argument of field.args) {
    let value = ARGUMENTS[argument.name];
    // People take their own filter (creation dates, Crisp criteria).
    if (getNamedType(argument.type).name === "PeopleFilter") {
      value = fc.option(
        fc.constantFrom(
          `{ createdFrom: "2026-09-01T00:00:00.000Z" }`,
          `{ criteria: [{ criterion: "segments", operator: "has", query: ["vip"] }], operator: OR }`,
        ),
        { nil: undefined, freq: 3 },
      );
    }
    // `search` is a string on people and an input object on conversations.
    if (argument.name === "search") {
      value = fc.option(
        fc.constant(getNamedType(argument.type).name === "String" ? str("a") : `{ query: "a" }`),
        { nil: undefined, freq: 3 },
      );
    }
    if (value === undefined) {
      if (isNonNullType(argument.type)) {
        return null;
      }
      continue;
    }
    const given = isNonNullType(argument.type) ? value.filter((v) => v !== undefined) : value;
    parts.push(given.map((v) => (v === undefined ? undefined : `${argument.name}: ${v}`)));
  }
  if (parts.length === 0) {
    return fc.constant("");
  }
  return fc.tuple(...parts).map((given) => {
    const present = given.filter((part): part is string => part !== undefined);
    return present.length === 0 ? "" : `(${present.join(", ")})`;
  });
}

const selections = new Map<string, fc.Arbitrary<string>>();

/**
 * A selection set on `type`, nested at most `depth` deep. Inside a fragment on one member of
 * an abstract type, fields are aliased by that member, since two members may give one field
 * name different types.
 */
function selectionOf(type: GraphQLNamedType, depth: number, aliased = false): fc.Arbitrary<string> {
  const key = `${type.name}/${depth}/${aliased}`;
  const known = selections.get(key);
  if (known !== undefined) {
    return known;
  }
  let arbitrary: fc.Arbitrary<string>;
  if (isAbstractType(type)) {
    const members = [...schema.getPossibleTypes(type)];
    arbitrary = fc
      .subarray(members, { minLength: 1, maxLength: Math.min(2, members.length) })
      .chain((chosen) =>
        fc.tuple(
          ...chosen.map((member) =>
            selectionOf(member, depth, true).map((inner) => `... on ${member.name} ${inner}`),
          ),
        ),
      )
      .map((fragments) => `{ __typename ${fragments.join(" ")} }`);
  } else if (isObjectType(type)) {
    const fields = Object.values(type.getFields()).flatMap((field) => {
      const named = getNamedType(field.type);
      if (!isLeafType(named) && depth === 0) {
        return [];
      }
      const args = argumentsOf(field);
      if (args === null) {
        return [];
      }
      const inner = isLeafType(named) ? fc.constant("") : selectionOf(named, depth - 1);
      const alias = aliased ? `${type.name}_${field.name}: ` : "";
      return [fc.tuple(args, inner).map(([a, s]) => `${alias}${field.name}${a} ${s}`.trim())];
    });
    arbitrary =
      fields.length === 0
        ? fc.constant("{ __typename }")
        : fc
            .subarray(fields, { minLength: 1, maxLength: Math.min(3, fields.length) })
            .chain((chosen) => fc.tuple(...chosen))
            .map((chosen) => `{ ${chosen.join(" ")} }`);
  } else {
    arbitrary = fc.constant("");
  }
  selections.set(key, arbitrary);
  return arbitrary;
}

const queryType = schema.getQueryType();
const mutationType = schema.getMutationType();
const subscriptionType = schema.getSubscriptionType();
if (!queryType || !mutationType || !subscriptionType) {
  throw new Error("the schema has no query, mutation or subscription type");
}

/** Mutations with inputs that reach Crisp, each with a random selection on its result. */
function mutationOf(name: string, args: string): fc.Arbitrary<string> {
  const field = mutationType?.getFields()[name];
  if (field === undefined) {
    throw new Error(`no mutation ${name}`);
  }
  const named = getNamedType(field.type);
  return (isLeafType(named) ? fc.constant("") : selectionOf(named, 2)).map(
    (selection) => `mutation { ${name}${args} ${selection} }`,
  );
}
const mutations = fc.oneof(
  fc
    .constantFrom("RESOLVED", "UNRESOLVED", "PENDING")
    .chain((state) =>
      mutationOf(
        "setConversationState",
        `(websiteId: ${str(W)}, sessionId: ${str(S)}, state: ${state})`,
      ),
    ),
  mutationOf(
    "sendMessage",
    `(input: { websiteId: ${str(W)}, sessionId: ${str(S)}, type: NOTE, content: "probe", from: OPERATOR })`,
  ),
  mutationOf(
    "assignConversation",
    `(websiteId: ${str(W)}, sessionId: ${str(S)}, operatorId: ${str(operator)})`,
  ),
  mutationOf(
    "updatePerson",
    `(input: { websiteId: ${str(W)}, peopleId: ${str(P)}, nickname: "Probe" })`,
  ),
  mutationOf("createConversation", `(websiteId: ${str(W)})`),
);

const queries = selectionOf(queryType, 4);

async function checked(document: string, variables?: Record<string, unknown>): Promise<void> {
  t.takeRequests();
  const answer = await t.query(document, variables);
  const sent = t.takeRequests().length;
  const cost = answer.extensions?.cost as
    | { estimated: number; crispRequests: number; cacheHits: number }
    | undefined;
  // A document the generator got wrong would say nothing about the estimate.
  expect(cost, `${document}\n${JSON.stringify(answer.errors)}`).toBeDefined();
  expect(sent, document).toBeLessThanOrEqual(cost?.estimated ?? 0);
  expect(cost?.crispRequests, document).toBe(sent);
  expect(cost?.crispRequests ?? 0, document).toBeLessThanOrEqual(cost?.estimated ?? 0);
  if ((cost?.estimated ?? 0) > 500) {
    expect(sent, "refused over the limit").toBe(0);
  }
}

describe("the estimate bounds what an operation really costs", () => {
  it("for generated queries", async () => {
    await fc.assert(
      fc.asyncProperty(queries, (document) => checked(document)),
      {
        numRuns: 150,
        seed: 15,
      },
    );
  });

  it("for generated mutations", async () => {
    await fc.assert(
      fc.asyncProperty(mutations, (document) => checked(document)),
      {
        numRuns: 40,
        seed: 15,
      },
    );
  });

  it("for generated subscriptions, per event", async () => {
    const fields = subscriptionType.getFields();
    const events: Record<string, IncomingEvent> = {
      messageAdded: hook("message:send", S, { ...store.messages(W, S)?.at(-1) }),
      messageUpdated: hook("message:updated", S, { fingerprint, content: "x" }),
      conversationUpdated: hook("session:set_state", S, { state: "resolved" }),
      personUpdated: hook("people:profile:updated", null, { people_id: P }),
      crispEvents: hook("session:set_state", S, {}),
    };
    const subscriptions = fc.constantFrom(...Object.keys(events)).chain((name) => {
      const field = fields[name];
      if (field === undefined) {
        throw new Error(`no subscription ${name}`);
      }
      return selectionOf(getNamedType(field.type), 3).map((selection) => ({
        name,
        document: `subscription { ${name}(websiteId: ${str(W)}) ${selection} }`,
      }));
    });
    await fc.assert(
      fc.asyncProperty(subscriptions, async ({ name, document }) => {
        const event = events[name];
        if (event === undefined) {
          return;
        }
        const response = await t.gateway.yoga.fetch("http://gateway.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({ query: document }),
        });
        const reader = response.body?.getReader();
        if (reader === undefined) {
          throw new Error("no event stream");
        }
        const results = readEvents(reader);
        const listening = t.gateway.openSubscriptions(1).then(() => "listening" as const);
        const first = results.next();
        const started = await Promise.race([listening, first.then(() => "refused" as const)]);
        if (started === "refused") {
          // Refused before it listened: over the limit, and nothing was sent.
          expect((await first).value?.errors, document).toBeDefined();
          expect(t.takeRequests()).toEqual([]);
          await reader.cancel();
          return;
        }
        t.takeRequests();
        await t.gateway.ingest(event, { source: "hook", dedupeKey: randomUUID() });
        const result = (await first).value;
        await reader.cancel();
        await t.gateway.openSubscriptions(0);
        const sent = t.takeRequests().length;
        const cost = result?.extensions?.cost as
          | { estimated: number; crispRequests: number }
          | undefined;
        expect(cost, document).toBeDefined();
        expect(sent, document).toBeLessThanOrEqual(cost?.estimated ?? 0);
        expect(cost?.crispRequests, document).toBe(sent);
      }),
      { numRuns: 25, seed: 15 },
    );
  });
});

function hook(
  name: string,
  sessionId: string | null,
  data: Record<string, unknown>,
): IncomingEvent {
  return { name, websiteId: W, sessionId, data, timestamp: Date.now() };
}
