/**
 * Starts the real server once for all e2e files: `node scripts/start.mjs` (exactly what
 * `npm start` runs) on a free 127.0.0.1 port with a fresh state directory and its own vars
 * file (never the developer's .dev.vars), and stops it afterwards. Bounded: gives up after
 * 120 s of waiting for /healthz.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminToken: string;
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the listener is closed before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * Every variable the Worker reads, set explicitly for the e2e server: fresh random secrets
 * per run, outbound delivery to loopback allowed (the tests' receivers are on 127.0.0.1),
 * and the wrangler.toml defaults for the rest, so a developer's .dev.vars cannot change them.
 */
export function e2eVars(): Record<string, string> {
  return {
    ADMIN_TOKEN: `e2e-admin-${randomBytes(16).toString("hex")}`,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JWT_SECRET: randomBytes(32).toString("hex"),
    SESSION_SECRET: randomBytes(32).toString("hex"),
    OUTBOUND_ALLOW: "loopback",
    MAX_BODY_BYTES: "1048576",
    EVENT_RETENTION_DAYS: "30",
    LARGE_BODY_RETENTION_DAYS: "7",
    LARGE_BODY_BYTES: "65536",
    JWKS_URL: "",
    JWT_ISSUER: "",
    JWT_AUDIENCE: "",
    // What npm start uses anyway (scripts/start-plan.mjs); named here so the file is complete.
    INGEST_MODE: "inbox",
  };
}

/** Writes `vars` as KEY=VALUE lines to `dir`/e2e.vars (mode 0600) and returns its path. */
export function writeVarsFile(dir: string, vars: Record<string, string>): string {
  const file = join(dir, "e2e.vars");
  const text = Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join("");
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/**
 * How the harness starts `npm start`: the current Node on scripts/start.mjs, with PORT, the
 * state directory and SWITCHYARD_VARS_FILE set, and wrangler told to load vars only from
 * that file (no process environment, no .dev.vars), whatever the caller's `env` says.
 */
export function e2eLaunch(o: { root: string; port: number; stateDir: string; varsFile: string; env: NodeJS.ProcessEnv }) {
  return {
    command: process.execPath,
    args: [join(o.root, "scripts", "start.mjs")],
    env: {
      ...o.env,
      PORT: String(o.port),
      SWITCHYARD_STATE_DIR: o.stateDir,
      SWITCHYARD_VARS_FILE: o.varsFile,
      CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
    },
  };
}

let child: ChildProcess | undefined;
let stateDir: string | undefined;

export default async function setup(project: TestProject) {
  const root = process.cwd();
  const port = await freePort();
  stateDir = mkdtempSync(join(tmpdir(), "switchyard-e2e-"));
  const vars = e2eVars();
  const launch = e2eLaunch({ root, port, stateDir, varsFile: writeVarsFile(stateDir, vars), env: process.env });
  const log: string[] = [];
  child = spawn(launch.command, launch.args, {
    cwd: root,
    env: launch.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d) => log.push(String(d)));
  child.stderr!.on("data", (d) => log.push(String(d)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${log.join("")}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy in 120 s:\n${log.join("")}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  project.provide("baseUrl", baseUrl);
  project.provide("adminToken", vars.ADMIN_TOKEN!);
  if (process.env.E2E_LOG) child.stdout!.pipe(process.stdout);

  return async () => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  };
}
