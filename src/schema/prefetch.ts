import {
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLIncludeDirective,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  type InlineFragmentNode,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from "graphql";
import type { GatewayContext } from "../context.js";

/**
 * Reads a website's selection set asks for, started as soon as the website's id is
 * known instead of when their parent resolves (issue 12.1): GraphQL resolves a field only after
 * its parent, so a website's conversations would wait for GET /website/{website_id} although
 * their read only needs the id, and the operators list behind `assignee` would wait for the
 * conversations. Started here, each read is the very one its field asks for later (same loader,
 * same key), so it is sent once and the field finds it in flight or done.
 *
 * A starter is registered by the file that owns the field (`Website.conversations` in
 * conversation/queries.ts, `Conversation.assignee` in operator.ts), so the read it starts cannot
 * drift from the one its resolver makes. Only fields the document selects (past `@skip` and
 * `@include`) start anything: never a read the operation does not ask for. One read is a bet:
 * the operators list is read when `assignee` is selected, before the conversations show
 * whether any is assigned (one request per website, against a round trip for every dashboard
 * that has an assigned conversation; the cost estimate already counts it).
 */
export type ReadStarter = (
  websiteId: string,
  args: Record<string, unknown>,
  ctx: GatewayContext,
) => Promise<unknown> | undefined;

/** "Type.field" -> what selecting it starts. */
const starters = new Map<string, ReadStarter>();

/** Registers what selecting `typeName.fieldName` beneath a website starts at once. */
export function startsRead(typeName: string, fieldName: string, start: ReadStarter): void {
  starters.set(`${typeName}.${fieldName}`, start);
}

/**
 * Deepest selection walked below the website: the dashboards' reads sit three to five levels
 * down (connection, edges, node, field); anything deeper simply waits for its parent.
 */
const MAX_DEPTH = 6;

/**
 * Starts every registered read selected beneath the website field `info` resolves, for
 * `websiteId`. Failures are left to the fields that read them (their loader holds the
 * rejected load and reports it where the document asked for it).
 */
export function startWebsiteReads(
  websiteId: string,
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
): void {
  const websiteType = getNamedType(info.returnType);
  if (!isObjectType(websiteType)) {
    return;
  }
  const started = new Set<string>();
  for (const node of info.fieldNodes) {
    if (node.selectionSet !== undefined) {
      walk(node.selectionSet, websiteType.name, 0);
    }
  }

  function walk(selectionSet: SelectionSetNode, typeName: string, depth: number): void {
    const type = info.schema.getType(typeName);
    if (!isObjectType(type) || depth > MAX_DEPTH) {
      return;
    }
    for (const selection of selectionSet.selections) {
      if (!included(selection, info.variableValues)) {
        continue;
      }
      if (selection.kind === Kind.FIELD) {
        visitField(selection, typeName, depth);
        continue;
      }
      const fragment: InlineFragmentNode | FragmentDefinitionNode | undefined =
        selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
      if (fragment === undefined) {
        continue;
      }
      const condition = fragment.typeCondition?.name.value;
      const conditionType = condition === undefined ? type : info.schema.getType(condition);
      // A fragment on another object type never applies here; one on an interface may.
      if (isObjectType(conditionType) && conditionType.name !== typeName) {
        continue;
      }
      walk(fragment.selectionSet, typeName, depth);
    }
  }

  function visitField(node: FieldNode, typeName: string, depth: number): void {
    const type = info.schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[node.name.value] : undefined;
    if (field === undefined) {
      return;
    }
    const start = starters.get(`${typeName}.${field.name}`);
    if (start !== undefined) {
      const args = getArgumentValues(field, node, info.variableValues);
      const id = `${typeName}.${field.name}:${JSON.stringify(args)}`;
      if (!started.has(id)) {
        started.add(id);
        start(websiteId, args, ctx)?.catch(() => undefined);
      }
    }
    const child = getNamedType(field.type);
    // Another website's objects are another website's reads.
    if (node.selectionSet !== undefined && child.name !== "Website") {
      walk(node.selectionSet, child.name, depth + 1);
    }
  }
}

/** Whether `@skip` / `@include` keep this selection. */
function included(
  selection: SelectionSetNode["selections"][number],
  variables: GraphQLResolveInfo["variableValues"],
): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, selection, variables);
  if (skip?.if === true) {
    return false;
  }
  const include = getDirectiveValues(GraphQLIncludeDirective, selection, variables);
  return include?.if !== false;
}
