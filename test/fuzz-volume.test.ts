import fc from "fast-check";
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isScalarType,
  isUnionType,
} from "graphql";
import { Pool } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { createLogger } from "../src/logger.js";
import { schema } from "../src/schema/index.js";
import { startTestGateway } from "./helpers/gateway.js";
import { HOOK_SECRET, signPluginHook } from "./helpers/hooks.js";

/**
 * 50,000 fuzzed requests, CI-sized: documents built from the schema itself (every root field,
 * arguments as literals or variables, right and wrong types, nested lists, ids of every case,
 * global ids), random JSON and bytes, GET and persisted-query variants, through `yoga.fetch`
 * (no port), and 5,000 web hooks through the route's real socket. Whatever comes in: no HTTP
 * 500, no masked error (every malformed input gets a clear one), no crash: the gateway still
 * serves afterwards. Fixed seeds, so a failure is repeatable; each batch runs 50 requests at
 * once. Heavier hostile loads are `npm run stress` (docs/stress.md).
 */
/** What the gateway logged as an error: an event it could not apply is one (see the hooks). */
const errorLines: string[] = [];
const t = await startTestGateway(
  {},
  {
    cache: {},
    hooks: { secret: HOOK_SECRET },
    logger: createLogger("error", { write: (line: string) => errorLines.push(line) }),
  },
);
const { hookUrl, origin } = await t.gateway.listen("127.0.0.1", 0);
const W = t.simulator.defaultWebsiteId;
const conversations = t.simulator.store.listConversations(W, {});
const S = conversations[0]?.session_id ?? "";
const PEOPLE = conversations.map((c) => c.people_id).filter((id): id is string => Boolean(id));
const PROFILES = t.simulator.store.people(W).slice(0, 5);
const OTHER_WEBSITE = t.simulator.store.websites[1]?.website_id ?? W;
const globalId = (text: string) => Buffer.from(text).toString("base64url");

/**
 * The events the cache upkeep acts on (a subset of RTM_EVENTS, src/crisp/connect.ts: the whole
 * list would make each of these too rare for 5,000 hooks to reach its branches), and fields
 * they carry.
 */
const EVENT_NAMES = [
  "session:set_state",
  "session:set_block",
  "session:set_segments",
  "session:set_nickname",
  "session:set_email",
  "session:set_routing",
  "session:set_inbox",
  "session:set_data",
  "session:update_availability",
  "session:sync:geolocation",
  "session:removed",
  "message:send",
  "message:received",
  "message:updated",
  "message:removed",
  "people:profile:created",
  "people:profile:updated",
  "people:profile:removed",
  "people:bind:session",
  "people:sync:profile",
  "plugin:subscription:updated",
];
const EVENT_FIELDS = [
  "fingerprint",
  "type",
  "content",
  "from",
  "origin",
  "state",
  "email",
  "nickname",
  "segments",
  "data",
  "user",
  "routing_id",
  "inbox_id",
  "availability",
  "is_blocked",
  "timestamp",
  "edited",
];

/** Batches of 50 requests: 8,000 built from the schema, 37,000 malformed bodies, 5,000 hooks. */
const OPERATION_BATCHES = 160;
const MALFORMED_BATCHES = 740;
const HOOK_BATCHES = 100;
const BATCH = 50;

/** Strings a client might put where an id goes: real ones, in any case, and junk. */
const idArb = fc.oneof(
  fc.constantFrom(
    W,
    W.toUpperCase(),
    S,
    S.toUpperCase(),
    OTHER_WEBSITE,
    PEOPLE[0] ?? W,
    globalId(`Website:${W}`),
    globalId(`Conversation:${W}/${S}`),
    globalId(`Conversation:${W.toUpperCase()}/${S}`),
    globalId(`Person:${W}/${PEOPLE[0] ?? ""}`),
    globalId(`Message:${W}/${S}/1`),
    globalId("Nope:1"),
    "../../website",
    "%2e%2e%2f",
    "",
  ),
  fc.uuid(),
  fc.uuid().map((id) => `session_${id}`),
  fc.string({ maxLength: 40 }),
);

/** A JSON value, sometimes nested past every limit, for where any input goes. */
const jsonArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 60 }).chain((depth) =>
      fc
        .constantFrom<(inner: unknown) => unknown>(
          (inner) => [inner],
          (inner) => ({ a: inner }),
        )
        .map((wrap) => {
          let value: unknown = "x";
          for (let i = 0; i < depth; i += 1) {
            value = wrap(value);
          }
          return value;
        }),
    ),
  },
);

