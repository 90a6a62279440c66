import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isAbstractType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from "graphql";
import type { GatewayContext } from "../context.js";
import { badUserInput } from "../errors.js";
import { count, declaredCheck, declaredCost } from "./cost.js";

/**
 * Estimates the worst-case Crisp requests of an operation before it runs, from the costs its
 * fields declare: each field's own requests, times the list sizes above it, with fields that
 * share a read counted once per object. Fragments are followed (a cycle, which validation
 * refuses anyway, costs nothing more); for an abstract type the costliest member counts. A
 * subscription is estimated per event.
 *
 * On its way it runs every field's argument check (`checkArgs`) with the arguments the
 * resolver would get: a GatewayError it throws is the operation's answer, before any Crisp
 * request.
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  ctx?: GatewayContext,
): number {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    operationName === null || operationName === undefined
      ? operations[0]
      : operations.find((candidate) => candidate.name?.value === operationName);
  if (operation === undefined) {
    return 0;
  }
  const fragments = new Map(
    document.definitions
      .filter(
        (definition): definition is FragmentDefinitionNode =>
          definition.kind === Kind.FRAGMENT_DEFINITION,
      )
      .map((fragment) => [fragment.name.value, fragment]),
  );
  // A variable the client left out takes the operation's own default, not the field's.
  const values: Record<string, unknown> = { ...variables };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (values[name] === undefined && definition.defaultValue !== undefined) {
      values[name] = valueFromASTUntyped(definition.defaultValue, values);
    }
  }
  const root = schema.getRootType(operation.operation);
  if (!root) {
    return 0;
  }
  // The variables as execution will coerce them, for the argument checks. Variables that do
  // not coerce fail execution with graphql-js' own error: no check runs on them here.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], {
    ...variables,
  });
  const checkArguments = (field: GraphQLField<unknown, unknown>, node: FieldNode) => {
    const check = declaredCheck(field);
    if (check === undefined || coerced.coerced === undefined) {
      return;
    }
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, node, coerced.coerced);
    } catch {
      return;
    }
    check(args, ctx);
  };

  const applies = (condition: string | undefined, type: GraphQLNamedType): boolean => {
    if (condition === undefined || condition === type.name) {
      return true;
    }
    const conditionType = schema.getType(condition);
    return (
      conditionType !== undefined &&
      isAbstractType(conditionType) &&
      isObjectType(type) &&
      schema.isSubType(conditionType, type)
    );
  };

  /** Whether a field is selected with `@stream` (and not `@stream(if: false)`). */
  const streamed = (node: FieldNode): boolean =>
    (node.directives ?? []).some((directive) => {
      if (directive.name.value !== "stream") {
        return false;
      }
      const condition = directive.arguments?.find((argument) => argument.name.value === "if");
      return condition === undefined || valueFromASTUntyped(condition.value, values) !== false;
    });

  /** The fields a selection set runs on an object of `type`, fragments followed. */
  const collect = (
    type: GraphQLNamedType,
    selectionSet: SelectionSetNode,
    seen: ReadonlySet<string>,
    into: FieldNode[],
  ): FieldNode[] => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        into.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value, type)) {
          collect(type, selection.selectionSet, seen, into);
        }
      } else {
        const fragment = fragments.get(selection.name.value);
        if (
          fragment !== undefined &&
          !seen.has(fragment.name.value) &&
          applies(fragment.typeCondition.name.value, type)
        ) {
          collect(type, fragment.selectionSet, new Set([...seen, fragment.name.value]), into);
        }
      }
    }
    return into;
  };

  const costOn = (
    type: GraphQLNamedType,
    selectionSet: SelectionSetNode,
    seen: ReadonlySet<string>,
  ): number => {
    if (isAbstractType(type)) {
      return Math.max(
        0,
        ...schema.getPossibleTypes(type).map((member) => costOn(member, selectionSet, seen)),
      );
    }
    if (!isObjectType(type)) {
      return 0;
    }
    const definitions = type.getFields();
    const shared = new Map<string, number>();
    let total = 0;
    for (const node of collect(type, selectionSet, seen, [])) {
      const field = definitions[node.name.value];
      if (field === undefined) {
        continue;
      }
      checkArguments(field, node);
      const cost = declaredCost(field);
      const args = Object.fromEntries(
        (node.arguments ?? []).map((argument) => [
          argument.name.value,
          valueFromASTUntyped(argument.value, values),
        ]),
      );
      const own = count(cost?.requests, args, ctx, 0);
      if (cost?.stream === true) {
        // One page of the walk, the unit a stream is metered in (see CrispCost.stream).
        if (!streamed(node)) {
          throw badUserInput(
            node.name.value,
            "walks every page of the list: select it with @stream (each page is charged as it comes), or page with the connection's first/after.",
          );
        }
        const items = count(cost.items, args, ctx, 1);
        const page =
          own +
          (node.selectionSet === undefined
            ? 0
            : items * costOn(getNamedType(field.type), node.selectionSet, seen));
        ctx?.budget.notePageCost(node, page);
        total += page;
        continue;
      }
      if (cost?.shares === undefined) {
        total += own;
      } else {
        shared.set(cost.shares, Math.max(shared.get(cost.shares) ?? 0, own));
      }
      if (node.selectionSet !== undefined) {
        const items = count(cost?.items, args, ctx, 1);
        total += items * costOn(getNamedType(field.type), node.selectionSet, seen);
      }
    }
    for (const requests of shared.values()) {
      total += requests;
    }
    return total;
  };

  return costOn(root, operation.selectionSet, new Set());
}
