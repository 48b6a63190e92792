/**
 * Shared plumbing for command actions: global options, `--data @file.json` bodies,
 * `k=v` inputs, and printing a result as JSON or as a table/object.
 */
import { readFileSync } from "node:fs";
import { connect } from "./api.mjs";
import { UsageError } from "./errors.mjs";
import { printJson, printObject, printTable } from "./output.mjs";

/** The command's options merged with the global ones (`--profile`, `--org`, `--json`). */
export const optionsOf = (cmd) => cmd.optsWithGlobals();

/** Connects with the command's global options (see lib/api.mjs `connect`). */
export const connectFor = (cmd) => connect(optionsOf(cmd));

/**
 * The JSON object given by `--data`: inline JSON, or `@path` to read a file. Throws
 * UsageError (exit 2) when it is not a JSON object.
 */
export function dataOption(value) {
  if (value === undefined) return {};
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = readFileSync(value.slice(1), "utf8");
    } catch (err) {
      throw new UsageError(`--data ${value}: cannot read the file (${err.code ?? err.message})`);
    }
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--data is not valid JSON: ${err.message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new UsageError("--data must be a JSON object");
  return parsed;
}

/**
 * `k=v` pairs as an object; a value that parses as JSON (number, boolean, object…) is used
 * parsed, anything else as a string. Throws UsageError for a pair without "=".
 */
export function pairs(list = []) {
  const out = {};
  for (const item of list) {
    const i = item.indexOf("=");
    if (i <= 0) throw new UsageError(`"${item}" is not k=v`);
    const raw = item.slice(i + 1);
    let v = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    out[item.slice(0, i)] = v;
  }
  return out;
}

/** Collects a repeatable option's values (commander's accumulator). */
export const collect = (value, previous = []) => [...previous, value];

/** A positive integer option value, else UsageError. */
export function intOption(name) {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

/**
 * Prints `data` for a person or a script: with `--json` the API's JSON unchanged; else a
 * table of `rows(data)` with `columns` when both are given, or the object's fields.
 */
export function show(cmd, data, view = {}) {
  if (optionsOf(cmd).json) return printJson(data);
  if (view.rows && view.columns) return printTable(view.rows(data), view.columns);
  if (data === null || data === undefined) return void process.stdout.write(`${view.done ?? "done"}\n`);
  return printObject(data);
}
