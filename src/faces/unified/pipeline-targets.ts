import { assertRole } from "../../core/actor";
import type { Ctx } from "../../core/context";
import { invalid } from "../../core/errors";
import { pipelineStatus, runPipelineOp } from "../../services/pipeline-engine";
import { createPipeline, deletePipeline, findPipeline, toPipelineOut, updatePipeline } from "../../services/pipelines";

const TARGET = ["body", "target"];

/** Env overrides from `settings.env` (string values only), for `run`. */
export function envOverrides(settings: Record<string, unknown> | undefined): Record<string, string> | undefined {
  const e = settings?.env;
  if (e === undefined || e === null) return undefined;
  if (typeof e !== "object" || Array.isArray(e)) throw invalid(["body", "settings", "env"], "settings.env must be an object of string values", e);
  for (const [k, v] of Object.entries(e)) if (typeof v !== "string") throw invalid(["body", "settings", "env", k], `settings.env.${k} must be a string`, v);
  return e as Record<string, string>;
}

/** `status`: the pipeline's state, current step and run, its latest runs, and the pipeline object itself (for cloning). */
export async function pipelineStatusOf(ctx: Ctx, id: string) {
  const p = await findPipeline(ctx.db, ctx.actor, id, TARGET);
  return { ...(await pipelineStatus(ctx.db, p)), pipeline: toPipelineOut(p) };
}

/** `run`: starts a new pipeline run (runner+); `settings.env` overrides the pipeline's variables. */
export async function pipelineRun(ctx: Ctx, id: string, overrides: Record<string, string> | undefined) {
  const p = await findPipeline(ctx.db, ctx.actor, id, TARGET);
  assertRole(ctx.actor, "runner");
  return runPipelineOp(ctx.env, p.pipelineId, { op: "start", pipelineId: p.pipelineId, orgId: p.orgId, triggerType: "pipeline", overrides, invokedBy: ctx.actor.id });
}

/** `stop` (runner+), `reset` (runner+), `approve` / `reject` (editor+): serialized by the pipeline's object. */
export async function pipelineControl(ctx: Ctx, action: "stop" | "reset" | "approve" | "reject", id: string, message: string | undefined) {
  const p = await findPipeline(ctx.db, ctx.actor, id, TARGET);
  assertRole(ctx.actor, action === "approve" || action === "reject" ? "editor" : "runner");
  const base = { pipelineId: p.pipelineId, orgId: p.orgId };
  if (action === "stop") return runPipelineOp(ctx.env, p.pipelineId, { op: "stop", ...base, actorId: ctx.actor.id });
  if (action === "reset") {
    await runPipelineOp(ctx.env, p.pipelineId, { op: "reset", ...base });
    return toPipelineOut(await findPipeline(ctx.db, ctx.actor, id, TARGET));
  }
  return runPipelineOp(ctx.env, p.pipelineId, { op: "decide", ...base, decision: action, actorId: ctx.actor.id, message: message ?? null });
}

/** `delete` (editor+): refused with 409 while a run is active. */
export async function pipelineDelete(ctx: Ctx, id: string) {
  await deletePipeline(ctx, id, TARGET);
  return { pipeline_id: id, deleted: true };
}

export { createPipeline, updatePipeline };
