import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { ErrorCode, GatewayError } from "../errors.js";
import { nestsDeeperThan } from "../json-depth.js";

export interface RequestLimits {
  /** Deepest selection. @default 12 (the schema's deepest useful query is about 9) */
  maxDepth?: number;
  /** Aliases per operation. @default 30 */
  maxAliases?: number;
  /** Directives per operation. @default 20 */
  maxDirectives?: number;
  /** Lexical tokens per document. @default 3_000 */
  maxTokens?: number;
  /**
   * Characters of a document, checked before it is parsed (or looked up in the parser cache):
   * the token limit bounds what a parsed document holds, this bounds the text itself (comments
   * and whitespace are not tokens). @default 65_536
   */
  maxDocumentLength?: number;
  /**
   * Levels of nesting of the variables, checked before anything reads them (graphql-js'
   * coercion and printing, our resolvers, JSON.stringify): past it BAD_USER_INPUT. @default 32
   */
  maxVariablesDepth?: number;
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
  maxDocumentLength = 65_536, // 64 Ki characters: a generated dashboard operation is a few KiB
  maxVariablesDepth = 32, // inputs nest 4 levels (a carousel's actions), JSON data a few more
}: RequestLimits = {}): Plugin[] {
  const deepVariables = (variables: unknown) =>
    nestsDeeperThan(variables, maxVariablesDepth + 1)
      ? new GatewayError(
          ErrorCode.BAD_USER_INPUT,
          `The variables nest more than ${maxVariablesDepth} levels deep.`,
        )
      : undefined;
  const tag = (_ctx: unknown, error: GraphQLError) => {
    error.extensions.code = ErrorCode.REQUEST_LIMIT_EXCEEDED;
    // A refused document is a bad request, whatever the Accept header.
    error.extensions.http = { status: 400 };
  };
  const callbacks = { onReject: [tag], propagateOnRejection: true };
  return [
    {
      // Before graphql-armor's token counting and Yoga's parser cache: a document this long
      // is refused for its length alone, unparsed and never cached.
      onParse({ params }) {
        const length =
          typeof params.source === "string" ? params.source.length : params.source.body.length;
        if (length > maxDocumentLength) {
          throw new GraphQLError(
            `The document is ${length} characters long; at most ${maxDocumentLength} are accepted.`,
            { extensions: { code: ErrorCode.REQUEST_LIMIT_EXCEEDED, http: { status: 400 } } },
          );
        }
      },
      onExecute({ args, setResultAndStopExecution }) {
        const refusal = deepVariables(args.variableValues);
        if (refusal !== undefined) {
          refusal.extensions.http = { status: 400 };
          setResultAndStopExecution({ errors: [refusal] });
        }
      },
      onSubscribe({ args, setResultAndStopExecution }) {
        const refusal = deepVariables(args.variableValues);
        if (refusal !== undefined) {
          refusal.extensions.http = { status: 400 };
          setResultAndStopExecution({ errors: [refusal] });
        }
      },
    },
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
