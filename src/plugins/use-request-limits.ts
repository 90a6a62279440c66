import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import type { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { ErrorCode } from "../errors.js";

export interface RequestLimits {
  /** Deepest selection. @default 12 (the schema's deepest useful query is about 9) */
  maxDepth?: number;
  /** Aliases per operation. @default 30 */
  maxAliases?: number;
  /** Directives per operation. @default 20 */
  maxDirectives?: number;
  /** Lexical tokens per document. @default 3_000 */
  maxTokens?: number;
}

/**
 * Refuses documents built to exhaust the gateway before anything executes (graphql-armor's
 * depth, alias, directive and token limits), each with its own message and the code
 * REQUEST_LIMIT_EXCEEDED. The cost of an operation in Crisp requests is the business of
 * useCostLimit.
 */
export function useRequestLimits({
  maxDepth = 12,
  maxAliases = 30,
  maxDirectives = 20,
  maxTokens = 3_000,
}: RequestLimits = {}): Plugin[] {
  const tag = (_ctx: unknown, error: GraphQLError) => {
    error.extensions.code = ErrorCode.REQUEST_LIMIT_EXCEEDED;
    // A refused document is a bad request, whatever the Accept header.
    error.extensions.http = { status: 400 };
  };
  const callbacks = { onReject: [tag], propagateOnRejection: true };
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: maxDepth, ...callbacks },
      maxAliases: { n: maxAliases, ...callbacks },
      maxDirectives: { n: maxDirectives, ...callbacks },
      maxTokens: { n: maxTokens, ...callbacks },
      costLimit: { enabled: false },
      blockFieldSuggestion: { enabled: false },
    }) as Plugin,
  ];
}
