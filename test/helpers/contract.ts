import {
  buildSchema,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
} from "graphql";

/**
 * Lists what `actual` lacks of `contract`: every type, field, argument, enum value and union
 * member, with compatible types. Outputs may be stricter (nullable -> non-null); inputs may
 * be looser (required -> optional) but never the reverse.
 */
export function contractGaps(contractSdl: string, actualSdl: string): string[] {
  const contract = buildSchema(contractSdl);
  const actual = buildSchema(actualSdl);
  const gaps: string[] = [];
  for (const expected of Object.values(contract.getTypeMap())) {
    if (expected.name.startsWith("__")) {
      continue;
    }
    const found = actual.getType(expected.name);
    if (found === undefined || found === null) {
      gaps.push(`missing type ${expected.name}`);
      continue;
    }
    gaps.push(...compareType(expected, found, actual));
  }
  return gaps;
}

function compareType(
  expected: GraphQLNamedType,
  found: GraphQLNamedType,
  _actual: GraphQLSchema,
): string[] {
  const gaps: string[] = [];
  if (expected.constructor !== found.constructor) {
    return [`${expected.name} is a different kind of type`];
  }
  if (
    (isObjectType(expected) || isInterfaceType(expected)) &&
    (isObjectType(found) || isInterfaceType(found))
  ) {
    for (const iface of expected.getInterfaces()) {
      if (!found.getInterfaces().some((i) => i.name === iface.name)) {
        gaps.push(`${expected.name} does not implement ${iface.name}`);
      }
    }
    const foundFields = found.getFields();
    for (const field of Object.values(expected.getFields())) {
      const other = foundFields[field.name];
      if (other === undefined) {
        gaps.push(`missing field ${expected.name}.${field.name}`);
        continue;
      }
      if (!outputCompatible(field.type, other.type)) {
        gaps.push(
          `${expected.name}.${field.name}: ${String(other.type)} is not compatible with ${String(field.type)}`,
        );
      }
      for (const arg of field.args) {
        const otherArg = other.args.find((a) => a.name === arg.name);
        if (otherArg === undefined) {
          gaps.push(`missing argument ${expected.name}.${field.name}(${arg.name})`);
        } else if (!inputCompatible(arg.type, otherArg.type)) {
          gaps.push(
            `${expected.name}.${field.name}(${arg.name}): ${String(otherArg.type)} is not compatible with ${String(arg.type)}`,
          );
        }
      }
      for (const otherArg of other.args) {
        if (
          isNonNullType(otherArg.type) &&
          !field.args.some((a) => a.name === otherArg.name) &&
          otherArg.defaultValue === undefined
        ) {
          gaps.push(
            `${expected.name}.${field.name} has an extra required argument ${otherArg.name}`,
          );
        }
      }
    }
  }
  if (isInputObjectType(expected) && isInputObjectType(found)) {
    const foundFields = found.getFields();
    for (const field of Object.values(expected.getFields())) {
      const other = foundFields[field.name];
      if (other === undefined) {
        gaps.push(`missing input field ${expected.name}.${field.name}`);
      } else if (!inputCompatible(field.type, other.type)) {
        gaps.push(
          `${expected.name}.${field.name}: ${String(other.type)} is not compatible with ${String(field.type)}`,
        );
      }
    }
  }
  if (isEnumType(expected) && isEnumType(found)) {
    for (const value of expected.getValues()) {
      if (found.getValue(value.name) === undefined || found.getValue(value.name) === null) {
        gaps.push(`missing enum value ${expected.name}.${value.name}`);
      }
    }
  }
  if (isUnionType(expected) && isUnionType(found)) {
    for (const member of expected.getTypes()) {
      if (!found.getTypes().some((t) => t.name === member.name)) {
        gaps.push(`union ${expected.name} lacks ${member.name}`);
      }
    }
  }
  return gaps;
}

/** An output may be non-null where the contract allows null, never the reverse. */
function outputCompatible(expected: GraphQLType, found: GraphQLType): boolean {
  if (isNonNullType(expected)) {
    return isNonNullType(found) && outputCompatible(expected.ofType, found.ofType);
  }
  const inner = getNullableType(found);
  if (isListType(expected)) {
    return isListType(inner) && outputCompatible(expected.ofType, inner.ofType);
  }
  return !isListType(inner) && "name" in inner && inner.name === expected.name;
}

/** An input may accept null where the contract requires a value, never the reverse. */
function inputCompatible(expected: GraphQLType, found: GraphQLType): boolean {
  if (isNonNullType(found)) {
    return isNonNullType(expected) && inputCompatible(expected.ofType, found.ofType);
  }
  const inner = getNullableType(expected);
  if (isListType(found)) {
    return isListType(inner) && inputCompatible(inner.ofType, found.ofType);
  }
  return !isListType(inner) && "name" in inner && inner.name === found.name;
}
