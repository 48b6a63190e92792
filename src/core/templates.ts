import { Liquid } from "liquidjs";

/**
 * Liquid templates (payload, headers_template, thread_id_template), rendered with liquidjs
 * in a locked-down configuration: unknown filters are errors, only own properties are
 * visible, there is no file system (`include`/`render` find nothing), and parse/render/memory
 * limits stop runaway templates.
 *
 * Rule for JSON payloads: every string leaf is a template. A string that is exactly ONE
 * output tag (`"{{ event.body.amount }}"`, optional filters, surrounding blanks allowed)
 * yields the expression's VALUE — a number, object, array, boolean or null (undefined →
 * null) — so whole objects can be passed through. Any other string renders to a string.
 * Object keys are not templated.
 */

/** What templates see. `user` is present only when a person (not an API token) invoked the run. */
export interface TemplateContext {
  event: { id: string; type: string | null; body: unknown; headers: Record<string, string> } | null;
  inputs: Record<string, unknown>;
  manualInputs: Record<string, unknown>;
  env: Record<string, string>;
  target: unknown;
  trigger: Record<string, unknown> | null;
  action: Record<string, unknown>;
  run: Record<string, unknown>;
  user?: { id: string; email: string; name: string };
}

/** A template failed to parse or render; `path` says which one (e.g. ["payload","text"]). */
export class TemplateError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

let engine: Liquid | undefined;
/** Created on first use (never at module load). */
function liquid(): Liquid {
  engine ??= new Liquid({
    strictFilters: true,
    ownPropertyOnly: true,
    templates: {},
    parseLimit: 100_000,
    renderLimit: 1_000,
    memoryLimit: 10_000_000,
  });
  return engine;
}

const SINGLE_OUTPUT = /^\s*\{\{-?([\s\S]*?)-?\}\}\s*$/;

function singleExpression(s: string): string | null {
  const m = SINGLE_OUTPUT.exec(s);
  if (!m) return null;
  const inner = m[1]!;
  return inner.includes("{{") || inner.includes("}}") || inner.includes("{%") ? null : inner.trim();
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!;

/** Renders one string template to a string. Throws TemplateError. */
export async function renderString(template: string, ctx: TemplateContext, path: (string | number)[] = []): Promise<string> {
  try {
    return await liquid().parseAndRender(template, ctx as unknown as Record<string, unknown>);
  } catch (err) {
    throw new TemplateError(path, `template ${path.join(".") || "(string)"}: ${message(err)}`);
  }
}

/** Renders every string leaf of a JSON value (see the module rule). Throws TemplateError. */
export async function renderValue(value: unknown, ctx: TemplateContext, path: (string | number)[] = []): Promise<unknown> {
  if (typeof value === "string") {
    const expr = singleExpression(value);
    if (expr === null) return renderString(value, ctx, path);
    try {
      const v: unknown = await liquid().evalValue(expr, ctx as unknown as Record<string, unknown>);
      return v === undefined ? null : toJson(v);
    } catch (err) {
      throw new TemplateError(path, `template ${path.join(".") || "(string)"}: ${message(err)}`);
    }
  }
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => renderValue(v, ctx, [...path, i])));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderValue(v, ctx, [...path, k]);
    return out;
  }
  return value;
}

/** Liquid may hand back drops or ranges; keep only what JSON can carry. */
function toJson(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "object" && v !== null && !Array.isArray(v) && "valueOf" in v && typeof v.valueOf === "function") {
    const prim: unknown = v.valueOf();
    if (prim !== v) return prim;
  }
  return v;
}

/**
 * Why a template (a string, or a JSON value whose string leaves are templates) does not
 * parse, or null. Used at create/update so a typo is a 422, not a failed run later.
 */
export function templateProblem(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; msg: string } | null {
  if (typeof value === "string") {
    try {
      liquid().parse(value);
      return null;
    } catch (err) {
      return { path, msg: `invalid Liquid template: ${message(err)}` };
    }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = templateProblem(value[i], [...path, i]);
      if (p) return p;
    }
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const p = templateProblem(v, [...path, k]);
      if (p) return p;
    }
  }
  return null;
}
