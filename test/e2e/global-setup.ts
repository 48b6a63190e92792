/**
 * Starts the real server once for all e2e files: `node scripts/start.mjs` (exactly what
 * `npm start` runs) on a free 127.0.0.1 port with a fresh state directory, and stops it
 * afterwards. Bounded: gives up after 120 s of waiting for /healthz.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function readDevVar(root: string, name: string): string {
  const text = readFileSync(join(root, ".dev.vars"), "utf8");
  const m = new RegExp(`^${name}=(.*)$`, "m").exec(text);
  if (!m) throw new Error(`${name} missing from .dev.vars`);
  return m[1]!.trim();
}

let child: ChildProcess | undefined;
let stateDir: string | undefined;

export default async function setup(project: TestProject) {
  const root = process.cwd();
  const port = await freePort();
  stateDir = mkdtempSync(join(tmpdir(), "switchyard-e2e-"));
  const log: string[] = [];
  child = spawn(process.execPath, [join(root, "scripts", "start.mjs")], {
    cwd: root,
    env: { ...process.env, PORT: String(port), SWITCHYARD_STATE_DIR: stateDir },
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
  project.provide("adminToken", readDevVar(root, "ADMIN_TOKEN"));
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
