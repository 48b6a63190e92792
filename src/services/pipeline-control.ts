import { assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { runPipelineOp } from "./pipeline-engine";
import { findPipeline, toPipelineOut } from "./pipelines";

// The run-control verbs of a pipeline, shared by `/api/v2/actions` (unified face) and the
// console. Tenancy first (another org's pipeline is 404 at `loc`), then the role; each op is
// serialized by the pipeline's Durable Object.

/** Where a missing pipeline is reported unless the caller says otherwise: the unified face's target. */
const TARGET = ["body", "target"];

/** `run`: starts a new pipeline run (runner+); `settings.env` overrides the pipeline's variables. */
export async function pipelineRun(ctx: Ctx, id: string, overrides: Record<string, string> | undefined, loc: (string | number)[] = TARGET) {
  const p = await findPipeline(ctx.db, ctx.actor, id, loc);
  assertRole(ctx.actor, "runner");
  return runPipelineOp(ctx.env, p.pipelineId, { op: "start", pipelineId: p.pipelineId, orgId: p.orgId, triggerType: "pipeline", overrides, invokedBy: ctx.actor.id });
}

/** `stop` (runner+), `reset` (runner+), `approve` / `reject` (editor+): serialized by the pipeline's object. */
export async function pipelineControl(ctx: Ctx, action: "stop" | "reset" | "approve" | "reject", id: string, message: string | undefined, loc: (string | number)[] = TARGET) {
  const p = await findPipeline(ctx.db, ctx.actor, id, loc);
  assertRole(ctx.actor, action === "approve" || action === "reject" ? "editor" : "runner");
  const base = { pipelineId: p.pipelineId, orgId: p.orgId };
  if (action === "stop") return runPipelineOp(ctx.env, p.pipelineId, { op: "stop", ...base, actorId: ctx.actor.id });
  if (action === "reset") {
    await runPipelineOp(ctx.env, p.pipelineId, { op: "reset", ...base });
    return toPipelineOut(await findPipeline(ctx.db, ctx.actor, id, loc));
  }
  return runPipelineOp(ctx.env, p.pipelineId, { op: "decide", ...base, decision: action, actorId: ctx.actor.id, message: message ?? null });
}

