import { Context, Liquid } from "liquidjs";

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
 *
 * One run has ONE render budget, shared by every template it renders (payload leaves,
 * headers, thread id): at most RENDER_BUDGET template-node renders and MEMORY_BUDGET units of
 * liquidjs' memory accounting. It is counted, not timed, because workerd's clock does not move
 * while JavaScript runs, so a time limit would never fire; counting makes the limit exact and
 * the same on every machine. Over budget, rendering stops with a TemplateError whose
 * `budget` is true (the run fails with `template_budget` and is not retried).
 */

/** Template-node renders (tags, outputs, loop bodies) one run may perform in all. Default: 10,000. */
export const RENDER_BUDGET = 10_000;
/** liquidjs memory units (string and array sizes it allocates) one run may use in all. Default: 10,000,000. */
export const MEMORY_BUDGET = 10_000_000;

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

/** A template failed to parse or render; `path` says which one (e.g. ["payload","text"]). `budget`: it ran out of the run's render budget. */
export class TemplateError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
    readonly budget = false,
  ) {
    super(message);
  }
}

/** What is left of one run's render budget; create one per run with `renderBudget()` and pass it to every render. */
export interface RenderBudget {
  renders: number;
  memory: number;
}

/** A fresh budget for one run: RENDER_BUDGET renders and MEMORY_BUDGET memory units (or the given numbers). */
export const renderBudget = (renders = RENDER_BUDGET, memory = MEMORY_BUDGET): RenderBudget => ({ renders, memory });

const BUDGET_MARK = "switchyard render budget exceeded";

/**
 * A liquidjs Context whose limiters draw on `budget` (shared by every template of the run).
 * liquidjs calls `renderLimit.check` once per rendered template node and `memoryLimit.use`
 * for what it allocates; both throw once the run's budget is spent.
 */
function budgetedContext(scope: TemplateContext, budget: RenderBudget | undefined): Context | Record<string, unknown> {
  if (!budget) return scope as unknown as Record<string, unknown>;
  const spent = (what: string) => new Error(`${BUDGET_MARK}: more than ${what} for one run`);
  const renderLimit = {
    check: () => {
      if (--budget.renders < 0) throw spent(`${RENDER_BUDGET.toLocaleString("en")} template renders`);
    },
    use: () => undefined,
  };
  const memoryLimit = {
    use: (n: number) => {
      if (+n > 0 && (budget.memory -= +n) < 0) throw spent(`${MEMORY_BUDGET.toLocaleString("en")} memory units`);
    },
    check: () => undefined,
  };
  const engine = liquid();
  // liquidjs types these as its Limiter class; it only ever calls check() and use() on them.
  const limits = { liquid: engine, renderLimit, memoryLimit } as unknown as ConstructorParameters<typeof Context>[3];
  return new Context(scope, engine.options, {}, limits);
}

const asTemplateError = (path: (string | number)[], err: unknown) => {
  const text = message(err);
  return new TemplateError(path, `template ${path.join(".") || "(string)"}: ${text}`, text.includes(BUDGET_MARK));
};

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

/** Renders one string template to a string, drawing on `budget` when given. Throws TemplateError. */
export async function renderString(template: string, ctx: TemplateContext, path: (string | number)[] = [], budget?: RenderBudget): Promise<string> {
  try {
    return await liquid().parseAndRender(template, budgetedContext(ctx, budget));
  } catch (err) {
    throw asTemplateError(path, err);
  }
}

/** Renders every string leaf of a JSON value (see the module rule), all drawing on one `budget` when given. Throws TemplateError. */
export async function renderValue(value: unknown, ctx: TemplateContext, path: (string | number)[] = [], budget?: RenderBudget): Promise<unknown> {
  if (typeof value === "string") {
    const expr = singleExpression(value);
    if (expr === null) return renderString(value, ctx, path, budget);
    try {
      const v: unknown = await liquid().evalValue(expr, budgetedContext(ctx, budget));
      return v === undefined ? null : toJson(v);
    } catch (err) {
      throw asTemplateError(path, err);
    }
  }
  if (Array.isArray(value)) {
    // One leaf after another: the budget is shared, and a spent budget stops the rest at once.
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(await renderValue(value[i], ctx, [...path, i], budget));
    return out;
  }
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderValue(v, ctx, [...path, k], budget);
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
