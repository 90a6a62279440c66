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
 * A list read goes one step further: once a page of conversations is read, each conversation's
 * `person` and `messages` reads are started there and then (`startsReadOfEach`), in the turn
 * the page is parsed, instead of after GraphQL has completed every node down to them.
 *
 * A starter is registered by the file that owns the field (`Website.conversations` in
 * conversation/queries.ts, `Conversation.assignee` in operator.ts, `Conversation.person` in
 * person/queries.ts, `Conversation.messages` in message/type.ts), so the read it starts cannot
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

/**
 * What a read started for an object of a list does, as soon as the list is read: the same
 * read the field's resolver makes for that object (`Conversation.person` for each conversation
 * of a page), so the objects' reads leave in the same turn as the list's answer is parsed
 * rather than after GraphQL has walked every object to them.
 */
export type ItemReadStarter = (
  item: unknown,
  args: Record<string, unknown>,
  ctx: GatewayContext,
) => Promise<unknown> | undefined;

/** A list read's objects: their type, and how to find them in what the read resolves to. */
export interface ListItems {
  each: string;
  items: (result: unknown) => readonly unknown[];
  /**
   * The objects as far as they are known before the read answers (`Website.conversation`
   * names its conversation's ids in its arguments): item reads that need no more than that
   * start at once, beside the read, instead of one round trip after it.
   */
  known?: (websiteId: string, args: Record<string, unknown>) => readonly unknown[];
}

/** "Type.field" -> what selecting it starts, and the objects it lists. */
const starters = new Map<string, { start: ReadStarter; list?: ListItems }>();
/** "Type.field" -> what selecting it starts for each object of a list started above it. */
const itemStarters = new Map<string, ItemReadStarter>();

/** Registers what selecting `typeName.fieldName` beneath a website starts at once. */
export function startsRead(
  typeName: string,
  fieldName: string,
  start: ReadStarter,
  list?: ListItems,
): void {
  starters.set(`${typeName}.${fieldName}`, list === undefined ? { start } : { start, list });
}

/**
 * Registers what selecting `typeName.fieldName` starts for each `typeName` object a started
 * list read returns (`startsRead` with `list`).
 */
export function startsReadOfEach<T>(
  typeName: string,
  fieldName: string,
  isItem: (item: unknown) => item is T,
  start: (
    item: T,
    args: Record<string, unknown>,
    ctx: GatewayContext,
  ) => Promise<unknown> | undefined,
): void {
  itemStarters.set(`${typeName}.${fieldName}`, (item, args, ctx) =>
    isItem(item) ? start(item, args, ctx) : undefined,
  );
}

/** The reads to start for each object of one started list, gathered from its selection. */
interface ListCollector extends ListItems {
  /** The list read started. */
  read: Promise<unknown>;
  /** What `known` gave for this read. */
  knownItems: readonly unknown[];
  reads: Map<string, { start: ItemReadStarter; args: Record<string, unknown> }>;
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
      walk(node.selectionSet, websiteType.name, 0, []);
    }
  }

  function walk(
    selectionSet: SelectionSetNode,
    typeName: string,
    depth: number,
    lists: readonly ListCollector[],
  ): void {
    const type = info.schema.getType(typeName);
    if (!isObjectType(type) || depth > MAX_DEPTH) {
      return;
    }
    for (const selection of selectionSet.selections) {
      if (!included(selection, info.variableValues)) {
        continue;
      }
      if (selection.kind === Kind.FIELD) {
        visitField(selection, typeName, depth, lists);
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
      walk(fragment.selectionSet, typeName, depth, lists);
    }
  }

  function visitField(
    node: FieldNode,
    typeName: string,
    depth: number,
    lists: readonly ListCollector[],
  ): void {
    const type = info.schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[node.name.value] : undefined;
    if (field === undefined) {
      return;
    }
    const coordinate = `${typeName}.${field.name}`;
    const itemStart = itemStarters.get(coordinate);
    if (itemStart !== undefined) {
      for (const list of lists) {
        if (list.each === typeName) {
          const args = getArgumentValues(field, node, info.variableValues);
          list.reads.set(`${coordinate}:${JSON.stringify(args)}`, { start: itemStart, args });
        }
      }
    }
    const starter = starters.get(coordinate);
    let list: ListCollector | undefined;
    if (starter !== undefined) {
      const args = getArgumentValues(field, node, info.variableValues);
      const id = `${coordinate}:${JSON.stringify(args)}`;
      if (!started.has(id)) {
        started.add(id);
        const read = starter.start(websiteId, args, ctx);
        read?.catch(() => undefined);
        if (read !== undefined && starter.list !== undefined) {
          list = {
            ...starter.list,
            read,
            knownItems: starter.list.known?.(websiteId, args) ?? [],
            reads: new Map(),
          };
        }
      }
    }
    const child = getNamedType(field.type);
    // Another website's objects are another website's reads.
    if (node.selectionSet !== undefined && child.name !== "Website") {
      walk(node.selectionSet, child.name, depth + 1, list === undefined ? lists : [...lists, list]);
    }
    if (list !== undefined && list.reads.size > 0) {
      startEach(list);
    }
  }

  /**
   * The reads its selection asks of each of the list's objects: at once for those its known
   * objects are enough for, the others once the list is read.
   */
  function startEach({ read, items, reads, knownItems }: ListCollector): void {
    const startedEarly = new Set<string>();
    for (const item of knownItems) {
      for (const [id, { start, args }] of reads) {
        const early = start(item, args, ctx);
        if (early !== undefined) {
          startedEarly.add(id);
          early.catch(() => undefined);
        }
      }
    }
    if (startedEarly.size === reads.size) {
      return;
    }
    read
      .then((result) => {
        for (const item of items(result)) {
          for (const [id, { start, args }] of reads) {
            if (!startedEarly.has(id)) {
              start(item, args, ctx)?.catch(() => undefined);
            }
          }
        }
      })
      .catch(() => undefined);
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
