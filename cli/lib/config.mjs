/**
 * Where the CLI's server and token come from. Profiles live in
 * `$XDG_CONFIG_HOME/switchyard/config.json` (default `~/.config/switchyard/config.json`),
 * written with mode 0600 in a 0700 directory: `{ "profiles": { "<name>": { url, token, org } } }`.
 * SWITCHYARD_URL, SWITCHYARD_TOKEN and SWITCHYARD_ORG override the profile's values;
 * `--profile` (or SWITCHYARD_PROFILE) picks the profile, default "default".
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./errors.mjs";

/** The config file's path for `env`. */
export function configPath(env = process.env) {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "switchyard", "config.json");
}

/** The whole config file, or an empty one when it does not exist. Throws UsageError when it is not JSON. */
export function readConfig(env = process.env) {
  const file = configPath(env);
  if (!existsSync(file)) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8"));
    return { profiles: {}, ...parsed };
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON (${err.message}); fix or delete it, then run \`switchyard login\``);
  }
}

/**
 * Stores `profile` under `name`. Guarantee: the file is replaced atomically (write, then
 * rename) and is readable by its owner only (0600), whatever the umask.
 */
export function saveProfile(name, profile, env = process.env) {
  const file = configPath(env);
  const cfg = readConfig(env);
  cfg.profiles[name] = profile;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/**
 * The effective settings for `opts.profile`: the environment wins over the file.
 * Returns `{ profile, url, token, org }`; url and token may be undefined (see requireServer).
 */
export function resolveSettings(opts = {}, env = process.env) {
  const profile = opts.profile || env.SWITCHYARD_PROFILE || "default";
  const saved = readConfig(env).profiles[profile] ?? {};
  return {
    profile,
    url: env.SWITCHYARD_URL || saved.url,
    token: env.SWITCHYARD_TOKEN || saved.token,
    org: opts.org || env.SWITCHYARD_ORG || saved.org,
  };
}
