import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { actions, pipelines } from "../../db/schema";
import type { Ctx } from "../../core/context";
import { AppError, invalid } from "../../core/errors";
import type { AuditNote } from "../../http/router";
import { createPipeline, envOverrides, pipelineControl, pipelineDelete, pipelineRun, pipelineStatusOf, updatePipeline } from "./pipeline-targets";
import { taskCreate, taskRun, taskStatus, taskStop, taskUpdate } from "./tasks";

const ACTIONS = ["status", "create", "update", "run", "stop", "reset", "delete", "approve", "reject"] as const;
const TYPES = ["task", "pipeline"] as const;
type Action = (typeof ACTIONS)[number];
type Type = (typeof TYPES)[number];

/** The documented action × type matrix. */
export const SUPPORTED: Record<Action, readonly Type[]> = {
  status: ["task", "pipeline"],
  create: ["task", "pipeline"],
  update: ["task", "pipeline"],
  run: ["task", "pipeline"],
  stop: ["task", "pipeline"],
  reset: ["pipeline"],
  delete: ["pipeline"],
  approve: ["pipeline"],
  reject: ["pipeline"],
};
const BATCH: readonly Action[] = ["status", "run", "stop", "reset", "delete", "approve", "reject"];
/** Most ids one batch request may name. */
export const MAX_TARGETS = 100;

const oneOf = (what: string, list: readonly string[]) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `${what} is required; one of ${list.join(", ")}` : `${what} '${String(iss.input)}' is not supported; use one of ${list.join(", ")}`;

export const UnifiedIn = z
  .object({
    action: z.enum(ACTIONS, { error: oneOf("action", ACTIONS) }).openapi({ example: "run" }),
    type: z.enum(TYPES, { error: oneOf("type", TYPES) }).openapi({ example: "pipeline" }),
    version: z.literal(1, { error: "version must be 1 (the only version of this API)" }).openapi({ example: 1 }),
    target: z
      .union([z.string(), z.array(z.string())], { error: "target must be an id string (update) or an array of id strings (batch actions)" })
      .optional()
      .openapi({ example: ["0193a5c8-0000-7000-8000-000000000001"] }),
    settings: z.record(z.string(), z.unknown(), { error: "settings must be a JSON object" }).optional().openapi({ description: "create: the resource; update: the fields to change; run: {env} (pipeline) or {inputs, target} (task)" }),
    message: z.string({ error: "message must be a string" }).max(2000).optional().openapi({ description: "Required for reject; stored as the decision message" }),
  })
  .strict()
  .openapi("UnifiedActionIn");

