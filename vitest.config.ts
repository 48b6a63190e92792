import { defineConfig } from "vitest/config";
import { workersConfig } from "./vitest.workers";

/** `npm test`, first half: unit and route tests inside workerd. */
export default defineConfig(() =>
  workersConfig({
    include: ["test/unit/**/*.test.ts", "test/routes/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 20_000,
  }),
);
