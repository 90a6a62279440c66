import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "../src/schema/index.js";

/** Writes schema.graphql, the checked-in public schema (a test fails when it is stale). */
export const SCHEMA_FILE = new URL("../schema.graphql", import.meta.url);

writeFileSync(SCHEMA_FILE, `${printSchema(schema)}\n`);
console.log(`Wrote ${SCHEMA_FILE.pathname}`);
