import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { readOnlyError, type Viewer } from "../auth.js";

/**
 * A read-only client calling a mutation gets FORBIDDEN before anything runs: no input check,
 * no Crisp request, whatever the mutation's arguments.
 */
export function useReadOnlyViewers(): Plugin<{ viewer?: Viewer }> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      const viewer = args.contextValue.viewer;
      if (
        operation?.operation === "mutation" &&
        viewer !== undefined &&
        viewer.access !== "write"
      ) {
        setResultAndStopExecution({ errors: [readOnlyError(viewer)] });
      }
    },
  };
}
