import { defineConfig } from "vitest/config";

/**
 * `npm test`, first part: tests of the tooling around the Worker (the install bootstrap, the
 * e2e harness's server config). They run in plain Node with real temporary directories.
 */
export default defineConfig({
  test: {
    include: ["test/node/**/*.test.ts"],
    environment: "node",
    testTimeout: 20_000,
  },
});
