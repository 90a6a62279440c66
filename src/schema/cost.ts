import SchemaBuilder, {
  BasePlugin,
  type FieldNullability,
  type InputFieldMap,
  type InputShapeFromFields,
  type PothosOutputFieldConfig,
  type SchemaTypes,
  type TypeParam,
} from "@pothos/core";
import type { GraphQLField } from "graphql";
import type { GatewayContext } from "../context.js";

/**
 * The cost model. Every field that reads Crisp declares, beside its resolver and from the
 * constants that resolver uses, what it costs at worst (`crispCost`); this Pothos plugin puts
 * the declaration on the GraphQL field (`extensions.crispCost`) and appends the sentence that
 * states it to the field's description, and `estimateCost` (cost-estimate.ts) reads those
 * declarations from the schema to bound an operation before it runs. There is no table of field names: a field
 * renamed keeps its cost, and a field that loads data without declaring one fails
 * test/cost-declarations.test.ts.
 *
 * Why not @pothos/plugin-complexity: its model (a field's complexity plus a multiplier times
 * its children) is the same, but every undeclared field costs its default, a list multiplies
 * by a guessed default, and its limit fails inside the root resolvers with its own error.
 * Ours must say "this field costs nothing" by omission, count fields that share one Crisp
 * read once (a website's name, domain and logo), refuse with REQUEST_LIMIT_EXCEEDED before
 * anything runs (queries, mutations and subscriptions), and report the estimate in
 * `extensions.cost`: a few dozen lines here do all of it.
 */

/**
 * A count that may depend on the field's arguments (as the client wrote them: unvalidated)
 * and on the operation's context. Without a context (descriptions, tests) it must answer the
 * worst case.
 */
export type CostCount =
  | number
  | ((args: Readonly<Record<string, unknown>>, ctx: GatewayContext | undefined) => number);

/** What one field costs in Crisp requests, at worst. */
export interface CrispCost {
  /** Crisp requests the field sends itself, at worst (a subscription field: per event). */
  requests: CostCount;
  /**
   * How many times what is selected inside the field runs, at worst: a list's or a
   * connection's length. @default 1
   */
  items?: CostCount;
  /**
   * Fields of one object that read the same Crisp resource name it here (e.g. "GET
   * /website/{website_id}"): however many of them a selection asks for, the read is made once.
   */
  shares?: string;
  /**
   * The field walks every page of a list (an export): `requests` and `items` are per page. It
   * is only estimated under `@stream`, one page's worth; each page it streams after the first
   * may spend that much more (`OperationBudget.extend`). Without `@stream` it is refused, since
   * nothing bounds the whole. @default false
   */
  stream?: boolean;
}

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      crispCost: CrispCostPlugin<Types>;
    }
    interface FieldOptions<
      Types extends SchemaTypes = SchemaTypes,
      ParentShape = unknown,
      Type extends TypeParam<Types> = TypeParam<Types>,
      Nullable extends FieldNullability<Type> = FieldNullability<Type>,
      Args extends InputFieldMap = InputFieldMap,
      ResolveShape = unknown,
      ResolveReturnShape = unknown,
    > {
      /**
       * What the field costs in Crisp requests, at worst (src/schema/cost.ts). Every field
       * that reads or writes Crisp declares it; a field with none costs nothing.
       */
      crispCost?: CrispCost;
      /**
       * The field's own check of its arguments (the one its resolver runs too), run by the
       * cost estimate before anything executes: what the resolver would refuse is refused with
       * no Crisp request at all, and is never estimated as a clamped, acceptable value. It
       * throws a GatewayError (BAD_USER_INPUT, or FORBIDDEN for what the viewer may not do).
       */
      checkArgs?: ArgumentCheck<InputShapeFromFields<Args>>;
    }
  }
}

/**
 * A field's check of its arguments, as graphql-js coerces them for its resolver (enums as
 * their internal values, DateTime as a Date), with the operation's context when there is one.
 */
export type ArgumentCheck<A> = (args: A, ctx: GatewayContext | undefined) => void;

