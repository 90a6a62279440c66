import { DateTimeISOResolver, JSONResolver, SafeIntResolver } from "graphql-scalars";
import { builder } from "./builder.js";

builder.addScalarType("DateTime", DateTimeISOResolver, {
  description:
    "An instant as an ISO-8601 string in UTC, e.g. 2026-11-21T08:12:00.000Z. Crisp's millisecond timestamps are converted without loss.",
});
builder.addScalarType("JSON", JSONResolver, {
  description: "Any JSON value, passed through as Crisp gives or takes it.",
});
builder.addScalarType("SafeInt", SafeIntResolver, {
  description: "Integer up to 2^53-1, serialised as a JSON number (Crisp message fingerprints).",
});

/** Crisp timestamps are milliseconds since the epoch (crisp-api.md §4). */
export function fromCrispTime(ms: number | undefined | null): Date | null {
  return typeof ms === "number" && Number.isFinite(ms) ? new Date(ms) : null;
}
