#!/usr/bin/env node
/**
 * `switchyard`: the command-line client of a Switchyard server. Runs on Node 20 or newer
 * with no build step. Exit codes: 0 success, 1 API or network error, 2 usage error.
 * Errors print the API's message and the request id on stderr.
 */
import { Command, CommanderError } from "commander";
import { ApiError, UsageError } from "./lib/errors.mjs";
import { paint } from "./lib/output.mjs";
import { registerEvents } from "./commands/events.mjs";
import { registerListen } from "./commands/listen.mjs";
import { registerLogin } from "./commands/login.mjs";
import { registerPipelines } from "./commands/pipelines.mjs";
import { registerResources } from "./commands/resources.mjs";
import { registerRuns } from "./commands/runs.mjs";

const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  process.stderr.write(`switchyard needs Node 20 or newer; this is ${process.version}\n`);
  process.exit(2);
}

/** Builds the whole command tree (exported for tests that inspect it). */
export function buildProgram() {
  const program = new Command("switchyard")
    .description("Manage, inspect and forward Switchyard webhooks from a terminal")
    .version("0.1.0")
    .option("--profile <name>", "config profile (default: default, or SWITCHYARD_PROFILE)")
    .option("--org <org_id>", "org to act in (default: the profile's, or SWITCHYARD_ORG)")
    .option("--json", "print the API's JSON unchanged")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerLogin(program);
  registerResources(program);
  registerEvents(program);
  registerRuns(program);
  registerPipelines(program);
  registerListen(program);
  // Every subcommand (created above) reports usage errors through the same override.
  const walk = (cmd) => {
    cmd.exitOverride();
    cmd.commands.forEach(walk);
  };
  walk(program);
  return program;
}

function fail(err) {
  if (err instanceof CommanderError) {
    // Help and --version exit 0; every other parse error is a usage error (commander printed it).
    process.exit(err.exitCode === 0 || err.code === "commander.helpDisplayed" || err.code === "commander.version" ? 0 : 2);
  }
  const code = err instanceof UsageError ? 2 : 1;
  const label = code === 2 ? "usage error" : "error";
  process.stderr.write(`${paint(label, "red", process.stderr)}: ${err?.message ?? String(err)}\n`);
  if (err instanceof ApiError && err.requestId) process.stderr.write(`request id: ${err.requestId}\n`);
  if (code === 2) process.stderr.write("(run with --help for usage)\n");
  process.exit(code);
}

buildProgram().parseAsync(process.argv).then(() => process.exit(0), fail);
