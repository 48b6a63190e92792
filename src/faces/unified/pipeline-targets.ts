import type { Ctx } from "../../core/context";
import { invalid } from "../../core/errors";
import { pipelineControl, pipelineRun } from "../../services/pipeline-control";
import { pipelineStatus } from "../../services/pipeline-engine";
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

/** `delete` (editor+): refused with 409 while a run is active. */
export async function pipelineDelete(ctx: Ctx, id: string) {
  await deletePipeline(ctx, id, TARGET);
  return { pipeline_id: id, deleted: true };
}

export { createPipeline, pipelineControl, pipelineRun, updatePipeline };
