import { GraphQLError, NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * For production: no introspection (unless enabled), and no "Did you mean …?" in validation
 * errors, which would otherwise let a client map the schema field by field.
 */
export function useProductionSchemaPrivacy({
  introspection,
  suggestions,
}: {
  introspection: boolean;
  suggestions: boolean;
}): Plugin {
  return {
    onValidate({ addValidationRule }) {
      if (!introspection) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      }
      return ({ result, setResult }) => {
        if (suggestions || result.length === 0) {
          return;
        }
        setResult(
          result.map(
            (error) =>
              new GraphQLError(error.message.replace(/\s*Did you mean .*\?$/, ""), {
                nodes: error.nodes,
                extensions: error.extensions,
              }),
          ),
        );
      };
    },
  };
}
