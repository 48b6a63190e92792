#!/usr/bin/env node
// `npm start`: creates .dev.vars from the example if missing, applies the local D1
// migrations, then serves the Worker on 127.0.0.1:$PORT (default 8787) with embedded
// D1, Durable Objects and Queues, and the cron handler reachable at /__scheduled.
// SWITCHYARD_STATE_DIR overrides where local state lives (the e2e tests use a fresh one).
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
// Wrangler needs Node >= 22: prefer the project's own Node 24 (the `node` devDependency),
// so `node scripts/start.mjs` works even when the machine's Node is older.
const localNode = join(root, "node_modules", ".bin", "node");
const node = existsSync(localNode) ? localNode : process.execPath;
const port = process.env.PORT ?? "8787";
const state = process.env.SWITCHYARD_STATE_DIR;
const persist = state ? ["--persist-to", state] : [];

if (!existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("created .dev.vars from .dev.vars.example");
}

const migrate = spawnSync(node, [wrangler, "d1", "migrations", "apply", "DB", "--local", ...persist], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const args = [wrangler, "dev", "--ip", "127.0.0.1", "--port", port, "--test-scheduled", "--show-interactive-dev-session=false", ...persist];
const child = spawn(node, args, { cwd: root, stdio: "inherit", env: process.env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
