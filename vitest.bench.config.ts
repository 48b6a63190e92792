import { defineConfig } from "vitest/config";
import { workersConfig } from "./vitest.workers";

/** Benchmarks that run inside workerd with real local D1/Queues/DO (used by `npm run bench`). */
export default defineConfig(() =>
  workersConfig({
    include: ["bench/workers/**/*.bench.test.ts"],
    testTimeout: 300_000,
    fileParallelism: false,
    // BENCH_BREAKDOWN=1 prints every D1 statement of a per-event figure with its rows written.
    provide: { benchBreakdown: process.env.BENCH_BREAKDOWN === "1" },
  }),
);

declare module "vitest" {
  export interface ProvidedContext {
    benchBreakdown: boolean;
  }
}
