import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: they run in Node, start the real `npm start` server (wrangler dev with
 * local D1, DO and Queues) once on a free 127.0.0.1 port with fresh state, and drive it from outside.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["./test/e2e/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 150_000,
    fileParallelism: false,
  },
});
