import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./vitest.config";

/** Benchmarks that run inside workerd with real local D1/Queues/DO (used by `npm run bench`). */
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations } },
      }),
    ],
    test: {
      include: ["bench/workers/**/*.bench.test.ts"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 300_000,
      fileParallelism: false,
    },
  };
});
