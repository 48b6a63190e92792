import { and, asc, eq } from "drizzle-orm";
import { assertOrg, assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { conflict, notFound } from "../core/errors";
import { actions, executions, pipelineRuns, pipelines, runs } from "../db/schema";
import { inOrg } from "../db/scope";
import { triggerStateFor } from "../durable/client";
import type { RunRow } from "./executions";
import { openOrg } from "./orgs";

/**
 * The object that owns a run's approval: the trigger whose event caused it, the pipeline it
 * is a step of, or the action itself for direct invocations.
 */
export async function approvalKeyOf(ctx: Ctx, run: RunRow): Promise<string> {
  const exec = await ctx.db.select().from(executions).where(inOrg(executions, run.orgId, eq(executions.executionId, run.executionId))).get();
  if (exec?.projectTriggerId) return exec.projectTriggerId;
  if (exec?.pipelineRunId) {
    const pr = await ctx.db.select({ pipelineId: pipelineRuns.pipelineId }).from(pipelineRuns).where(inOrg(pipelineRuns, run.orgId, eq(pipelineRuns.pipelineRunId, exec.pipelineRunId))).get();
    if (pr) return `pipeline:${pr.pipelineId}`;
  }
  return `action:${run.actionId}`;
}

/**
 * Approves or rejects a run waiting in `pending_approval` (editor+; another tenant's run is
 * 404). Guarantees: the decision is taken by the owning Durable Object, so of concurrent
 * calls exactly one wins and the others get 409 "run already approved by …"; an approved
 * run is enqueued for delivery, a rejected one ends `rejected` with `message` and is never
 * delivered. Returns the run as stored after the decision.
 */
export async function decide(ctx: Ctx, runId: string, decision: "approve" | "reject", message: string | null | undefined): Promise<RunRow> {
  const where = ctx.actor.orgId ? inOrg(runs, ctx.actor.orgId, eq(runs.runId, runId)) : eq(runs.runId, runId);
  const run = await ctx.db.select().from(runs).where(where).get();
  if (!run) throw notFound("run", ["path", "run_id"]);
  assertOrg(ctx.actor, run.orgId, "run");
  assertRole(ctx.actor, "editor");
  const key = await approvalKeyOf(ctx, run);
  const res = await triggerStateFor(ctx.env, key).decideRun({ runId, orgId: run.orgId, decision, actorId: ctx.actor.id, message: message ?? null });
  if (!res.ok) throw res.code === "not_found" ? notFound("run", ["path", "run_id"]) : conflict(res.message);
  return (await ctx.db.select().from(runs).where(inOrg(runs, run.orgId, eq(runs.runId, runId))).get()) ?? run;
}

/** What waits for a decision in one org: action runs and pipeline gates in `pending_approval`. */
export interface PendingApprovals {
  runs: (RunRow & { action_name: string | null })[];
  gates: { pipeline_run_id: string; pipeline_id: string; pipeline_name: string | null; current_step: number; updated_at: string }[];
}

/** Most items of each kind the inbox lists (oldest first: the longest waiting are decided first). */
export const INBOX_LIMIT = 100;

/**
 * The approvals inbox of an org (viewer+; another org is 404): runs in `pending_approval`
 * (through `runs_org_status`) and pipeline runs waiting at a gate (through
 * `pipeline_runs_waiting`), oldest first, at most INBOX_LIMIT of each, with the action's or
 * pipeline's name.
 */
export async function listPendingApprovals(ctx: Ctx, orgId: string): Promise<PendingApprovals> {
  await openOrg(ctx, orgId, "viewer");
  const [waiting, gates] = await ctx.db.batch([
    ctx.db
      .select({ run: runs, actionName: actions.name })
      .from(runs)
      .leftJoin(actions, and(eq(actions.orgId, runs.orgId), eq(actions.actionId, runs.actionId)))
      .where(inOrg(runs, orgId, eq(runs.status, "pending_approval")))
      .orderBy(asc(runs.runId))
      .limit(INBOX_LIMIT),
    ctx.db
      .select({ pr: pipelineRuns, name: pipelines.name })
      .from(pipelineRuns)
      .leftJoin(pipelines, and(eq(pipelines.orgId, pipelineRuns.orgId), eq(pipelines.pipelineId, pipelineRuns.pipelineId)))
      .where(inOrg(pipelineRuns, orgId, eq(pipelineRuns.status, "pending_approval")))
      .orderBy(asc(pipelineRuns.pipelineRunId))
      .limit(INBOX_LIMIT),
  ]);
  return {
    runs: waiting.map((w) => ({ ...w.run, action_name: w.actionName ?? null })),
    gates: gates.map((g) => ({ pipeline_run_id: g.pr.pipelineRunId, pipeline_id: g.pr.pipelineId, pipeline_name: g.name ?? null, current_step: g.pr.currentStep, updated_at: g.pr.updatedAt })),
  };
}
