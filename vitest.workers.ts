import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { ViteUserConfig } from "vitest/config";

/** Secrets the in-workerd tests and benches run with; the same names as .dev.vars.example. */
export const TEST_SECRETS = {
  ADMIN_TOKEN: "test-admin-token",
  ENCRYPTION_KEY: "q0Kx7o5n8m8mJ2m0Yy6QwV3H1cC9dE4fG7hJ2kL5nP0=",
  JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
  SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
  OUTBOUND_ALLOW: "loopback",
  MAX_BODY_BYTES: "1048576",
    EVENT_RETENTION_DAYS: "30",
    LARGE_BODY_RETENTION_DAYS: "7",
    LARGE_BODY_BYTES: "65536",
  JWKS_URL: "",
  JWT_ISSUER: "",
  JWT_AUDIENCE: "",
  // Stored in D1 before the answer, so a test can read an event right after posting it; the
  // queue-first modes are tested on their own (test/routes/triggers/queue-first.test.ts).
  INGEST_MODE: "d1",
};

/**
 * A vitest config whose files run inside workerd with the Worker of wrangler.toml, real
 * local D1 (committed migrations applied by test/setup.ts), Durable Objects and Queues.
 */
export async function workersConfig(test: NonNullable<ViteUserConfig["test"]>): Promise<ViteUserConfig> {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations } },
      }),
    ],
    test: { setupFiles: ["./test/setup.ts"], ...test },
  };
}
