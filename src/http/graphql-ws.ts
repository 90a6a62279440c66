import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type ExecutionArgs, type ExecutionResult, GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { YogaInitialContext, YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { type Authenticator, clientKeyOf, OPEN_VIEWER, type Viewer } from "../auth.js";
import type { GatewayContext, GatewayServerContext } from "../context.js";
import type { Logger } from "../logger.js";
import type { PersistedOperations } from "../plugins/use-persisted-operations.js";
import { tooManySubscriptions } from "../plugins/use-subscription-limits.js";
import { createErrorMasker, toldAsRefusedValue } from "./mask-error.js";
import { MAX_CLOSE_REASON_BYTES, Route, WsCloseCode } from "./protocol.js";

export interface GraphQLWsOptions {
  yoga: YogaServerInstance<GatewayServerContext, GatewayContext>;
  /** Null: every connection is the open viewer. */
  authenticate: Authenticator | null;
  /** Browser origins allowed besides the gateway's own (GATEWAY_CORS_ORIGINS). */
  allowedOrigins: readonly string[];
  /** graphql-ws ping interval, ms. @default 12_000 */
  keepAliveMs?: number;
  /** How long a socket may wait before connection_init, ms (then 4408). @default 3_000 */
  connectionInitWaitTimeoutMs?: number;
  /** Largest message, bytes. @default 1_048_576 */
  maxPayload?: number;
  /** APQ or trusted documents: the same rules as over HTTP, applied to every Subscribe. */
  persistedOperations: PersistedOperations;
  /**
   * Operations (subscriptions, and queries in flight) one socket may run at once; past it a new
   * one gets a REQUEST_LIMIT_EXCEEDED error and the socket stays open. @default 100
   */
  maxOperationsPerSocket?: number;
  /** Where unexpected errors are logged (their clients only see "Unexpected error."). @default none */
  logger?: Logger;
}

export interface GraphQLWsServer {
  /** Takes over an HTTP upgrade of `Route.graphql`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every open socket with `code` (1001 when the gateway stops). */
  closeAll(code: number, reason: string): void;
  dispose(): Promise<void>;
}

/** What each socket carries besides its upgrade request: its viewer, set in onConnect. */
interface SocketExtra extends Record<PropertyKey, unknown> {
  viewer: Viewer;
  /** Aborts when the socket closes: its operations' Crisp loads stop waiting. */
  closed: AbortController;
}

/**
 * The graphql-ws root value of every operation: Yoga's enveloped executors for that
 * operation, so its plugins (limits, cost, deadline…) run as they do over HTTP.
 */
class EnvelopedRoot {
  constructor(
    readonly execute: (args: ExecutionArgs) => ReturnType<typeof import("graphql").execute>,
    readonly subscribe: (args: ExecutionArgs) => ReturnType<typeof import("graphql").subscribe>,
  ) {}
}

function envelopedRoot(args: ExecutionArgs): EnvelopedRoot {
  if (!(args.rootValue instanceof EnvelopedRoot)) {
    throw new TypeError(
      "graphql-ws operations must be prepared by onSubscribe (rootValue: EnvelopedRoot)",
    );
  }
  return args.rootValue;
}

/**
 * graphql-ws (the protocol of Apollo's GraphQLWsLink and of GraphiQL) on the HTTP server's
 * port and `Route.graphql`, executed through Yoga's envelop. Credentials come once, in
 * connectionParams (`{ authorization: "Bearer …" }`); refused ones are closed with 4403.
 */
export function createGraphQLWsServer({
  yoga,
  authenticate,
  allowedOrigins,
  keepAliveMs = 12_000, // 12 seconds, graphql-ws' own default: under common proxies' idle timeouts
  connectionInitWaitTimeoutMs = 3_000, // 3 seconds, graphql-ws' own default
  maxPayload = 1_048_576, // 1 MiB
  persistedOperations,
  maxOperationsPerSocket = 100, // a dashboard opens a handful; 10,000 on one socket cost 366 MB
  logger,
}: GraphQLWsOptions): GraphQLWsServer {
  /**
   * What a client sees of an error Yoga's envelop did not mask (one thrown while subscribing,
   * or by a subscription's event stream): a contract error as it is, anything else as Yoga's
   * "Unexpected error." with its code, never the original message (an ioredis error text
   * once reached clients as a 4500 close reason).
   */
  const maskError = createErrorMasker(logger ?? null);
  const mask = (error: unknown): GraphQLError => {
    // The masking of HTTP (src/http/yoga.ts: never in development mode either).
    const masked = maskError(error, "Unexpected error.");
    // A refused Crisp value was logged by the masker, without the value this line would carry.
    if (masked !== error && !toldAsRefusedValue(error)) {
      logger?.error({ err: error }, "graphql-ws: unexpected error (masked)");
    }
    return masked instanceof GraphQLError
      ? masked
      : new GraphQLError("Unexpected error.", { extensions: { code: "INTERNAL_SERVER_ERROR" } });
  };
  /** Runs an execute or subscribe so that nothing it throws escapes unmasked. */
  const guarded = async (
    run: () => ReturnType<EnvelopedRoot["subscribe"]> | ReturnType<EnvelopedRoot["execute"]>,
  ): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> => {
    let result: ExecutionResult | AsyncIterable<ExecutionResult>;
    try {
      result = await run();
    } catch (error) {
      return { errors: [mask(error)] };
    }
    if (!(Symbol.asyncIterator in result)) {
      return result;
    }
    return maskedStream(result, mask);
  };
  const sockets = new WebSocketServer({ noServer: true, maxPayload });
  /** Work plugins hand to `waitUntil` (what Yoga's HTTP adapter keeps for them over HTTP). */
  const pending = new Set<Promise<void>>();
  const waitUntil = (work: Promise<void> | void) => {
    if (work === undefined) {
      return;
    }
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  const wsServer = useServer<Record<string, unknown>, SocketExtra>(
    {
      connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
      execute: (args) => guarded(() => envelopedRoot(args).execute(args)),
      subscribe: (args) => guarded(() => envelopedRoot(args).subscribe(args)),
      onConnect: async (ctx) => {
        const closed = new AbortController();
        ctx.extra.socket.once("close", () => closed.abort());
        ctx.extra.closed = closed;
        if (authenticate === null) {
          ctx.extra.viewer = OPEN_VIEWER;
          return true;
        }
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        try {
          ctx.extra.viewer = await authenticate(typeof header === "string" ? header : undefined);
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, message) => {
        // graphql-ws registers the operation before this hook: it counts itself.
        if (Object.keys(ctx.subscriptions).length > maxOperationsPerSocket) {
          return [tooManySubscriptions(maxOperationsPerSocket, "socket")];
        }
        const upgrade = ctx.extra.request;
        try {
          const params = persistedOperations.resolve(
            {
              query: message.query,
              variables: message.variables ?? undefined,
              ...(message.operationName == null ? {} : { operationName: message.operationName }),
              ...(message.extensions == null ? {} : { extensions: message.extensions }),
            },
            clientKeyOf(ctx.extra.viewer, upgrade.socket.remoteAddress),
          );
          const initial: YogaInitialContext & GatewayServerContext = {
            // A fetch Request like HTTP's, so plugins and the context factory see one shape; its
            // signal aborts when the socket closes.
            request: new Request(`http://${upgrade.headers.host ?? "gateway"}${Route.graphql}`, {
              headers: headersOf(upgrade),
              ...(ctx.extra.closed === undefined ? {} : { signal: ctx.extra.closed.signal }),
            }),
            waitUntil,
            params,
            req: upgrade,
            socket: ctx.extra.socket,
            ...(ctx.extra.viewer === undefined ? {} : { viewer: ctx.extra.viewer }),
          };
          const {
            schema: enveloped,
            execute,
            subscribe,
            contextFactory,
            parse,
            validate,
          } = yoga.getEnveloped(initial);
          const document = parse(params.query ?? "");
          const errors = validate(enveloped, document);
          if (errors.length > 0) {
            return errors;
          }
          return {
            schema: enveloped,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: new EnvelopedRoot(execute, subscribe),
          };
        } catch (error) {
          // A refused persisted operation, a syntax error, a document over a limit, or a
          // context that could not be built: an error message for this operation, never a
          // 4500 close of the whole socket with the error's text.
          return [mask(error)];
        }
      },
    },
    sockets,
    keepAliveMs,
  );

  return {
    handleUpgrade(request, socket, head) {
      sockets.handleUpgrade(request, socket, head, (ws) => {
        const origin = request.headers.origin;
        if (!originAllowed(origin, request.headers.host, allowedOrigins)) {
          // A refused HTTP upgrade reaches a browser page as a bare error (Chromium even calls
          // a 401 an authentication failure); a close frame's code and reason reach it intact.
          ws.close(WsCloseCode.Forbidden, originRefusal(origin ?? ""));
          return;
        }
        // Heard before graphql-ws's own listener: it would close 4500 (its internal error) for a
        // message of a type only the server sends, and a client's mistake is no server fault.
        ws.on("message", (data, isBinary) => {
          const type = isBinary ? undefined : serverOnlyType(data.toString());
          if (type !== undefined) {
            ws.close(
              WsCloseCode.BadRequest,
              `A client does not send ${type}: it is a message of the server.`,
            );
          }
        });
        sockets.emit("connection", ws, request);
      });
    },
    closeAll(code, reason) {
      for (const socket of sockets.clients) {
        socket.close(code, reason);
      }
    },
    async dispose() {
      await wsServer.dispose();
      await Promise.all(pending);
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    },
  };
}

/** No Origin (a service), the gateway's own origin, or a listed one. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined || origin === "") {
    return true;
  }
  try {
    if (host !== undefined && new URL(origin).host === host) {
      return true;
    }
  } catch {
    return false;
  }
  return allowed.includes(origin);
}

/** The close reason of a refused origin, naming it and the setting, within 123 bytes. */
export function originRefusal(origin: string): string {
  const reason = (shown: string) =>
    `Origin ${shown} is not allowed: add it to GATEWAY_CORS_ORIGINS`;
  const room = MAX_CLOSE_REASON_BYTES - Buffer.byteLength(reason(""));
  const ascii = origin.replace(/[^\x20-\x7e]/g, "?");
  return reason(ascii.length <= room ? ascii : `${ascii.slice(0, room - 3)}...`);
}

/**
 * A subscription's results, its failure turned into one last masked error result. Not an async
 * generator: a generator's `return()` waits for the `next()` in progress, which waits for the
 * next event, so a completed subscription would keep listening until then. Here `return()`
 * reaches the stream at once.
 */
function maskedStream(
  stream: AsyncIterable<ExecutionResult>,
  mask: (error: unknown) => GraphQLError,
): AsyncIterableIterator<ExecutionResult> {
  const inner = stream[Symbol.asyncIterator]();
  let failed = false;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (failed) {
        return { done: true, value: undefined };
      }
      try {
        return await inner.next();
      } catch (error) {
        failed = true;
        return { done: false, value: { errors: [mask(error)] } };
      }
    },
    async return(value?: unknown) {
      failed = true;
      return (await inner.return?.(value)) ?? { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") {
      headers.set(name, value);
    } else if (Array.isArray(value)) {
      for (const item of value) {
        headers.append(name, item);
      }
    }
  }
  return headers;
}

/** Messages of graphql-transport-ws that only a server sends. */
const SERVER_ONLY_TYPES = new Set(["next", "error", "connection_ack"]);

/** Cheap first look, so that a client's ordinary messages are not parsed twice. */
const MAY_BE_SERVER_ONLY = /"(?:next|error|connection_ack)"/;

/** The type of a message only a server sends, when `text` is one; undefined otherwise. */
function serverOnlyType(text: string): string | undefined {
  if (!MAY_BE_SERVER_ONLY.test(text)) {
    return undefined;
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    // graphql-ws refuses what is not JSON itself, with 4400.
    return undefined;
  }
  const type =
    typeof message === "object" && message !== null && "type" in message ? message.type : undefined;
  return typeof type === "string" && SERVER_ONLY_TYPES.has(type) ? type : undefined;
}
