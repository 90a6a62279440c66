import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from "graphql";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./connection.js";

/**
 * The worst-case number of Crisp requests of each field, as its description states: its own
 * requests, and how many times its children run (the page size of a connection). Fields not
 * listed cost nothing (they come with their parent).
 */
interface FieldCost {
  /** Crisp requests of the field itself, at worst. */
  requests: number | ((args: Record<string, unknown>) => number);
  /** How many objects its selection runs for, at worst. */
  items?: (args: Record<string, unknown>) => number;
}

const pageOf = (name: "first" | "last") => (args: Record<string, unknown>) => {
  const value = args[name];
  return typeof value === "number" && Number.isFinite(value)
    ? Math.min(Math.max(value, 0), MAX_PAGE_SIZE)
    : DEFAULT_PAGE_SIZE;
};
const first = pageOf("first");
const last = pageOf("last");
/** Routes without `per_page` serve 20 a page: the pages a window of `first` touches. */
const fixedPages = (args: Record<string, unknown>) => Math.ceil(first(args) / 20) + 1;

export const FIELD_COSTS: Readonly<Record<string, FieldCost>> = {
  "Query.website": { requests: 1 },
  "Query.websites": { requests: 2, items: first },
  "Query.websiteExists": { requests: 1 },
  "Query.node": { requests: 1 },
  "Query.nodes": {
    requests: (args) => (Array.isArray(args.ids) ? args.ids.length : MAX_PAGE_SIZE),
    items: (args) => (Array.isArray(args.ids) ? args.ids.length : MAX_PAGE_SIZE),
  },
  // A website's details are one request per website, however many fields ask.
  "Website.name": { requests: 1 },
  "Website.conversation": { requests: 1 },
  "Website.conversations": { requests: 2, items: first },
  "Website.person": { requests: 1 },
  "Website.people": { requests: 2, items: first },
  "Website.visitors": { requests: fixedPages, items: first },
  "Website.visitorCount": { requests: 1 },
  "Website.operators": { requests: 1, items: () => MAX_PAGE_SIZE },
  "Conversation.person": { requests: 1 },
  "Conversation.assignee": { requests: 1 },
  "Conversation.mentions": { requests: 1, items: () => 10 },
  "Conversation.messages": { requests: 2, items: last },
  "Message.conversation": { requests: 1 },
  "Person.conversations": { requests: (args) => fixedPages(args) + first(args), items: first },
  "Visitor.conversation": { requests: 1 },
  "Mutation.createConversation": { requests: 2 },
  "Mutation.removeConversation": { requests: 1 },
  "Mutation.setConversationState": { requests: 2 },
  "Mutation.assignConversation": { requests: 2 },
  "Mutation.updateConversationMeta": { requests: 2 },
  "Mutation.sendMessage": { requests: 2 },
  "Mutation.updateMessage": { requests: 3 },
  "Mutation.removeMessage": { requests: 1 },
  "Mutation.createPerson": { requests: 2 },
  "Mutation.updatePerson": { requests: 2 },
  "Mutation.removePerson": { requests: 1 },
  "Mutation.createWebsite": { requests: 1 },
  "Mutation.deleteWebsite": { requests: 1 },
};

/** Connections put their items under `nodes` or `edges { node }`: those run `items` times. */
const CONNECTION_WRAPPERS = new Set(["nodes", "edges"]);

/**
 * Estimates the worst-case Crisp requests of an operation before it runs: each field's own
 * requests, times the list sizes above it. Fragments are followed (a cycle, which validation
 * refuses anyway, costs nothing more); for abstract types the costliest member is counted.
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
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
  const root =
    operation.operation === "query"
      ? schema.getQueryType()
      : operation.operation === "mutation"
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) {
    return 0;
  }

  const costOf = (
    type: GraphQLNamedType,
    selectionSet: SelectionSetNode,
    seen: Set<string>,
  ): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(type, selection, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : type;
        total += costOf(condition ?? type, selection.selectionSet, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) {
          const condition = schema.getType(fragment.typeCondition.name.value) ?? type;
          total += costOf(
            condition,
            fragment.selectionSet,
            new Set([...seen, fragment.name.value]),
          );
        }
      }
    }
    return total;
  };

  const fieldCost = (parent: GraphQLNamedType, field: FieldNode, seen: Set<string>): number => {
    const args = Object.fromEntries(
      (field.arguments ?? []).map((argument) => [
        argument.name.value,
        valueFromASTUntyped(argument.value, variables ?? {}),
      ]),
    );
    const cost = FIELD_COSTS[`${parent.name}.${field.name.value}`];
    const own =
      cost === undefined
        ? 0
        : typeof cost.requests === "number"
          ? cost.requests
          : cost.requests(args);
    if (!field.selectionSet) {
      return own;
    }
    const fieldType = fieldTypeOf(parent, field.name.value);
    if (fieldType === undefined) {
      return own;
    }
    const items = cost?.items?.(args) ?? 1;
    if (isUnionType(fieldType) || isInterfaceType(fieldType)) {
      const members = isUnionType(fieldType)
        ? fieldType.getTypes()
        : schema.getPossibleTypes(fieldType);
      const costliest = Math.max(
        0,
        ...members.map((member) => costOf(member, field.selectionSet as SelectionSetNode, seen)),
      );
      return own + items * costliest;
    }
    if (cost?.items) {
      // The connection's own fields (pageInfo…) run once; nodes and edges run per item.
      let children = 0;
      for (const selection of field.selectionSet.selections) {
        const perItem =
          selection.kind === Kind.FIELD && CONNECTION_WRAPPERS.has(selection.name.value);
        const sub = costOf(fieldType, { kind: Kind.SELECTION_SET, selections: [selection] }, seen);
        children += perItem || !fieldType.name.endsWith("Connection") ? items * sub : sub;
      }
      return own + children;
    }
    return own + costOf(fieldType, field.selectionSet, seen);
  };

  const fieldTypeOf = (parent: GraphQLNamedType, name: string): GraphQLNamedType | undefined => {
    if (!isObjectType(parent) && !isInterfaceType(parent)) {
      return undefined;
    }
    const definition = parent.getFields()[name];
    return definition === undefined ? undefined : getNamedType(definition.type);
  };

  return costOf(root, operation.selectionSet, new Set());
}