const Result = z.object({
  target: z.string().nullable(),
  ok: z.boolean(),
  status: z.number().int().openapi({ description: "HTTP-style status of this target: 200, 201, 403, 404, 409, 422" }),
  data: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export const UnifiedOut = z.object({ action: z.enum(ACTIONS), type: z.enum(TYPES), version: z.literal(1), results: z.array(Result) }).openapi("UnifiedActionOut");
export type ResultT = z.infer<typeof Result>;

/** Request-level checks beyond the schema: matrix, target shape, required settings/message. Throws a 422 naming the field. */
function checkShape(b: z.infer<typeof UnifiedIn>): string[] {
  if (!SUPPORTED[b.action].includes(b.type)) {
    throw invalid(["body", "type"], `type '${b.type}' is not supported for action '${b.action}'; supported: ${SUPPORTED[b.action].join(", ")}`, b.type, { action: b.action });
  }
  if (b.action === "create") {
    if (b.target !== undefined) throw invalid(["body", "target"], "create takes no target; send the new resource in settings", b.target);
    if (!b.settings) throw invalid(["body", "settings"], `create needs settings: the ${b.type} to create`, null);
    return [];
  }
  if (b.action === "update") {
    if (typeof b.target !== "string" || !b.target) throw invalid(["body", "target"], "update takes a single id string as target (not an array)", b.target ?? null);
    if (!b.settings || Object.keys(b.settings).length === 0) throw invalid(["body", "settings"], "update needs settings with at least one field to change", b.settings ?? null);
    return [b.target];
  }
  if (b.action === "reject" && !b.message?.trim()) throw invalid(["body", "message"], "reject needs a message saying why", b.message ?? null);
  if (!Array.isArray(b.target)) throw invalid(["body", "target"], `target must be an array of ids for '${b.action}', e.g. ["<id>"]`, b.target ?? null);
  if (b.target.length === 0 || b.target.length > MAX_TARGETS) throw invalid(["body", "target"], `target must list 1 to ${MAX_TARGETS} ids`, b.target);
  b.target.forEach((t, i) => {
    if (!t) throw invalid(["body", "target", i], "target ids must not be empty", t);
    if (b.target!.indexOf(t) !== i) throw invalid(["body", "target", i], `target lists '${t}' twice`, t);
  });
  return b.target;
}

/** One batch target: its result, with a domain error turned into `{code, message}` and the status it maps to. */
async function perTarget(ctx: Ctx, b: z.infer<typeof UnifiedIn>, id: string, overrides: Record<string, string> | undefined): Promise<ResultT> {
  try {
    const data = await (async () => {
      if (b.type === "task") {
        if (b.action === "status") return taskStatus(ctx, id);
        if (b.action === "run") return taskRun(ctx, id, b.settings);
        return taskStop(ctx, id, b.message);
      }
      if (b.action === "status") return pipelineStatusOf(ctx, id);
      if (b.action === "run") return pipelineRun(ctx, id, overrides);
      if (b.action === "delete") return pipelineDelete(ctx, id);
      return pipelineControl(ctx, b.action as "stop" | "reset" | "approve" | "reject", id, b.message);
    })();
    return { target: id, ok: true, status: 200, data };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { target: id, ok: false, status: err.status, error: { code: err.code, message: err.message } };
  }
}

async function firstTargetOrg(ctx: Ctx, type: Type, ids: string[]): Promise<string | null> {
  for (const id of ids) {
    const row =
      type === "pipeline"
        ? await ctx.db.select({ orgId: pipelines.orgId }).from(pipelines).where(eq(pipelines.pipelineId, id)).get()
        : await ctx.db.select({ orgId: actions.orgId }).from(actions).where(eq(actions.actionId, id)).get();
    if (row) return row.orgId;
  }
  return null;
}

export type UnifiedBody = z.infer<typeof UnifiedIn>;
export type UnifiedResult = z.infer<typeof UnifiedOut>;

/**
 * Carries out one `POST /api/v2/actions` body for `ctx`: the one implementation behind the
 * REST route and the MCP `pipeline_action` tool. Guarantees: request-level problems (matrix,
 * target shape, settings) throw a 422 AppError before anything changes; each batch target
 * is carried out on its own and reported in `results` with its own status; `note` is told
 * what to audit before the work starts and again with the outcome. `status` is the HTTP
 * status of the whole call (200, 207, or the one status every target failed with).
 */
export async function dispatchUnified(ctx: Ctx, b: UnifiedBody, note: (n: AuditNote) => void): Promise<{ status: number; out: UnifiedResult }> {
  const targets = checkShape(b);
  // Least role per action (reads viewer, run control runner, changes and decisions editor) is checked by each verb after its target (or, for create, the parent app) is
  // resolved, so another tenant's id is 404 like a nonexistent one, never 403.
  const noteTargets = (orgId: string | null | undefined, details: unknown) =>
    note({ orgId: orgId ?? undefined, action: `${b.action}.${b.type}`, targetType: b.type, targetId: targets.join(",") || null, details });
  noteTargets(ctx.actor.orgId, { targets });
  if (b.action === "create" || b.action === "update") {
    const data =
      b.action === "create"
        ? b.type === "task"
          ? await taskCreate(ctx, b.settings!)
          : await createPipeline(ctx, b.settings!, ["body", "settings"])
        : b.type === "task"
          ? await taskUpdate(ctx, targets[0]!, b.settings!)
          : await updatePipeline(ctx, targets[0]!, b.settings!, ["body", "settings"], ["body", "target"]);
    const id = "pipeline_id" in data ? data.pipeline_id : data.action_id;
    const orgId = "org_id" in data ? data.org_id : ctx.actor.orgId;
    note({ orgId: orgId ?? undefined, action: `${b.action}.${b.type}`, targetType: b.type, targetId: id, details: { fields: Object.keys(b.settings!) } });
    // The document's only success code is 200, create included; the per-target status keeps 201.
    const status = b.action === "create" ? 201 : 200;
    return { status: 200, out: { action: b.action, type: b.type, version: 1 as const, results: [{ target: id, ok: true, status, data }] } };
  }
  // Request-level: a bad settings.env is a 422 for the whole call, not a per-target failure.
  const overrides = b.type === "pipeline" && b.action === "run" ? envOverrides(b.settings) : undefined;
  const results: ResultT[] = [];
  for (const id of targets) results.push(await perTarget(ctx, b, id, overrides));
  // The admin token has no org: the audit record goes to the org of the first target that exists.
  const auditOrg = ctx.actor.orgId ?? (await firstTargetOrg(ctx, b.type, targets));
  noteTargets(auditOrg, { targets, results: results.map((r) => ({ target: r.target, ok: r.ok, status: r.status, error: r.error?.message })) });
  const failed = results.filter((r) => !r.ok);
  const status = failed.length === 0 ? 200 : failed.length < results.length ? 207 : new Set(failed.map((r) => r.status)).size === 1 ? failed[0]!.status : 207;
  return { status, out: { action: b.action, type: b.type, version: 1 as const, results } };
}
