#!/usr/bin/env node
// First step of `npm start` and `npm test`: runs on whatever Node invoked npm (20 or newer),
// with node:* modules only, and makes sure the project's dependencies, including its own
// Node 24 (the `node` devDependency), are installed. `node scripts/bootstrap.mjs --check`
// prints why an install is due (exit 1) or nothing (exit 0), without installing.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return undefined;
  }
};
const readJson = (p) => {
  try {
    return JSON.parse(readFileSync(p, "utf8"));
  } catch {
    return undefined;
  }
};

/** Where the project's Node 24 lives once installed (a real file, not the .bin symlink). */
export const projectNodePath = (root) => join(root, "node_modules", "node", "bin", "node");

/**
 * True when npm's record of the last install (node_modules/.package-lock.json) installs
 * exactly what package-lock.json asks for: every recorded package is in the lockfile with
 * the same entry, and every lockfile package missing from the record is optional (another
 * platform's binary). False when either file cannot be read.
 */
export function recordMatchesLockfile(lock, hidden) {
  if (!lock?.packages || !hidden?.packages) return false;
  for (const [key, entry] of Object.entries(hidden.packages)) {
    if (JSON.stringify(lock.packages[key]) !== JSON.stringify(entry)) return false;
  }
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key !== "" && !(key in hidden.packages) && !entry.optional) return false;
  }
  return true;
}

/**
 * The facts the install decision needs, read from `root` (cheap: three stats; the two
 * lockfiles are parsed only if `sameContent` is called).
 */
export function inspect(root) {
  const lockPath = join(root, "package-lock.json");
  const hiddenPath = join(root, "node_modules", ".package-lock.json");
  return {
    lockfileMtimeMs: mtime(lockPath),
    nodeModules: existsSync(join(root, "node_modules")),
    installedMtimeMs: mtime(hiddenPath),
    projectNode: existsSync(projectNodePath(root)),
    sameContent: () => recordMatchesLockfile(readJson(lockPath), readJson(hiddenPath)),
  };
}

/**
 * Why `npm ci` must run, or null when the install is current. Current means: node_modules
 * exists, npm finished an install there (node_modules/.package-lock.json), that install is
 * not older than package-lock.json (or, if the lockfile was merely touched, e.g. by a git
 * checkout, it records the same packages), and the project's Node 24 is present.
 * Pure apart from calling `sameContent`, and only when the mtimes disagree.
 */
export function installReason({ nodeModules, installedMtimeMs, lockfileMtimeMs, projectNode, sameContent }) {
  if (!nodeModules) return "node_modules is missing";
  if (installedMtimeMs === undefined) return "node_modules is incomplete (no node_modules/.package-lock.json)";
  if (lockfileMtimeMs !== undefined && lockfileMtimeMs > installedMtimeMs && !sameContent()) {
    return "package-lock.json changed since the last install";
  }
  if (!projectNode) return "the project's Node 24 (node_modules/node/bin/node) is missing";
  return null;
}

/** Runs `npm ci` with the npm that invoked us when there is one, else `npm` from PATH. */
function npmCi(root) {
  // --loglevel=error: npm still reports errors and its one-line summary, not engine warnings
  // about Node 20 running npm for packages that will run on the project's Node 24.
  const args = ["ci", "--no-audit", "--no-fund", "--loglevel=error"];
  const cli = process.env.npm_execpath;
  const viaNpm = cli && /^npm-cli\.[cm]?js$/.test(basename(cli));
  const res = viaNpm
    ? spawnSync(process.env.npm_node_execpath || process.execPath, [cli, ...args], { cwd: root, stdio: "inherit" })
    : spawnSync("npm", args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (res.status !== 0) throw new Error(`npm ci failed (exit ${res.status ?? res.signal ?? res.error?.message})`);
}

/**
 * Makes sure `root` is installed and returns the path of the project's Node 24. When the
 * install is current it prints nothing and does nothing else; otherwise it prints exactly one
 * line (what it installs and why) and runs `npm ci` once. Throws with an actionable message
 * when package-lock.json is missing or the install leaves no Node 24 behind.
 */
export function ensureInstalled(root, { log = console.log, install = npmCi } = {}) {
  if (!existsSync(join(root, "package-lock.json"))) {
    throw new Error("package-lock.json is missing: restore it (git checkout package-lock.json); npm ci installs from it");
  }
  const reason = installReason(inspect(root));
  if (reason) {
    log(`switchyard: installing dependencies and Node 24 with npm ci (${reason})`);
    install(root);
    if (!existsSync(projectNodePath(root))) {
      throw new Error("npm ci finished but node_modules/node/bin/node is missing: run npm ci again and check its output");
    }
  }
  return projectNodePath(root);
}

/** The repository root (this file lives in scripts/). */
export const repoRoot = () => join(dirname(fileURLToPath(import.meta.url)), "..");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--check")) {
    const reason = existsSync(join(repoRoot(), "package-lock.json")) ? installReason(inspect(repoRoot())) : "package-lock.json is missing";
    if (reason) console.log(reason);
    process.exit(reason ? 1 : 0);
  }
  try {
    ensureInstalled(repoRoot());
  } catch (e) {
    console.error(`switchyard: ${e.message}`);
    process.exit(1);
  }
}

/**
 * The entry of `npm start` and `npm test`: installs what is missing (ensureInstalled) and
 * returns the project's Node 24 path; on failure prints `switchyard: <reason>` and exits 1.
 */
export function bootstrapOrExit(root = repoRoot()) {
  try {
    return ensureInstalled(root);
  } catch (e) {
    console.error(`switchyard: ${e.message}`);
    process.exit(1);
  }
}
