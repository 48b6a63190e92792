import { defineConfig } from "vitest/config";
import { workersConfig } from "./vitest.workers";

/** Benchmarks that run inside workerd with real local D1/Queues/DO (used by `npm run bench`). */
export default defineConfig(() =>
  workersConfig({
    include: ["bench/workers/**/*.bench.test.ts"],
    testTimeout: 300_000,
    fileParallelism: false,
  }),
);
