import { readFileSync } from "node:fs";
import { buildSchema, findBreakingChanges, printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.js";
import { contractGaps } from "./helpers/contract.js";

const checkedIn = readFileSync(new URL("../schema.graphql", import.meta.url), "utf8");
// The public contract clients rely on, copied into the repository (see its header).
const contract = readFileSync(
  new URL("./fixtures/schema-contract.graphql", import.meta.url),
  "utf8",
);
// The schema as last released: the public API may only grow from it. Replace the file with
// the new schema.graphql when a release breaks the API on purpose.
const released = readFileSync(
  new URL("./fixtures/schema-released.graphql", import.meta.url),
  "utf8",
);

describe("schema.graphql", () => {
  it("is what `npm run schema` prints from the code (run it and commit the file)", () => {
    expect(checkedIn).toBe(`${printSchema(schema)}\n`);
  });

  it("contains every type, field, argument and enum value of the public contract", () => {
    expect(contractGaps(contract, checkedIn)).toEqual([]);
  });

  it("breaks nothing of the last released schema (test/fixtures/schema-released.graphql)", () => {
    const breaking = findBreakingChanges(buildSchema(released), buildSchema(checkedIn)).map(
      (change) => `${change.type}: ${change.description}`,
    );
    expect(breaking).toEqual([]);
  });

  // Leaf fields of value types (Geolocation.city…) are covered by their type's description,
  // which says they come with their parent at no extra cost.
  it("describes every type, every root field and every field that takes arguments or is a Node's", () => {
    const undescribed: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        type.name.startsWith("__") ||
        ["String", "Int", "Float", "Boolean", "ID"].includes(type.name)
      ) {
        continue;
      }
      if (!type.description) {
        undescribed.push(type.name);
      }
      if ("getFields" in type && !("ofType" in type)) {
        for (const field of Object.values(type.getFields())) {
          const needsOwn =
            ["Query", "Mutation", "Subscription", "GatewayStatus"].includes(type.name) ||
            ("args" in field && field.args.length > 0);
          if (needsOwn && !field.description) {
            undescribed.push(`${type.name}.${field.name}`);
          }
        }
      }
    }
    expect(undescribed).toEqual([]);
  });
});

describe("breaking-change check", () => {
  it("reports a removed field, a field made nullable and a new required argument", () => {
    const before = buildSchema("type Query { a: String! b: Int c(x: Int): Int }");
    const after = buildSchema("type Query { a: String c(x: Int, y: Int!): Int }");
    expect(findBreakingChanges(before, after).map((change) => change.type)).toEqual([
      "FIELD_REMOVED",
      "FIELD_CHANGED_KIND",
      "REQUIRED_ARG_ADDED",
    ]);
  });
});

describe("contract checker", () => {
  it("reports a missing field, argument and enum value, and a nullable field the contract makes non-null", () => {
    const gaps = contractGaps(
      "type Query { a(x: Int): String! b: Int } enum E { ONE TWO }",
      "type Query { a: String c: Int } enum E { ONE }",
    );
    expect(gaps).toEqual([
      "Query.a: String is not compatible with String!",
      "missing argument Query.a(x)",
      "missing field Query.b",
      "missing enum value E.TWO",
    ]);
  });
});
