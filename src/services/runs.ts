import { and, asc, count, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import { assertOrg, assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { AppError, conflict, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import { decodeCursor, toPage, type Page } from "../core/pagination";
import { OVERDUE_GRACE_SECONDS, plusSeconds } from "../core/recovery";
import { inOrg } from "../db/scope";
import { actions, executions, runs } from "../db/schema";
import { getAction, type AppScope } from "./actions";
import { closeUnqueuedRun, ENQUEUE_FAILED, nextAttempt, type RunRow } from "./executions";
import { gateOrg, openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";

export const RUN_STATUSES = ["pending", "pending_approval", "held", "running", "success", "failed", "cancelled", "rejected"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * Lists the runs (attempts) of one action, newest first, optionally by status. The action
 * must belong to the path's app (404 otherwise); viewer role suffices.
 */
export async function listRuns(ctx: Ctx, s: AppScope, actionId: string, q: { status?: RunStatus; limit: number; cursor?: string }): Promise<Page<RunRow>> {
  await getAction(ctx, s, actionId);
  const after = decodeCursor(q.cursor);
  const where = (...more: (SQL | undefined)[]) => inOrg(runs, s.orgId, eq(runs.actionId, actionId), q.status ? eq(runs.status, q.status) : undefined, ...more);
  const [rows, [total]] = await ctx.db.batch([
    ctx.db.select().from(runs).where(where(after ? lt(runs.runId, after) : undefined)).orderBy(desc(runs.runId)).limit(q.limit + 1),
    ctx.db.select({ n: count() }).from(runs).where(where()),
  ]);
  return toPage(rows, q.limit, total?.n ?? 0, (r) => r.runId);
}

/** One run of one action (404 when it does not belong to that action or tenant). */
export async function getRun(ctx: Ctx, s: AppScope, actionId: string, runId: string): Promise<RunRow> {
  await getAction(ctx, s, actionId);
  const row = await ctx.db.select().from(runs).where(inOrg(runs, s.orgId, eq(runs.actionId, actionId), eq(runs.runId, runId))).get();
  if (!row) throw notFound("run");
  return row;
}

/** Org-wide runs filter: by action and status (both optional). */
export interface OrgRunFilter {
  action_id?: string;
  status?: RunStatus;
}

/**
 * Lists every run (attempt) of the org, newest first, optionally by action and status
 * (viewer+; another org is 404). Served by the `runs_org`, `runs_org_status` and
 * `runs_action` indexes; the same cursor pagination as every list.
 */
export async function listOrgRuns(ctx: Ctx, orgId: string, filter: OrgRunFilter, page: PageIn): Promise<Page<RunRow>> {
  await openOrg(ctx, orgId, "viewer");
  const where = inOrg(runs, orgId, filter.action_id ? eq(runs.actionId, filter.action_id) : undefined, filter.status ? eq(runs.status, filter.status) : undefined);
  return pageOf(ctx.db, runs, runs.runId, where, page, (r) => r);
}

/** The path's org (gateOrg), then the run by id (getRunById, viewer+); a run of any other org is the same 404. */
async function runOfOrg(ctx: Ctx, orgId: string, runId: string): Promise<RunRow> {
  await gateOrg(ctx, orgId);
  const run = await getRunById(ctx, runId, ["path", "run_id"]);
  if (run.orgId !== orgId) throw notFound("run", ["path", "run_id"]);
  return run;
}

/** A run with every attempt of its execution (oldest first) and the execution's origin. */
export interface RunDetail {
  run: RunRow;
  attempts: RunRow[];
  execution: { execution_id: string; event_id: string | null; pipeline_run_id: string | null; trigger_type: string; app_id: string; workspace_id: string };
}

/** Reads one run of the org by id, with the attempt timeline of its execution (viewer+; another org's run is 404, like a missing one). */
export async function getOrgRun(ctx: Ctx, orgId: string, runId: string): Promise<RunDetail> {
  const run = await runOfOrg(ctx, orgId, runId);
  const [attempts, [exec]] = await ctx.db.batch([
    ctx.db.select().from(runs).where(inOrg(runs, orgId, eq(runs.executionId, run.executionId))).orderBy(asc(runs.attempt)).limit(100),
    ctx.db.select().from(executions).where(inOrg(executions, orgId, eq(executions.executionId, run.executionId))).limit(1),
  ]);
  return {
    run,
    attempts,
    execution: {
      execution_id: run.executionId, event_id: exec?.eventId ?? null, pipeline_run_id: exec?.pipelineRunId ?? null,
      trigger_type: exec?.triggerType ?? run.triggerType, app_id: exec?.appId ?? "", workspace_id: run.workspaceId,
    },
  };
}

/**
 * Retries a failed run (runner+; another org's run is 404): a new attempt (attempt + 1) of the
 * same execution, `pending` and enqueued for delivery, so the receiver sees the same
 * `webhook-id`. Guarantees: only the latest attempt of an execution that ended `failed` can be
 * retried, and not a pipeline step (409 otherwise: a pipeline is re-run as a whole); of
 * concurrent retries exactly one creates the attempt (one D1 transaction, each statement
 * guarded on the execution still being `failed` with no newer attempt); the action's counters
 * stay exact — the failure counted when the execution ended is taken back and the execution
 * is counted once more when the new attempt ends. A retried attempt is not retried again
 * automatically (its attempt number is past `max_retries`). If the queue refuses, the attempt
 * is closed `failed`/`enqueue_failed` and a 503 is thrown.
 */
export async function retryRun(ctx: Ctx, orgId: string, runId: string): Promise<RunRow> {
  const run = await runOfOrg(ctx, orgId, runId);
  assertRole(ctx.actor, "runner");
  const exec = await ctx.db.select().from(executions).where(inOrg(executions, orgId, eq(executions.executionId, run.executionId))).get();
  if (!exec || run.status !== "failed" || exec.status !== "failed") throw conflict(`only a failed run can be retried; this run is ${run.status}`);
  if (exec.pipelineRunId) throw conflict("this run is a pipeline step; run the pipeline again instead");
  const nextId = uuidv7();
  const at = nowIso();
  const retriable = sql`EXISTS (SELECT 1 FROM executions x WHERE x.execution_id = ${exec.executionId} AND x.status = 'failed')
    AND NOT EXISTS (SELECT 1 FROM runs n WHERE n.execution_id = ${exec.executionId} AND n.attempt > ${run.attempt})`;
  const [, inserted] = await ctx.db.batch([
    ctx.db
      .update(actions)
      .set({
        failedRuns: sql`max(${actions.failedRuns} - 1, 0)`,
        runningCount: sql`${actions.runningCount} + 1`,
        lastRunStatus: sql`CASE WHEN ${actions.lastExecutionId} = ${exec.executionId} THEN 'pending' ELSE ${actions.lastRunStatus} END`,
      })
      .where(inOrg(actions, orgId, eq(actions.actionId, run.actionId), retriable)),
    nextAttempt(ctx.db, { runId: run.runId, nextId, at, leaseUntil: plusSeconds(at, OVERDUE_GRACE_SECONDS), guard: retriable }).returning({ runId: runs.runId }),
    ctx.db.update(executions).set({ status: "pending", updatedAt: at }).where(inOrg(executions, orgId, eq(executions.executionId, exec.executionId), eq(executions.status, "failed"))),
  ]);
  if (inserted.length === 0) throw conflict("this run was already retried");
  try {
    await ctx.env.TASKS.send({ v: 1, kind: "run.deliver", run_id: nextId });
  } catch (err) {
    await closeUnqueuedRun(ctx.db, exec, nextId, err);
    throw new AppError("unavailable", ENQUEUE_FAILED, [{ loc: [], msg: ENQUEUE_FAILED, type: "queue_unavailable" }]);
  }
  return (await ctx.db.select().from(runs).where(inOrg(runs, orgId, eq(runs.runId, nextId))).get())!;
}

/**
 * One run by its id alone (viewer+), for faces that address runs without the action path.
 * Guarantees: a run of another org and an unknown id are the same 404 `run not found`;
 * the role is checked only after tenancy.
 */
export async function getRunById(ctx: Ctx, runId: string, loc?: (string | number)[]): Promise<RunRow> {
  const byId = eq(runs.runId, runId);
  const row = await ctx.db.select().from(runs).where(ctx.actor.orgId ? inOrg(runs, ctx.actor.orgId, byId) : byId).get();
  if (!row) throw notFound("run", loc);
  assertOrg(ctx.actor, row.orgId, "run");
  assertRole(ctx.actor, "viewer");
  return row;
}
