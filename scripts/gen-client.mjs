#!/usr/bin/env node
/**
 * `npm run gen:client`: regenerates the committed typed client from the real app.
 * It starts the Worker as `npm start` does (wrangler dev, fresh state in a temp dir, random
 * secrets, a free 127.0.0.1 port), reads `/openapi.json`, stops the server, then writes
 * `client/openapi.json` (2-space JSON, trailing newline) and `client/schema.d.ts`
 * (openapi-typescript's output for that document, see client/generate.mjs).
 * With SWITCHYARD_URL set, it reads `/openapi.json` from that server instead of starting one.
 * `npm test` fails when either file is stale (test/routes/contract/client.test.ts, test/node/client.test.ts).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTypes, openapiText } from "../client/generate.mjs";

const root = join(import.meta.dirname, "..");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function fetchDocument(base) {
  const res = await fetch(`${base}/openapi.json`);
  if (!res.ok) throw new Error(`${base}/openapi.json answered ${res.status}`);
  return res.json();
}

async function fromFreshServer() {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "switchyard-gen-"));
  const vars = {
    ADMIN_TOKEN: randomBytes(16).toString("hex"),
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    JWT_SECRET: randomBytes(32).toString("hex"),
    SESSION_SECRET: randomBytes(32).toString("hex"),
  };
  const varsFile = join(state, "gen.vars");
  writeFileSync(varsFile, Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
  const child = spawn(process.execPath, [join(root, "scripts", "start.mjs")], {
    cwd: root,
    env: { ...process.env, PORT: String(port), SWITCHYARD_STATE_DIR: state, SWITCHYARD_VARS_FILE: varsFile, CLOUDFLARE_INCLUDE_PROCESS_ENV: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 240; i++) {
      if (child.exitCode !== null) throw new Error(`the server exited early:\n${log}`);
      try {
        return await fetchDocument(base);
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`the server did not answer /openapi.json within 120 s:\n${log}`);
  } finally {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    await new Promise((r) => setTimeout(r, 300));
    rmSync(state, { recursive: true, force: true });
  }
}

const doc = process.env.SWITCHYARD_URL ? await fetchDocument(process.env.SWITCHYARD_URL) : await fromFreshServer();
writeFileSync(join(root, "client", "openapi.json"), openapiText(doc));
writeFileSync(join(root, "client", "schema.d.ts"), await generateTypes(doc));
console.log(`client/openapi.json and client/schema.d.ts written (${Object.keys(doc.paths).length} paths)`);
