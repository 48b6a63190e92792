/**
 * A throwaway `npm start` for tooling (gen:client, benches): scripts/start.mjs on a free
 * 127.0.0.1 port, fresh state in a temp dir, random secrets in its own vars file (no
 * .dev.vars, no process env). `stop()` kills only the process group it started and removes
 * the state. Plain Node ≥ 20, `node:*` modules only.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * Starts the server and resolves once `/healthz` answers (rejects after 120 s or if it exits).
 * @param {{root: string, vars?: Record<string, string>}} o extra vars override the defaults
 * @returns {Promise<{baseUrl: string, adminToken: string, stop: () => Promise<void>}>}
 */
export async function startDevServer(o) {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "switchyard-dev-"));
  const vars = {
    ADMIN_TOKEN: `dev-${randomBytes(16).toString("hex")}`,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JWT_SECRET: randomBytes(32).toString("hex"),
    SESSION_SECRET: randomBytes(32).toString("hex"),
    ...(o.vars ?? {}),
  };
  const varsFile = join(state, "dev.vars");
  writeFileSync(varsFile, Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
  const child = spawn(process.execPath, [join(o.root, "scripts", "start.mjs")], {
    cwd: o.root,
    env: { ...process.env, PORT: String(port), SWITCHYARD_STATE_DIR: state, SWITCHYARD_VARS_FILE: varsFile, CLOUDFLARE_INCLUDE_PROCESS_ENV: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    await new Promise((r) => setTimeout(r, 300));
    rmSync(state, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the server exited early:\n${log}`);
    }
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return { baseUrl, adminToken: vars.ADMIN_TOKEN, stop };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`the server did not become healthy within 120 s:\n${log}`);
}
