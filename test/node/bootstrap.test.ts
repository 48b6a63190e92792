/**
 * The install decision of `npm start` / `npm test` (scripts/bootstrap.mjs), on real temporary
 * directories laid out like a clone: package-lock.json, node_modules/.package-lock.json (which
 * npm writes at the end of every install) and the project's Node binary. No npm is run: the
 * install step itself is handed in, so the test stays cheap.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureInstalled, inspect, installReason } from "../../scripts/bootstrap.mjs";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = new Date("2026-01-01T00:00:00Z");
const later = (s: number) => new Date(T0.getTime() + s * 1000);

const LOCK = {
  name: "x",
  version: "1.0.0",
  lockfileVersion: 3,
  requires: true,
  packages: {
    "": { name: "x", version: "1.0.0", devDependencies: { a: "^1.0.0" } },
    "node_modules/a": { version: "1.0.0", resolved: "https://r/a-1.0.0.tgz", integrity: "sha512-a", dev: true },
    "node_modules/a-darwin": { version: "1.0.0", dev: true, optional: true, os: ["darwin"] },
  },
};
/** What npm records after installing LOCK on Linux: no root entry, no foreign optional package. */
const HIDDEN = {
  name: "x",
  version: "1.0.0",
  lockfileVersion: 3,
  requires: true,
  packages: { "node_modules/a": LOCK.packages["node_modules/a"] },
};

/** A clone: the lockfile at T0 and, unless told otherwise, an install at T0+10 s with Node. */
function clone(opts: { installed?: boolean; hidden?: object; hiddenAt?: Date; node?: boolean; lock?: object; lockAt?: Date } = {}) {
  const root = mkdtempSync(join(tmpdir(), "switchyard-bootstrap-"));
  dirs.push(root);
  writeFileSync(join(root, "package-lock.json"), JSON.stringify(opts.lock ?? LOCK, null, 2));
  utimesSync(join(root, "package-lock.json"), opts.lockAt ?? T0, opts.lockAt ?? T0);
  if (opts.installed === false) return root;
  mkdirSync(join(root, "node_modules", "node", "bin"), { recursive: true });
  if (opts.node !== false) writeFileSync(join(root, "node_modules", "node", "bin", "node"), "#!/bin/sh\n", { mode: 0o755 });
  if (opts.hidden !== null) {
    const hidden = join(root, "node_modules", ".package-lock.json");
    writeFileSync(hidden, JSON.stringify(opts.hidden ?? HIDDEN, null, 2));
    utimesSync(hidden, opts.hiddenAt ?? later(10), opts.hiddenAt ?? later(10));
  }
  return root;
}

const reasonFor = (root: string) => installReason(inspect(root));

describe("installReason: when npm start / npm test run npm ci", () => {
  it("installs on a fresh clone (no node_modules)", () => {
    expect(reasonFor(clone({ installed: false }))).toBe("node_modules is missing");
  });

  it("installs when node_modules exists but npm never finished an install there", () => {
    expect(reasonFor(clone({ hidden: null as unknown as object }))).toMatch(/no node_modules\/\.package-lock\.json/);
  });

  it("does not install when node_modules is newer than package-lock.json and Node 24 is there", () => {
    expect(reasonFor(clone())).toBeNull();
  });

  it("installs when package-lock.json is newer than the install and its packages differ", () => {
    const changed = structuredClone(LOCK);
    changed.packages["node_modules/a"] = { ...changed.packages["node_modules/a"], version: "1.1.0" };
    expect(reasonFor(clone({ lock: changed, lockAt: later(20) }))).toBe("package-lock.json changed since the last install");
  });

  it("installs when package-lock.json is newer and adds a required package", () => {
    const added = structuredClone(LOCK) as typeof LOCK & { packages: Record<string, object> };
    added.packages["node_modules/b"] = { version: "2.0.0", dev: true };
    expect(reasonFor(clone({ lock: added, lockAt: later(20) }))).toBe("package-lock.json changed since the last install");
  });

  it("does not install when package-lock.json is only touched (git checkout) but records what is installed", () => {
    expect(reasonFor(clone({ lockAt: later(20) }))).toBeNull();
  });

  it("installs when the project's own Node binary is missing from node_modules", () => {
    expect(reasonFor(clone({ node: false }))).toMatch(/Node 24 .*missing/);
  });

  it("accepts this repository's own lockfile against its own install, even when the lockfile is touched", () => {
    const root = mkdtempSync(join(tmpdir(), "switchyard-bootstrap-"));
    dirs.push(root);
    mkdirSync(join(root, "node_modules", "node", "bin"), { recursive: true });
    writeFileSync(join(root, "node_modules", "node", "bin", "node"), "");
    copyFileSync("node_modules/.package-lock.json", join(root, "node_modules", ".package-lock.json"));
    copyFileSync("package-lock.json", join(root, "package-lock.json"));
    utimesSync(join(root, "node_modules", ".package-lock.json"), T0, T0);
    utimesSync(join(root, "package-lock.json"), later(60), later(60));
    expect(reasonFor(root)).toBeNull();
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
    lock.packages["node_modules/hono"].version = "0.0.1";
    writeFileSync(join(root, "package-lock.json"), JSON.stringify(lock));
    expect(reasonFor(root)).toBe("package-lock.json changed since the last install");
  });
});

describe("ensureInstalled: what npm start / npm test do before continuing on Node 24", () => {
  it("does nothing and prints nothing when everything is installed, and returns the project's Node", () => {
    const root = clone();
    const lines: string[] = [];
    let installs = 0;
    const node = ensureInstalled(root, { log: (l: string) => lines.push(l), install: () => void installs++ });
    expect({ lines, installs, node }).toEqual({ lines: [], installs: 0, node: join(root, "node_modules", "node", "bin", "node") });
  });

  it("prints exactly one line saying what it installs and why, then runs the install once", () => {
    const root = clone({ installed: false });
    const lines: string[] = [];
    let installs = 0;
    const install = () => {
      installs++;
      const bin = join(root, "node_modules", "node", "bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, "node"), "");
      writeFileSync(join(root, "node_modules", ".package-lock.json"), JSON.stringify(HIDDEN));
    };
    ensureInstalled(root, { log: (l: string) => lines.push(l), install });
    expect(installs).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/npm ci.*node_modules is missing/);
  });

  it("fails with an actionable message when the install leaves no Node 24 behind", () => {
    const root = clone({ installed: false });
    expect(() => ensureInstalled(root, { log: () => {}, install: () => {} })).toThrow(/npm ci/);
  });

  it("fails with an actionable message when package-lock.json is missing", () => {
    const root = clone();
    rmSync(join(root, "package-lock.json"));
    expect(() => ensureInstalled(root, { log: () => {}, install: () => {} })).toThrow(/package-lock\.json is missing/);
  });
});
