import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Servers under test listen on real loopback ports; keep a slow shared machine from
    // turning into flaky timeouts.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