/** A value for an input type: mostly of the type, sometimes deliberately not. */
function valueFor(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(jsonArb, idArb, fc.constant(null));
  if (isNonNullType(type)) {
    return valueFor(type.ofType, depth);
  }
  if (isListType(type)) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.array(valueFor(type.ofType, depth + 1), { maxLength: 4 }) },
      { weight: 1, arbitrary: wrong },
    );
  }
  const right: fc.Arbitrary<unknown> = (() => {
    if (isEnumType(type)) {
      return fc.constantFrom(...type.getValues().map((value) => value.name));
    }
    if (isInputObjectType(type)) {
      if (depth > 3) {
        return fc.constant({});
      }
      const fields = Object.values(type.getFields());
      return fc.record(
        Object.fromEntries(fields.map((field) => [field.name, valueFor(field.type, depth + 1)])),
        { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) },
      );
    }
    if (isScalarType(type)) {
      switch (type.name) {
        case "ID":
          return idArb;
        case "Int":
          return fc.oneof(fc.integer({ min: -5, max: 120 }), fc.integer());
        case "SafeInt":
          return fc.oneof(fc.integer({ min: 1 }), fc.maxSafeInteger());
        case "Float":
          return fc.double();
        case "Boolean":
          return fc.boolean();
        case "DateTime":
          return fc.oneof(
            fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
            fc.string(),
          );
        case "JSON":
          return jsonArb;
        default:
          return fc.oneof(fc.string({ maxLength: 30 }), fc.emailAddress(), idArb);
      }
    }
    return wrong;
  })();
  return fc.oneof({ weight: 5, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

/** A JSON value as a GraphQL literal (enum names unquoted where the type is an enum). */
function literal(value: unknown, type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (value === null || value === undefined) {
    return "null";
  }
  if (Array.isArray(value)) {
    const inner = isListType(isNonNullType(type) ? type.ofType : type)
      ? isNonNullType(type)
        ? type.ofType
        : type
      : type;
    const itemType = isListType(inner) ? inner.ofType : inner;
    return `[${value.map((item) => literal(item, itemType)).join(", ")}]`;
  }
  if (typeof value === "object") {
    const fields = isInputObjectType(named) ? named.getFields() : {};
    return `{${Object.entries(value)
      .filter(([key]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(key))
      .map(([key, item]) => `${key}: ${literal(item, fields[key]?.type ?? named)}`)
      .join(", ")}}`;
  }
  if (typeof value === "string" && isEnumType(named) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) {
    return value;
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    return "0";
  }
  return JSON.stringify(value);
}

/** A selection set for an output type: a few of its fields, up to a depth. */
function selection(type: GraphQLOutputType, depth: number, g: fc.GeneratorValue): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) {
    return "";
  }
  if (depth >= 4) {
    return "{ __typename }";
  }
  if (isUnionType(named) || isInterfaceType(named)) {
    const possible = schema.getPossibleTypes(named);
    // fc.gen compares the arguments it is given: indices, not (cyclic) schema objects.
    const pick = possible[g(fc.nat, possible.length - 1) as number] ?? possible[0];
    if (pick === undefined) {
      return "{ __typename }";
    }
    return `{ __typename ... on ${pick.name} ${selection(pick, depth + 1, g)} }`;
  }
  const fields = Object.values((named as GraphQLObjectType).getFields());
  const chosen = pickFields(fields, 3, g);
  return `{ ${chosen.map((field) => fieldText(field, depth + 1, g)).join(" ")} }`;
}

/** Up to `most` distinct fields, chosen by index. */
function pickFields<F>(fields: readonly F[], most: number, g: fc.GeneratorValue): F[] {
  const indices = g(() =>
    fc.uniqueArray(fc.nat(fields.length - 1), { minLength: 1, maxLength: most }),
  );
  return indices.map((index) => fields[index]).filter((field): field is F => field !== undefined);
}

/** Each argument's value arbitrary, built once. */
const valueArbs = new Map<GraphQLArgument, fc.Arbitrary<unknown>>();

let variableCount = 0;
const variables: { definitions: string[]; values: Record<string, unknown> } = {
  definitions: [],
  values: {},
};

function argumentText(arg: GraphQLArgument, g: fc.GeneratorValue): string | null {
  const mode = g(fc.constantFrom, "omit", "literal", "variable", "variable");
  if (mode === "omit" && !isNonNullType(arg.type)) {
    return null;
  }
  let arbitrary = valueArbs.get(arg);
  if (arbitrary === undefined) {
    arbitrary = valueFor(arg.type, 0);
    valueArbs.set(arg, arbitrary);
  }
  const chosen = arbitrary;
  const value = g(() => chosen);
  if (mode === "literal") {
    return `${arg.name}: ${literal(value, arg.type)}`;
  }
  variableCount += 1;
  const name = `v${variableCount}`;
  variables.definitions.push(`$${name}: ${String(arg.type)}`);
  if (g(fc.boolean)) {
    variables.values[name] = value;
  }
  return `${arg.name}: $${name}`;
}

