/**
 * `npm run deploy` (scripts/deploy.mjs) against a stub `wrangler` first on PATH that records its
 * invocations: remote migrations first, then `wrangler deploy`, and no deploy when migrations
 * are left unapplied (wrangler exits 0 when the operator declines them) or when applying fails.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const SCRIPT = resolve(__dirname, "../../scripts/deploy.mjs");

// STUB_MODE: "ok" applies everything; "declined" applies nothing but exits 0; "fail" exits 1.
const STUB = String.raw`
const fs = require("node:fs");
const argv = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_LOG, argv.join(" ") + "\n");
const mode = process.env.STUB_MODE;
const cmd = argv.slice(0, 3).join(" ");
if (cmd === "d1 migrations apply") {
  if (mode === "fail") { console.error("✘ [ERROR] Migration 0005_x.sql failed: no such table: runs"); process.exit(1); }
  console.log(mode === "declined" ? "? About to apply 1 migration(s)\n" : "✅ Applied 1 migration(s)");
} else if (cmd === "d1 migrations list") {
  console.log(mode === "declined" ? "Migrations to be applied:\n┌──────────────┐\n│ name         │\n├──────────────┤\n│ 0005_x.sql   │\n└──────────────┘" : "✅ No migrations to apply!");
} else if (argv[0] === "deploy") {
  console.log("Deployed switchyard triggers");
} else { console.error("unexpected " + argv.join(" ")); process.exit(1); }
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function deploy(mode: "ok" | "declined" | "fail") {
  const dir = mkdtempSync(join(tmpdir(), "deploy-"));
  dirs.push(dir);
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "wrangler"), `#!${process.execPath}\n${STUB}`);
  chmodSync(join(dir, "bin", "wrangler"), 0o755);
  const log = join(dir, "log");
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, [SCRIPT], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, PATH: `${join(dir, "bin")}${delimiter}${process.env.PATH}`, STUB_LOG: log, STUB_MODE: mode },
  });
  return { code: r.status, stderr: r.stderr, calls: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

describe("npm run deploy", () => {
  it("applies the remote migrations, checks none is left, then deploys", () => {
    const r = deploy("ok");
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(["d1 migrations apply DB --remote", "d1 migrations list DB --remote", "deploy"]);
  });

  it("does not deploy when the migrations were declined (wrangler still exits 0)", () => {
    const r = deploy("declined");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("still unapplied");
    expect(r.stderr).toContain("0005_x.sql");
    expect(r.calls).not.toContain("deploy");
  });

  it("does not deploy when applying the migrations fails", () => {
    const r = deploy("fail");
    expect(r.code).toBe(1);
    expect(r.calls).toEqual(["d1 migrations apply DB --remote"]);
  });
});
