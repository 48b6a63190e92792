#!/usr/bin/env node
// `npm run deploy`: applies the D1 migrations to the remote database, then `wrangler deploy`.
// wrangler exits 0 when the operator answers "no" to its "About to apply N migration(s)"
// question, so `apply && deploy` would ship new code onto the old schema. This script checks
// with `wrangler d1 migrations list DB --remote` that none is left before it deploys.
import { runWrangler, WranglerError } from "./wrangler-run.mjs";

try {
  runWrangler(["d1", "migrations", "apply", "DB", "--remote"], { inherit: true });
  const left = runWrangler(["d1", "migrations", "list", "DB", "--remote"]).stdout;
  if (!left.includes("No migrations to apply")) {
    throw new WranglerError(`D1 migrations are still unapplied, so the Worker was not deployed:\n${left.trim()}`);
  }
  runWrangler(["deploy", ...process.argv.slice(2)], { inherit: true });
} catch (e) {
  if (!(e instanceof WranglerError)) throw e;
  console.error(`deploy: ${e.message}`);
  process.exit(1);
}
