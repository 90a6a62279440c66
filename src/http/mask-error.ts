import { GraphQLError } from "graphql";
import { maskError } from "graphql-yoga";
import { ErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";

/**
 * How an error reaches a client (Yoga's `maskedErrors.maskError`, over HTTP and graphql-ws):
 * a contract error as it is, a value Crisp answered that its field cannot hold as a coded
 * UPSTREAM_UNAVAILABLE at that field, anything else as Yoga's "Unexpected error.".
 *
 * The middle case is Crisp's data, not a bug here: a state, message type or sender Crisp added
 * after this gateway's release, or a malformed answer (an object for a nickname), which the
 * field's type refuses while serializing it. Neither the client's message nor the log line
 * carries the value: it may be personal data.
 */
export function createErrorMasker(logger: Logger | null) {
  return (error: unknown, message: string): Error => {
    if (error instanceof GraphQLError && error.path !== undefined && isRefusedValue(error)) {
      refusalsTold.add(error);
      logger?.warn(
        { field: error.path.join(".") },
        "Crisp answered a value its field cannot hold (a value newer than this gateway, or a malformed answer)",
      );
      return new GraphQLError(
        "Crisp answered a value this field cannot hold: one newer than this gateway knows, or a malformed answer.",
        {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE },
        },
      );
    }
    return maskError(error, message, false);
  };
}

/** Refusals already logged here (without their value): Yoga logs every error it masks, value and all. */
const refusalsTold = new WeakSet<object>();

/** Whether the masker already told this error (Yoga's own log line of it is then left out). */
export function toldAsRefusedValue(error: unknown): boolean {
  return typeof error === "object" && error !== null && refusalsTold.has(error);
}

/**
 * How a leaf type's serializer refuses a value: graphql-js (`String cannot represent value:`,
 * `Enum "MessageType" cannot represent value:`), graphql-scalars (`SafeInt cannot represent
 * non-integer value:`, `DateTime cannot represent …`), the executor's check of a serializer
 * answering nothing, and a field Crisp left out that is never null (every non-null field
 * holds what Crisp answers, or an id the gateway fills in itself). Matched by message because
 * the executor re-throws a serializer's GraphQLError as a plain Error (@graphql-tools/executor,
 * `completeLeafValue`); test/error-masking.test.ts fails if that ever changes shape.
 */
const REFUSED_VALUE =
  /^(?:(?:Enum "\w+"|\w+) cannot represent |Expected `\w+\.serialize\(|Cannot return null for non-nullable field )/;

function isRefusedValue(error: GraphQLError): boolean {
  const original: unknown = error.originalError;
  return original instanceof Error && REFUSED_VALUE.test(original.message);
}
