import { applyD1Migrations, env } from "cloudflare:test";

// Every test file starts from the committed migrations (idempotent: applied ones are skipped).
await applyD1Migrations(env.DB, (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS);
