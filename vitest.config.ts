import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (`main`) and ESM (`module`) builds. Node loads dependencies
    // such as graphql-yoga with the CommonJS one, while Vite would give our own files the ESM
    // one: two copies of graphql, and "Cannot use GraphQLObjectType from another realm".
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // vitest's own timeouts (5 s a test, 10 s a hook): tests wait on signals, not time; the
    // few that spawn processes or drive Chromium say so with their own timeout.
    // No test may emit a MaxListenersExceededWarning (issue 12.6).
    setupFiles: ["test/setup/no-listener-leaks.ts"],
  },
});