function fieldText(
  field: GraphQLField<unknown, unknown>,
  depth: number,
  g: fc.GeneratorValue,
): string {
  const args = field.args
    .map((arg) => argumentText(arg, g))
    .filter((text): text is string => text !== null);
  const alias = g(fc.boolean) ? `a${depth}_${variableCount}: ` : "";
  return `${alias}${field.name}${args.length > 0 ? `(${args.join(", ")})` : ""} ${selection(field.type, depth, g)}`;
}

/** A whole operation built from the schema, with its variables. */
const operationArb = fc.gen().map((g) => {
  variableCount = 0;
  variables.definitions = [];
  variables.values = {};
  const root = g(fc.constantFrom, "query", "query", "query", "mutation");
  const type = root === "query" ? schema.getQueryType() : schema.getMutationType();
  const fields = Object.values(type?.getFields() ?? {});
  const chosen = pickFields(fields, 2, g);
  const body = chosen.map((field) => fieldText(field, 0, g)).join(" ");
  const definitions =
    variables.definitions.length > 0 ? `(${variables.definitions.join(", ")})` : "";
  return {
    query: `${root}${definitions} { ${body} }`,
    variables: { ...variables.values },
  };
});

type FuzzRequest = { url: string; init: RequestInit };

const post = (
  body: string | Uint8Array<ArrayBuffer>,
  contentType = "application/json",
): FuzzRequest => ({
  url: "http://gateway.test/graphql",
  init: {
    method: "POST",
    headers: { "content-type": contentType, accept: "application/graphql-response+json" },
    body,
  },
});

/** Operations built from the schema, sent as POST or GET (with and without a CSRF header). */
const operationRequestArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 6, arbitrary: operationArb.map((operation) => post(JSON.stringify(operation))) },
  {
    weight: 1,
    arbitrary: fc.tuple(operationArb, fc.boolean()).map(
      ([operation, csrf]): FuzzRequest => ({
        url: `http://gateway.test/graphql?${new URLSearchParams({
          query: operation.query,
          variables: JSON.stringify(operation.variables),
        })}`,
        init: { headers: csrf ? [["x-graphql-yoga-csrf", "1"]] : [] },
      }),
    ),
  },
);

/** Bodies that are not a well-formed GraphQL request: bytes, JSON, wrong-typed members. */
const malformedRequestArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom(
          "application/json",
          "application/graphql+json",
          "application/graphql",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "text/plain",
        ),
      )
      .map(([bytes, type]) => post(new Uint8Array(bytes), type)),
  },
  { weight: 1, arbitrary: jsonArb.map((json) => post(JSON.stringify(json))) },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          query: fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.constantFrom("{ website { name } }", "{ website { name ", "query Q { ...F }", ""),
            jsonArb,
          ),
          variables: fc.oneof(jsonArb, fc.dictionary(fc.string({ maxLength: 5 }), jsonArb)),
          operationName: fc.oneof(fc.string({ maxLength: 10 }), jsonArb),
          extensions: fc.oneof(
            jsonArb,
            fc.record({
              persistedQuery: fc.record({
                version: fc.oneof(fc.constant(1), jsonArb),
                sha256Hash: fc.oneof(
                  fc.string({
                    unit: fc.constantFrom(..."0123456789abcdef"),
                    minLength: 64,
                    maxLength: 64,
                  }),
                  jsonArb,
                ),
              }),
            }),
          ),
        },
        { requiredKeys: [] },
      )
      .map((body) => post(JSON.stringify(body))),
  },
);

interface Outcome {
  status: number;
  masked: boolean;
}

let sent = 0;
async function send({ url, init }: FuzzRequest): Promise<Outcome> {
  sent += 1;
  const response = await t.gateway.yoga.fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    masked: text.includes("Unexpected error.") || text.includes("INTERNAL_SERVER_ERROR"),
  };
}