/** What a declared count comes to for these arguments (`fallback` when none is declared). */
export const count = (
  value: CostCount | undefined,
  args: Readonly<Record<string, unknown>>,
  ctx: GatewayContext | undefined,
  fallback: number,
): number => {
  if (value === undefined) {
    return fallback;
  }
  const counted = typeof value === "number" ? value : value(args, ctx);
  return Number.isFinite(counted) && counted > 0 ? counted : 0;
};

/** The arguments the sentence of a description is stated for: the defaults, and 50 items. */
const LARGE_ARGUMENTS: Readonly<Record<string, unknown>> = {
  first: 50,
  last: 50,
  ids: Array.from({ length: 50 }, (_, index) => String(index)),
};

const requestsWord = (n: number) => (n === 1 ? "1 Crisp request" : `${n} Crisp requests`);

/** The sentence a field's description ends with, generated from its declared cost. */
export function costSentence(cost: CrispCost, perEvent: boolean): string {
  if (cost.stream === true) {
    const requests = count(cost.requests, {}, undefined, 0);
    const items = count(cost.items, {}, undefined, 1);
    return `Cost: at most ${requestsWord(requests)} per streamed page of ${items} items, charged page by page as they come; only with @stream. What is selected inside runs once per item.`;
  }
  const usual = count(cost.requests, {}, undefined, 0);
  const large = count(cost.requests, LARGE_ARGUMENTS, undefined, 0);
  const per = perEvent ? " per event" : "";
  let sentence: string;
  if (usual === 0 && large === 0) {
    sentence = "Cost: no Crisp request";
  } else if (usual === large) {
    sentence = `Cost: at most ${requestsWord(usual)}${per}`;
  } else {
    const items = count(cost.items, {}, undefined, 1);
    const largeItems = count(cost.items, LARGE_ARGUMENTS, undefined, 1);
    sentence = `Cost: at most ${requestsWord(usual)}${per} for ${items === 1 ? "1 item" : `${items} items`}, ${large} for ${largeItems}`;
  }
  if (cost.shares !== undefined) {
    sentence += `, made once per object for all its fields read from ${cost.shares}`;
  }
  sentence += ".";
  if (cost.items !== undefined) {
    sentence += " What is selected inside runs once per item.";
  }
  return sentence;
}

const pluginName = "crispCost";

/** Puts each field's `crispCost` on the GraphQL field and states it in its description. */
export class CrispCostPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): PothosOutputFieldConfig<Types> {
    const cost = fieldConfig.pothosOptions.crispCost;
    const check = fieldConfig.pothosOptions.checkArgs;
    const extensions = {
      ...fieldConfig.extensions,
      ...(check === undefined ? {} : { checkArgs: check }),
    };
    if (cost === undefined) {
      return check === undefined ? fieldConfig : { ...fieldConfig, extensions };
    }
    const sentence = costSentence(cost, fieldConfig.kind === "Subscription");
    return {
      ...fieldConfig,
      description: fieldConfig.description ? `${fieldConfig.description} ${sentence}` : sentence,
      extensions: { ...extensions, crispCost: cost },
    };
  }
}

SchemaBuilder.registerPlugin(pluginName, CrispCostPlugin);

export default pluginName;

/** The cost a schema field declares, if any. */
export function declaredCost(
  field: GraphQLField<unknown, unknown> | undefined,
): CrispCost | undefined {
  const declared: unknown = field?.extensions?.crispCost;
  return typeof declared === "object" && declared !== null && "requests" in declared
    ? (declared as CrispCost)
    : undefined;
}

/** The argument check a schema field declares, if any. */
export function declaredCheck(
  field: GraphQLField<unknown, unknown>,
): ArgumentCheck<Record<string, unknown>> | undefined {
  const check: unknown = field.extensions?.checkArgs;
  return typeof check === "function"
    ? (check as ArgumentCheck<Record<string, unknown>>)
    : undefined;
}

/** A field's own requests as declared, for these arguments (0 when it declares none). */
export function ownRequests(
  field: GraphQLField<unknown, unknown> | undefined,
  args: Readonly<Record<string, unknown>>,
  ctx?: GatewayContext,
): number {
  return count(declaredCost(field)?.requests, args, ctx, 0);
}
