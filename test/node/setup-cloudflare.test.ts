/**
 * `npm run setup:cloudflare` with wrangler stubbed on PATH (no network here): the right
 * commands in the right order, the database id written into wrangler.toml and nothing else
 * changed, secrets passed on stdin (never argv), a second run that creates and puts nothing
 * and leaves wrangler.toml byte-identical, and clear failures.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const script = join(root, "scripts", "setup-cloudflare.mjs");
const DB_ID = "6f1c2a9e-1111-4222-8333-444455556666";

// A fake wrangler: records argv and stdin per call, keeps account state in state.json.
const STUB = `#!/usr/bin/env node
const fs = require("node:fs");
const dir = process.env.STUB_DIR;
const statePath = dir + "/state.json";
const st = JSON.parse(fs.readFileSync(statePath, "utf8"));
const args = process.argv.slice(2);
let stdin = "";
try { stdin = fs.readFileSync(0, "utf8"); } catch {}
fs.appendFileSync(dir + "/calls.jsonl", JSON.stringify({ args, stdin }) + "\\n");
const save = () => fs.writeFileSync(statePath, JSON.stringify(st));
const cmd = args.slice(0, 2).join(" ");
if (st.fail && cmd === st.fail) { process.stderr.write("✘ [ERROR] A request to the Cloudflare API failed. (code: 7003)\\n"); process.exit(1); }
if (args[0] === "whoami") { if (!st.loggedIn) { process.stderr.write("You are not authenticated.\\n"); process.exit(1); } console.log(JSON.stringify({ loggedIn: true, email: "ops@example.com" })); process.exit(0); }
if (cmd === "d1 list") { console.log(JSON.stringify(st.dbs)); process.exit(0); }
if (cmd === "d1 create") { st.dbs.push({ uuid: "${DB_ID}", name: args[2] }); save(); console.log("✅ Successfully created DB '" + args[2] + "'"); process.exit(0); }
if (cmd === "queues list") { console.log("┌──────┬──────┐\\n│ id │ name │\\n" + st.queues.map((q) => "│ q-1 │ " + q + " │").join("\\n") + "\\n└──────┘"); process.exit(0); }
if (cmd === "queues create") { st.queues.push(args[2]); save(); console.log("Created queue " + args[2]); process.exit(0); }
if (cmd === "secret list") { if (!st.workerExists) { process.stderr.write("✘ [ERROR] This Worker does not exist on your account. [code: 10007]\\n"); process.exit(1); } console.log(JSON.stringify(Object.keys(st.secrets).map((name) => ({ name, type: "secret_text" })))); process.exit(0); }
if (cmd === "secret put") { st.secrets[args[2]] = stdin.trim(); st.workerExists = true; save(); console.log("✨ Success! Uploaded secret " + args[2]); process.exit(0); }
process.stderr.write("stub: unexpected " + args.join(" ") + "\\n"); process.exit(3);
`;

let dir: string;
let project: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "setup-cf-"));
  project = join(dir, "project");
  mkdirSync(project);
  copyFileSync(join(root, "wrangler.toml"), join(project, "wrangler.toml"));
  writeFileSync(join(dir, "wrangler"), STUB);
  chmodSync(join(dir, "wrangler"), 0o755);
  writeFileSync(join(dir, "calls.jsonl"), "");
  state({ loggedIn: true, dbs: [{ uuid: "other", name: "unrelated" }], queues: [], secrets: {}, workerExists: false });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function state(s?: object) {
  if (s) writeFileSync(join(dir, "state.json"), JSON.stringify(s));
  return JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
}
const calls = () => readFileSync(join(dir, "calls.jsonl"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { args: string[]; stdin: string });
const run = () => spawnSync(process.execPath, [script], { encoding: "utf8", env: { PATH: `${dir}${delimiter}${process.env.PATH}`, STUB_DIR: dir, SWITCHYARD_PROJECT_DIR: project, HOME: dir } });

describe("npm run setup:cloudflare", () => {
  it("creates the database and both queues, writes the id, puts every secret on stdin, then prints the next command", () => {
    const before = readFileSync(join(project, "wrangler.toml"), "utf8");
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(calls().map((c) => c.args.slice(0, 3).join(" "))).toEqual([
      "whoami --json", "d1 list --json", "d1 create switchyard", "d1 list --json", "queues list", "queues list --page",
      "queues create switchyard-tasks", "queues create switchyard-dlq", "secret list --format",
      "secret put ADMIN_TOKEN", "secret put ENCRYPTION_KEY", "secret put JWT_SECRET", "secret put SESSION_SECRET",
    ]);
    const after = readFileSync(join(project, "wrangler.toml"), "utf8");
    expect(after).toContain(`database_id = "${DB_ID}"`);
    // Only the database_id line changed.
    expect(after.split("\n").filter((l, i) => l !== before.split("\n")[i])).toEqual([`database_id = "${DB_ID}"`]);
    const s = state();
    expect(Object.keys(s.secrets)).toEqual(["ADMIN_TOKEN", "ENCRYPTION_KEY", "JWT_SECRET", "SESSION_SECRET"]);
    expect(Buffer.from(s.secrets.ENCRYPTION_KEY, "base64")).toHaveLength(32);
    expect(s.secrets.JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    for (const c of calls()) for (const v of Object.values(s.secrets) as string[]) expect(c.args.join(" ")).not.toContain(v);
    expect(r.stdout).toContain(s.secrets.ADMIN_TOKEN); // shown once
    expect(r.stdout.trim().split("\n").at(-1)).toBe("Ready. Next: npm run deploy");
  });

  it("a second run creates and puts nothing, rotates no secret, and leaves wrangler.toml byte-identical", () => {
    expect(run().status).toBe(0);
    const toml = readFileSync(join(project, "wrangler.toml"));
    const secrets = state().secrets;
    writeFileSync(join(dir, "calls.jsonl"), "");
    const again = run();
    expect(again.status, again.stderr).toBe(0);
    expect(calls().map((c) => c.args.slice(0, 2).join(" "))).toEqual(["whoami --json", "d1 list", "queues list", "secret list"]);
    expect(readFileSync(join(project, "wrangler.toml")).equals(toml)).toBe(true);
    expect(state().secrets).toEqual(secrets);
    expect(again.stdout).not.toContain(secrets.ADMIN_TOKEN);
  });

  it("puts only the secrets that are missing", () => {
    state({ ...state(), workerExists: true, secrets: { ADMIN_TOKEN: "keep-me", JWT_SECRET: "keep-too" } });
    expect(run().status).toBe(0);
    expect(calls().filter((c) => c.args[1] === "put").map((c) => c.args[2])).toEqual(["ENCRYPTION_KEY", "SESSION_SECRET"]);
    expect(state().secrets.ADMIN_TOKEN).toBe("keep-me");
  });

  it("stops with a clear message when wrangler is not logged in, before touching anything", () => {
    state({ ...state(), loggedIn: false });
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("wrangler is not logged in");
    expect(r.stderr).toContain("npx wrangler login");
    expect(calls()).toHaveLength(1);
  });

  it("a failing wrangler command exits 1 with wrangler's message", () => {
    state({ ...state(), fail: "queues create" });
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("`wrangler queues create switchyard-tasks` failed");
    expect(r.stderr).toContain("A request to the Cloudflare API failed. (code: 7003)");
  });
});