describe("50,000 fuzzed requests", () => {
  /** Sends batches of requests and collects every 5xx or masked answer. */
  const property = (arbitrary: fc.Arbitrary<FuzzRequest>, batches: number, seed: number) => {
    const failures: string[] = [];
    return fc.assert(
      fc.asyncProperty(
        fc.array(arbitrary, { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
          const outcomes = await Promise.all(batch.map(send));
          outcomes.forEach((outcome, index) => {
            if (outcome.status >= 500 || outcome.masked) {
              const request = batch[index];
              failures.push(
                `${outcome.status} ${String(request?.init.body ?? request?.url).slice(0, 300)}`,
              );
            }
          });
          expect(failures).toEqual([]);
        },
      ),
      { numRuns: batches, seed, endOnFailure: true },
    );
  };

  it("8,000 operations built from the schema: no 5xx, no masked error", {
    timeout: 120_000,
  }, async () => {
    const before = sent;
    await property(operationRequestArb, OPERATION_BATCHES, 20261202);
    expect(sent - before).toBe(OPERATION_BATCHES * BATCH);
  });

  it("37,000 malformed requests: no 5xx, no masked error", { timeout: 120_000 }, async () => {
    const before = sent;
    await property(malformedRequestArb, MALFORMED_BATCHES, 20261204);
    expect(sent - before).toBe(MALFORMED_BATCHES * BATCH);
  });

  it("5,000 web hooks through the route: 2xx or 4xx, never a 5xx; every event recorded is applied without an error", {
    timeout: 120_000,
  }, async () => {
    const pool = new Pool(origin, { connections: 8 });
    onTestFinished(() => pool.close());
    const path = new URL(hookUrl).pathname;
    /** What the events find cached: conversations, messages, people by id and by email. */
    const warm = async () => {
      await t.query(
        `{ website { conversations(first: 20) { nodes { sessionId state meta { nickname email } person { email nickname } messages(last: 5) { nodes { fingerprint text } } } } people(first: 20) { nodes { email nickname } } } }`,
      );
      for (const profile of PROFILES) {
        await t.query(`query($e: String) { website { person(email: $e) { email nickname } } }`, {
          e: profile.email,
        });
      }
    };
    /** Fields of a profile update, with right and wrong types. */
    const profileFields = fc.dictionary(
      fc.constantFrom("email", "nickname", "segments", "person", "company", "avatar", "phone"),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.dictionary(
          fc.constantFrom("nickname", "email", "segments", "name", "avatar"),
          fc.jsonValue({ maxDepth: 2 }),
        ),
      ),
    );
    const eventData = fc.record(
      {
        session_id: fc.oneof(
          fc.constantFrom(...conversations.slice(0, 20).map((c) => c.session_id)),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        people_id: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constantFrom(...PROFILES.map((profile) => profile.people_id)),
          },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
        ),
        update: fc.oneof(
          { weight: 4, arbitrary: profileFields },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
        ),
      },
      { requiredKeys: ["session_id", "people_id"] },
    );
    await warm();
    const hook = fc.oneof(
      fc.uint8Array({ maxLength: 800 }).map((bytes) => ({ raw: Buffer.from(bytes), sign: false })),
      fc
        .jsonValue({ maxDepth: 4 })
        .map((json) => ({ raw: Buffer.from(JSON.stringify(json)), sign: true })),
      fc
        .record({
          website_id: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(W, W.toUpperCase()) },
            { weight: 1, arbitrary: fc.uuid() },
            { weight: 1, arbitrary: fc.string() },
          ),
          event: fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...EVENT_NAMES) },
            { weight: 1, arbitrary: fc.string() },
          ),
          data: fc
            .tuple(
              eventData,
              fc.dictionary(fc.constantFrom(...EVENT_FIELDS), fc.jsonValue({ maxDepth: 3 })),
            )
            .map(([known, other]) => ({ ...other, ...known })),
          timestamp: fc.oneof(
            // Events are applied after what the gateway read: now, or later than that.
            { weight: 6, arbitrary: fc.integer({ min: Date.now(), max: Date.now() + 3_600_000 }) },
            { weight: 1, arbitrary: fc.integer() },
            { weight: 1, arbitrary: fc.string() },
          ),
        })
        .map((body) => ({ raw: Buffer.from(JSON.stringify(body)), sign: true })),
    );
    let hooks = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hook, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        if (hooks % (10 * BATCH) === 0) {
          await warm();
        }
        const statuses = await Promise.all(
          batch.map(async ({ raw, sign }) => {
            hooks += 1;
            const timestamp = String(Date.now());
            const response = await pool.request({
              path,
              method: "POST",
              headers: {
                "content-type": "application/json",
                "x-crisp-request-timestamp": timestamp,
                "x-crisp-signature": sign
                  ? signPluginHook(HOOK_SECRET, timestamp, raw.toString())
                  : "0".repeat(64),
              },
              body: raw,
            });
            await response.body.dump();
            return response.statusCode;
          }),
        );
        expect(statuses.filter((status) => status >= 500)).toEqual([]);
      }),
      { numRuns: HOOK_BATCHES, seed: 20261203, endOnFailure: true },
    );
    expect(hooks).toBe(HOOK_BATCHES * BATCH);
    await t.gateway.eventsCaughtUp();
    expect(errorLines.filter((line) => line.includes("Crisp event"))).toEqual([]);
  });

  it("still serves afterwards, 50,000 requests later", async () => {
    expect(sent + HOOK_BATCHES * BATCH).toBeGreaterThanOrEqual(50_000);
    const answer = await t.query<{ website: { name: string } }>("{ website { name } }");
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.website.name).toEqual(expect.any(String));
  });
});
