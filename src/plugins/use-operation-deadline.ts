import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import { ErrorCode, GatewayError } from "../errors.js";

/**
 * Bounds how long a query or mutation may take, retries and slow pages included: past
 * `deadlineMs` the client gets GATEWAY_TIMEOUT instead of a hung request. Crisp requests still
 * under way finish in the background and fill the shared cache for the next try, but no new
 * read starts (the operation's budget has ended, src/budget.ts); a write still in flight is
 * not abandoned (its effect will show in later reads).
 */
export function useOperationDeadline({ deadlineMs }: { deadlineMs: number }): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(
            () =>
              resolve({
                errors: [
                  new GatewayError(
                    ErrorCode.GATEWAY_TIMEOUT,
                    `Crisp did not answer within the operation's ${Math.round(deadlineMs / 1000)} s deadline.`,
                  ),
                ],
              }),
            deadlineMs,
          );
        });
        try {
          return await Promise.race([executeFn(args) as Promise<ExecutionResult>, deadline]);
        } finally {
          clearTimeout(timer);
        }
      });
    },
  };
}
