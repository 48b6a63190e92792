#!/usr/bin/env node
/**
 * Mutation testing without dependencies (`npm run test:mutation`). For every mutant of
 * test/mutation/mutants.mjs: replace its exact `find` snippet in `file` (which must occur
 * exactly once, else the run fails before anything is changed), run its test files with the
 * workerd vitest config, expect a FAILING run, and restore the file — always: in `finally`,
 * on SIGINT/SIGTERM and on exit. A baseline run first checks that those test files pass on the
 * unmutated code (otherwise every mutant would look killed). Prints one line per mutant and
 * `mutation score: K/N killed`; exits 1 if any mutant survives or the baseline fails.
 *
 * Usage: node scripts/mutation.mjs [--only id1,id2] [--no-baseline] [--mutants path/to/list.mjs]
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const vitest = resolve(root, "node_modules/.bin/vitest");
const args = process.argv.slice(2);
const listArg = args.includes("--mutants") ? args[args.indexOf("--mutants") + 1] : "test/mutation/mutants.mjs";
const { MUTANTS } = await import(pathToFileURL(resolve(root, listArg)).href);
const onlyArg = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const only = onlyArg ? new Set(onlyArg.split(",")) : null;
const list = only ? MUTANTS.filter((m) => only.has(m.id)) : MUTANTS;
if (only && list.length !== only.size) fail(`unknown mutant id in --only: ${[...only].filter((id) => !MUTANTS.some((m) => m.id === id)).join(", ")}`);

function fail(msg) {
  console.error(`mutation: ${msg}`);
  process.exit(2);
}

const count = (text, find) => text.split(find).length - 1;

// 1. Validate everything before touching any file.
const ids = new Set();
for (const m of list) {
  if (!m.id || !m.file || typeof m.find !== "string" || !m.find || typeof m.replace !== "string" || !Array.isArray(m.tests) || m.tests.length === 0) fail(`malformed mutant ${JSON.stringify(m)}`);
  if (ids.has(m.id)) fail(`duplicate mutant id ${m.id}`);
  ids.add(m.id);
  if (m.find === m.replace) fail(`mutant ${m.id}: replace equals find`);
  const path = resolve(root, m.file);
  if (!existsSync(path)) fail(`mutant ${m.id}: file ${m.file} does not exist`);
  const n = count(readFileSync(path, "utf8"), m.find);
  if (n !== 1) fail(`mutant ${m.id}: snippet found ${n} times in ${m.file} (must be exactly once): ${m.find}`);
  for (const t of m.tests) if (!existsSync(resolve(root, t))) fail(`mutant ${m.id}: test file ${t} does not exist`);
}

// 2. Restoration, whatever happens.
/** @type {{ path: string, original: string } | null} */
let applied = null;
function restore() {
  if (!applied) return;
  writeFileSync(applied.path, applied.original);
  applied = null;
}
let child = null;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (child) child.kill("SIGTERM");
    restore();
    console.error(`\nmutation: interrupted by ${sig}; source restored`);
    process.exit(130);
  });
}
process.on("exit", restore);
process.on("uncaughtException", (err) => {
  restore();
  console.error(err);
  process.exit(2);
});

/** Runs vitest on `tests`; resolves with its exit code and the tail of its output. */
function runTests(tests) {
  return new Promise((done) => {
    let out = "";
    child = spawn(vitest, ["run", ...tests], { cwd: root, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code, signal) => {
      child = null;
      done({ code: code ?? (signal ? 128 : 1), out });
    });
  });
}
/** vitest's "Tests  3 failed | 66 passed (69)" line, without colours. */
function summary(out) {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
  return (/^\s*Tests\s+(\d.*)$/m.exec(plain)?.[1] ?? plain.trim().split("\n").slice(-3).join(" | ")).trim();
}

const started = Date.now();
// 3. Baseline: the union of the test files must pass on the real code.
if (!args.includes("--no-baseline")) {
  const files = [...new Set(list.flatMap((m) => m.tests))];
  const t0 = Date.now();
  const base = await runTests(files);
  if (base.code !== 0) {
    console.error(base.out.split("\n").slice(-40).join("\n"));
    fail(`baseline failed: ${files.join(" ")} must pass on unmutated code (exit ${base.code})`);
  }
  console.log(`baseline  ok       ${files.length} files pass unmutated (${summary(base.out)}) ${((Date.now() - t0) / 1000).toFixed(0)}s`);
}

// 4. The mutants.
const survivors = [];
for (const m of list) {
  const path = resolve(root, m.file);
  const original = readFileSync(path, "utf8");
  const t0 = Date.now();
  let result;
  try {
    applied = { path, original };
    writeFileSync(path, original.replace(m.find, () => m.replace));
    result = await runTests(m.tests);
  } finally {
    restore();
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  if (result.code === 0) {
    survivors.push(m.id);
    console.log(`SURVIVED  ${m.id.padEnd(38)} ${m.file} (${m.tests.join(" ")}) ${secs}s`);
  } else {
    console.log(`killed    ${m.id.padEnd(38)} ${m.file}: ${summary(result.out)} ${secs}s`);
  }
}
const killed = list.length - survivors.length;
console.log(`mutation score: ${killed}/${list.length} killed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
if (survivors.length) {
  console.log(`surviving mutants: ${survivors.join(", ")}`);
  process.exit(1);
}
