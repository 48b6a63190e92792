#!/usr/bin/env node
// `npm start`: installs what is missing (scripts/bootstrap.mjs, on the Node that invoked npm),
// then on the project's Node 24: creates .dev.vars from the example if missing, applies the
// local D1 migrations and serves the Worker on 127.0.0.1:$PORT (default 8787) with embedded
// D1, Durable Objects and Queues, and the cron handler reachable at /__scheduled.
// SWITCHYARD_STATE_DIR overrides where local state lives; SWITCHYARD_VARS_FILE names a vars
// file used instead of .dev.vars (the e2e harness uses both). Extra flags go to `wrangler dev`:
// `npm start -- --var NAME:VALUE`.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { bootstrapOrExit, repoRoot } from "./bootstrap.mjs";
import { startPlan } from "./start-plan.mjs";

const root = repoRoot();
const node = bootstrapOrExit(root);
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const plan = startPlan(process.env, process.argv.slice(2));

if (plan.createDevVars && !existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("created .dev.vars from .dev.vars.example");
}

const migrate = spawnSync(node, [wrangler, ...plan.migrateArgs], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const child = spawn(node, [wrangler, ...plan.devArgs], { cwd: root, stdio: "inherit", env: process.env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
