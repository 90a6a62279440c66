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
    setupFiles: ["test/setup/file-cleanups.ts", "test/setup/no-listener-leaks.ts"],
    // Test files share a worker's module cache: no test keeps state in a module (each starts
    // its own simulator, gateway and Redis scope, stopped with its test or its file:
    // test/helpers/cleanup.ts), and importing the schema and servers once
    // per worker instead of once per file halves the suite (CI runs it on three Node lines).
    isolate: false,
  },
});
