import SchemaBuilder from "@pothos/core";
import RelayPlugin from "@pothos/plugin-relay";
import type { GatewayContext } from "../context.js";
import CrispCostPlugin from "./cost.js";
import { decodeGlobalId, encodeGlobalId } from "./global-id.js";

/**
 * The schema builder and its plugins. It defines no type: each domain file under src/schema
 * defines its own (see docs/architecture.md).
 */
/** How many ids `nodes(ids:)` was given (a single id is a list of one). */
const idCount = (args: Readonly<Record<string, unknown>>) =>
  Array.isArray(args.ids) ? args.ids.length : 1;

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    SafeInt: { Input: number; Output: number };
    ID: { Input: string; Output: string };
  };
}>({
  // crispCost: every field that reads Crisp declares its cost beside its resolver (cost.ts).
  plugins: [RelayPlugin, CrispCostPlugin],
  // Non-null unless a field says otherwise: the contract promises these values.
  defaultFieldNullability: false,
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: { list: false, items: false } },
    nodeFieldOptions: { nullable: false },
    nodesOnConnection: true,
    encodeGlobalID: encodeGlobalId,
    decodeGlobalID: decodeGlobalId,
    nodeQueryOptions: {
      description:
        "Fetches any object by its global id: one read of that object (none when already loaded in this operation). A well-formed id of something that does not exist is null.",
      crispCost: { requests: 1 },
    },
    nodesQueryOptions: {
      description:
        "Fetches several objects by global id, in order; missing ones are null. One read per distinct object, as `node` does.",
      crispCost: { requests: idCount, items: idCount },
    },
    nodeTypeOptions: {
      description:
        "An object with a global id: Apollo Client and Relay normalise it by `id`, and `node(id:)` fetches it again.",
    },
    pageInfoTypeOptions: { description: "Relay paging state of a connection." },
  },
});
