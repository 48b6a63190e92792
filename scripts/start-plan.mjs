// What `npm start` runs, as data (so it can be tested without starting wrangler).

/**
 * The plan of `npm start` for environment `env` and extra command-line flags `extra`:
 * `migrateArgs` for `wrangler d1 migrations apply`, `devArgs` for `wrangler dev` (127.0.0.1,
 * PORT or 8787, SWITCHYARD_STATE_DIR as --persist-to, then `extra` verbatim, e.g.
 * `--var NAME:VALUE`). With SWITCHYARD_VARS_FILE set, wrangler loads only that file
 * (--env-file; it then skips .dev.vars) and `createDevVars` is false; otherwise .dev.vars is
 * used and created from .dev.vars.example when missing. The ingest mode is `--var
 * INGEST_MODE:<env.INGEST_MODE or "inbox">` unless `extra` names INGEST_MODE itself: local
 * Queues lose unconsumed messages on a restart, so `npm start` holds an acknowledged webhook
 * in a Durable Object (which persists) until D1 has it (docs/api.md, "Ingest").
 */
export function startPlan(env, extra) {
  const port = env.PORT || "8787";
  const persist = env.SWITCHYARD_STATE_DIR ? ["--persist-to", env.SWITCHYARD_STATE_DIR] : [];
  const varsFile = env.SWITCHYARD_VARS_FILE || undefined;
  return {
    createDevVars: !varsFile,
    migrateArgs: ["d1", "migrations", "apply", "DB", "--local", ...persist],
    devArgs: [
      "dev", "--ip", "127.0.0.1", "--port", port, "--test-scheduled", "--show-interactive-dev-session=false",
      ...persist,
      ...(varsFile ? ["--env-file", varsFile] : []),
      ...(extra.some((a) => String(a).includes("INGEST_MODE")) ? [] : ["--var", `INGEST_MODE:${env.INGEST_MODE || "inbox"}`]),
      ...extra,
    ],
  };
}
