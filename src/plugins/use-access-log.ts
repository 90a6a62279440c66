import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  getOperationAST,
  Kind,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Viewer } from "../auth.js";
import type { OperationBudget } from "../budget.js";
import type { Logger } from "../logger.js";

/** What the plugin reads of the context: who asks, what it spent, and the request's headers. */
export interface AccessLogContext {
  viewer?: Viewer;
  budget?: OperationBudget;
  /** The fetch Request of an HTTP operation. */
  request?: { headers: { get(name: string): string | null } };
  /** The upgrade request of a graphql-ws operation. */
  req?: { headers?: Record<string, string | string[] | undefined> };
  params?: { operationName?: string | null };
}

/** One access log line's `operation`: never a variable, a document, a header value but the client's name, or a secret. */
export interface AccessLogEntry {
  name: string | null;
  type: "query" | "mutation" | "subscription" | null;
  durationMs: number;
  status: "ok" | "errors";
  /** The `extensions.code` of each error, once each; INTERNAL for an unexpected one. */
  errors?: string[];
  crispRequests: number;
  cacheHits: number;
  /** A subscription's events delivered. */
  events?: number;
  client: { viewer?: string; name?: string; version?: string };
}

/** Client-chosen text that reaches the log: bounded, printable. */
const MAX_LOGGED_TEXT = 100;

/**
 * One JSON line per operation at `info` ("graphql operation"), through the gateway's logger:
 * its name and type, how long it took, whether it ended with errors (and their codes), the
 * Crisp requests it sent and the loads the cache answered, and who asked (the viewer's name,
 * and Apollo's `apollographql-client-name` / `-version` headers when sent). A subscription's
 * line is written when it ends, with its events and their total cost. Operations refused
 * before they run (a document that does not parse or validate, the cost or rate limit) are
 * logged too. Variables, documents and credentials never are.
 */
export function useAccessLog({ logger }: { logger: Logger }): Plugin<AccessLogContext> {
  const write = (entry: AccessLogEntry) => logger.info({ operation: entry }, "graphql operation");
  return {
    onParse({ context }) {
      const started = performance.now();
      return ({ result }) => {
        if (result instanceof Error) {
          write({
            ...failure(context, "GRAPHQL_PARSE_FAILED", started),
            name: bounded(context.params?.operationName),
          });
        }
      };
    },
    onValidate({ context, params }) {
      const started = performance.now();
      return ({ valid }) => {
        if (!valid) {
          const operation = operationOf(params.documentAST, context.params?.operationName);
          write({ ...failure(context, "GRAPHQL_VALIDATION_FAILED", started), ...operation });
        }
      };
    },
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) {
            write(entryOf(args.contextValue, args.document, args.operationName, started, result));
            return undefined;
          }
          // An incremental answer (@defer, @stream): one line when it ends, with every part's
          // errors, and the Crisp requests the whole operation sent.
          const errors: NonNullable<ExecutionResult["errors"]>[number][] = [];
          return {
            onNext({ result: part }) {
              errors.push(...(part.errors ?? []));
              const increments = (part as { incremental?: ExecutionResult[] }).incremental ?? [];
              for (const increment of increments) {
                errors.push(...(increment.errors ?? []));
              }
            },
            onEnd() {
              write(
                entryOf(
                  args.contextValue,
                  args.document,
                  args.operationName,
                  started,
                  errors.length > 0 ? { errors } : {},
                ),
              );
            },
          };
        },
      };
    },
    onSubscribe({ args }) {
      const started = performance.now();
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            write(entryOf(args.contextValue, args.document, args.operationName, started, result));
            return;
          }
          let failed: ExecutionResult | undefined;
          return {
            onNext({ result: event }) {
              if (event.errors !== undefined && event.errors.length > 0) {
                failed = event;
              }
            },
            onEnd() {
              const entry = entryOf(
                args.contextValue,
                args.document,
                args.operationName,
                started,
                failed ?? {},
              );
              const totals = args.contextValue.budget?.totals();
              write({
                ...entry,
                crispRequests: totals?.crispRequests ?? 0,
                cacheHits: totals?.cacheHits ?? 0,
                events: totals?.events ?? 0,
              });
            },
          };
        },
      };
    },
  };
}

function entryOf(
  context: AccessLogContext,
  document: DocumentNode,
  operationName: string | null | undefined,
  started: number,
  result: ExecutionResult,
): AccessLogEntry {
  const codes = [...new Set((result.errors ?? []).map(codeOf))];
  return {
    ...operationOf(document, operationName),
    durationMs: Math.round(performance.now() - started),
    status: codes.length === 0 ? "ok" : "errors",
    ...(codes.length === 0 ? {} : { errors: codes }),
    crispRequests: context.budget?.crispRequests ?? 0,
    cacheHits: context.budget?.cacheHits ?? 0,
    client: clientOf(context),
  };
}

function failure(context: AccessLogContext, code: string, started: number): AccessLogEntry {
  return {
    name: null,
    type: null,
    durationMs: Math.round(performance.now() - started),
    status: "errors",
    errors: [code],
    crispRequests: 0,
    cacheHits: 0,
    client: clientOf(context),
  };
}

function operationOf(
  document: DocumentNode | undefined,
  operationName: unknown,
): Pick<AccessLogEntry, "name" | "type"> {
  const operation =
    document === undefined
      ? undefined
      : (getOperationAST(document, typeof operationName === "string" ? operationName : null) ??
        undefined);
  return {
    name: bounded(operation?.name?.value ?? operationName),
    type: operation?.kind === Kind.OPERATION_DEFINITION ? operation.operation : null,
  };
}

function clientOf(context: AccessLogContext): AccessLogEntry["client"] {
  const header = (name: string): string | undefined => {
    const fromFetch = context.request?.headers.get(name);
    if (fromFetch !== null && fromFetch !== undefined) {
      return fromFetch;
    }
    const fromSocket = context.req?.headers?.[name];
    return Array.isArray(fromSocket) ? fromSocket[0] : fromSocket;
  };
  const name = bounded(header("apollographql-client-name"));
  const version = bounded(header("apollographql-client-version"));
  return {
    ...(context.viewer === undefined ? {} : { viewer: context.viewer.name }),
    ...(name === null ? {} : { name }),
    ...(version === null ? {} : { version }),
  };
}

function codeOf(error: GraphQLError): string {
  const code = error.extensions?.code;
  return typeof code === "string" ? code : "INTERNAL";
}

/** Client text fit for a log line; null for anything but a non-empty string (a JSON body's
 * `operationName` may be a number, an object…). */
function bounded(text: unknown): string | null {
  if (typeof text !== "string" || text === "") {
    return null;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f]/g, "").slice(0, MAX_LOGGED_TEXT);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
