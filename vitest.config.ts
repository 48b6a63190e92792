import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Secrets the tests run with; the same names as .dev.vars.example. */
export const TEST_SECRETS = {
  ADMIN_TOKEN: "test-admin-token",
  ENCRYPTION_KEY: "q0Kx7o5n8m8mJ2m0Yy6QwV3H1cC9dE4fG7hJ2kL5nP0=",
  JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
  OUTBOUND_ALLOW: "loopback",
};

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
      include: ["test/unit/**/*.test.ts", "test/routes/**/*.test.ts", "src/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 20_000,
    },
  };
});
