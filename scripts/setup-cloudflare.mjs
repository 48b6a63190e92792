#!/usr/bin/env node
/**
 * `npm run setup:cloudflare`: from a logged-in wrangler to a deployable project, in one step,
 * idempotently. In order:
 *   1. `wrangler whoami --json`: stops with a clear message when not logged in;
 *   2. the D1 database named in wrangler.toml: `wrangler d1 list --json`, created only when
 *      missing (`wrangler d1 create`), and its id written into wrangler.toml's
 *      `database_id` (nothing else in the file changes; no write when it is already right);
 *   3. both queues of wrangler.toml: `wrangler queues list`, each created only when missing;
 *   4. the secrets ADMIN_TOKEN, ENCRYPTION_KEY, JWT_SECRET and SESSION_SECRET:
 *      `wrangler secret list`, and each MISSING one generated and stored with
 *      `wrangler secret put NAME`, value on stdin (never on the command line). An existing
 *      secret is never rotated. A generated ADMIN_TOKEN is printed once;
 *   5. prints the next command, `npm run deploy`.
 * A second run changes nothing. Any wrangler failure stops it with wrangler's own message
 * and exit code 1. `wrangler` is taken from PATH (npm puts node_modules/.bin first).
 * SWITCHYARD_PROJECT_DIR names another project directory (the tests use a copy).
 * Plain Node ≥ 20, `node:*` modules only.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runWrangler, WranglerError } from "./wrangler-run.mjs";

const dir = process.env.SWITCHYARD_PROJECT_DIR || join(import.meta.dirname, "..");
const tomlPath = join(dir, "wrangler.toml");

class SetupError extends Error {}

/** Runs `wrangler args…` in the project dir (scripts/wrangler-run.mjs); returns stdout, or throws SetupError with wrangler's output. */
function wrangler(args, input) {
  try {
    return runWrangler(args, { cwd: dir, input }).stdout;
  } catch (err) {
    if (err instanceof WranglerError) throw new SetupError(err.message);
    throw err;
  }
}

const parseJson = (text, what) => {
  const start = text.search(/[[{]/);
  try {
    return JSON.parse(start >= 0 ? text.slice(start) : text);
  } catch {
    throw new SetupError(`unexpected output from ${what}:\n${text.trim().slice(0, 500)}`);
  }
};

/** The values of `key = "…"` lines in wrangler.toml, in file order. */
const tomlValues = (toml, key) => [...toml.matchAll(new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, "gm"))].map((m) => m[1]);

/** Generated secret values in the formats the Worker expects (src/env.ts, docs/operations.md). */
const GENERATORS = {
  ADMIN_TOKEN: () => `sy_admin_${randomBytes(24).toString("base64url")}`,
  ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
  JWT_SECRET: () => randomBytes(32).toString("hex"),
  SESSION_SECRET: () => randomBytes(32).toString("hex"),
};

function main() {
  let toml = readFileSync(tomlPath, "utf8");
  const say = (line) => process.stdout.write(`${line}\n`);

  try {
    wrangler(["whoami", "--json"]);
  } catch (err) {
    throw new SetupError(`wrangler is not logged in to Cloudflare: run \`npx wrangler login\` (or set CLOUDFLARE_API_TOKEN), then run this again.\n${err.message}`);
  }

  // 2. D1.
  const dbName = tomlValues(toml, "database_name")[0];
  if (!dbName) throw new SetupError("wrangler.toml has no [[d1_databases]] database_name");
  const find = () => parseJson(wrangler(["d1", "list", "--json"]), "wrangler d1 list --json").find((d) => d.name === dbName);
  let db = find();
  if (db) say(`D1 database "${dbName}" exists (${db.uuid})`);
  else {
    wrangler(["d1", "create", dbName]);
    db = find();
    if (!db) throw new SetupError(`wrangler d1 create ${dbName} succeeded but the database is not listed`);
    say(`D1 database "${dbName}" created (${db.uuid})`);
  }
  const current = tomlValues(toml, "database_id")[0];
  if (current !== db.uuid) {
    const next = toml.replace(/^(\s*database_id\s*=\s*)"[^"]*"/m, `$1"${db.uuid}"`);
    if (next === toml) throw new SetupError("wrangler.toml has no database_id line to update");
    writeFileSync(tomlPath, next);
    toml = next;
    say(`wrangler.toml: database_id = "${db.uuid}"`);
  }

  // 3. Queues (names from the producers and consumers, each once).
  const queues = [...new Set(tomlValues(toml, "queue"))];
  const has = (text, q) => new RegExp(`(^|[\\s│|])${q.replace(/[-]/g, "\\-")}($|[\\s│|])`, "m").test(text);
  // `queues list` has no --json and pages its table: read pages until both are found or a page repeats.
  let listed = wrangler(["queues", "list"]);
  for (let page = 2, last = listed; page <= 20 && queues.some((q) => !has(listed, q)); page++) {
    const next = wrangler(["queues", "list", "--page", String(page)]);
    if (next === last || !/│.*│/.test(next)) break;
    listed += next;
    last = next;
  }
  for (const q of queues) {
    const exists = has(listed, q);
    if (exists) say(`queue "${q}" exists`);
    else {
      wrangler(["queues", "create", q]);
      say(`queue "${q}" created`);
    }
  }

  // 4. Secrets: only the missing ones. A Worker that does not exist yet has none.
  let existing = [];
  try {
    existing = parseJson(wrangler(["secret", "list", "--format", "json"]), "wrangler secret list").map((s) => s.name);
  } catch (err) {
    if (!/does not exist|not found|10007/i.test(err.message)) throw err;
  }
  for (const [name, make] of Object.entries(GENERATORS)) {
    if (existing.includes(name)) {
      say(`secret ${name} is set (left unchanged)`);
      continue;
    }
    const value = make();
    wrangler(["secret", "put", name], `${value}\n`);
    say(`secret ${name} generated and stored`);
    if (name === "ADMIN_TOKEN") say(`  ADMIN_TOKEN = ${value}\n  (shown once: keep it in your password manager; it is a superuser on every org)`);
  }

  say("\nReady. Next: npm run deploy");
}

try {
  main();
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  process.stderr.write(`setup:cloudflare: ${err.message}\n`);
  process.exit(1);
}
