// How the project's Node scripts run wrangler: the `wrangler` on PATH (npm puts node_modules/.bin
// there; tests put a stub first), with the project's own node_modules/.bin appended as a fallback
// for a plain `node scripts/x.mjs`.
import { spawnSync } from "node:child_process";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const fallbackBin = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".bin");

/** An error whose message is meant for the operator as is (no stack trace). */
export class WranglerError extends Error {}

/**
 * Runs `wrangler args` in cwd and returns { ok, stdout, stderr }. `input` is written to its
 * stdin (so secrets never appear on argv); `inherit` shows its output live instead of capturing
 * it. Throws WranglerError with wrangler's own message when it exits non-zero (unless allowFail)
 * or cannot be started.
 */
export function runWrangler(args, { cwd = process.cwd(), input, allowFail = false, inherit = false } = {}) {
  const env = { ...process.env, PATH: [process.env.PATH ?? "", fallbackBin].filter(Boolean).join(delimiter) };
  const r = spawnSync("wrangler", args, {
    cwd,
    env,
    encoding: "utf8",
    ...(inherit ? { stdio: "inherit" } : { input: input ?? "" }),
  });
  if (r.error) {
    throw new WranglerError(
      r.error.code === "ENOENT"
        ? "wrangler was not found on PATH: run `npm ci` and start this through npm (`npm run …`)"
        : `wrangler ${args.join(" ")}: ${r.error.message}`,
    );
  }
  const stdout = r.stdout ?? "";
  const stderr = r.stderr ?? "";
  if (r.status !== 0 && !allowFail) {
    const msg = `${stderr}\n${stdout}`.trim();
    throw new WranglerError(`\`wrangler ${args.join(" ")}\` failed (exit ${r.status})${msg ? `:\n${msg}` : ""}`);
  }
  return { ok: r.status === 0, stdout, stderr };
}
