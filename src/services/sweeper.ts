import { and, eq, inArray, isNotNull, lt, sql } from "drizzle-orm";
import { nowIso } from "../core/ids";
import { MAX_RECOVERIES, MAX_ROUTE_ATTEMPTS, OVERDUE_GRACE_SECONDS, overdueAfterSeconds, plusSeconds, SWEEP_LIMIT } from "../core/recovery";
import { getDb, type Db } from "../db/client";
import { actions, events, executions, pipelineRuns, runs, triggers } from "../db/schema";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { sendInChunks } from "../queue/send";
import { afterCompletion, completionStatements, FINAL_STATUSES } from "./executions";

/** What one sweep re-drove (and gave up on), per kind. */
export interface SweepResult {
  runs: number;
  failedRuns: number;
  events: number;
  failedEvents: number;
  slots: number;
  ticks: number;
  pipelineRuns: number;
}

/**
 * The minute sweeper: finds work that D1 says is unfinished but that no task is carrying any
 * more, and re-drives it. Guarantees, each for at most SWEEP_LIMIT rows per kind and minute:
 * - a `running` run whose lease expired (its invocation died) is set back to `pending` and
 *   delivered again with the same `webhook-id`; a `pending` run overdue by its grace (its task
 *   was lost or dead-lettered) is enqueued again; after MAX_RECOVERIES re-drives the run fails
 *   (`lease_expired` / `undeliverable`) and its execution closes once, counters exact;
 * - a `received` event overdue by its grace is routed again; after MAX_ROUTE_ATTEMPTS it is
 *   marked `failed` with `route_error` (replay retries it);
 * - a claimed schedule slot or trigger tick that never fired is enqueued again (both fire once:
 *   executions are unique per (action, slot), tick events per (trigger, slot));
 * - a `running` pipeline run whose current step's execution is final is advanced.
 * Every re-drive is idempotent on its own (guarded claims, unique indexes), so running the
 * sweeper twice, or beside a live task, never does work twice. Safe to call any time.
 */
export async function sweep(env: Env, now: Date): Promise<SweepResult> {
  const db = getDb(env.DB);
  const [r, e, slots, ticks, p] = await Promise.all([sweepRuns(env, db, now), sweepEvents(env, db, now), sweepSlots(env, db, now), sweepTicks(env, db, now), sweepPipelines(env, db, now)]);
  return { runs: r.redriven, failedRuns: r.failed, events: e.redriven, failedEvents: e.failed, slots, ticks, pipelineRuns: p };
}

const send = (env: Env, tasks: Task[]) =>
  sendInChunks(env.TASKS, tasks, async (chunk, err) => {
    // Nothing was changed that the next sweep cannot see again: the rows stay overdue.
    console.error(JSON.stringify({ level: "error", msg: "sweeper enqueue refused; retried next minute", tasks: chunk.length, error: String(err) }));
  });

/** Re-drives runs whose lease (running) or grace (pending) has run out. */
async function sweepRuns(env: Env, db: Db, now: Date): Promise<{ redriven: number; failed: number }> {
  const at = now.toISOString();
  const stale = await db
    .select({ runId: runs.runId, orgId: runs.orgId, actionId: runs.actionId, executionId: runs.executionId, status: runs.status, recoveries: runs.recoveries, leaseUntil: runs.leaseUntil })
    .from(runs)
    .where(and(isNotNull(runs.leaseUntil), lt(runs.leaseUntil, at), inArray(runs.status, ["pending", "running"])))
    .orderBy(runs.leaseUntil)
    .limit(SWEEP_LIMIT);
  const tasks: Task[] = [];
  let failed = 0;
  for (const run of stale) {
    const guard = and(eq(runs.runId, run.runId), eq(runs.status, run.status), eq(runs.recoveries, run.recoveries), eq(runs.leaseUntil, run.leaseUntil!));
    if (run.recoveries >= MAX_RECOVERIES) {
      const code = run.status === "running" ? "lease_expired" : "undeliverable";
      const msg =
        run.status === "running"
          ? `the delivery was interrupted ${run.recoveries + 1} times before it could be recorded (the invocation died); giving up`
          : `the delivery task was lost or dead-lettered ${run.recoveries + 1} times; giving up`;
      const exec = { executionId: run.executionId, actionId: run.actionId, orgId: run.orgId };
      const [closed] = await db.batch([
        db.update(runs).set({ status: "failed", completedAt: at, errorCode: code, errorMessage: msg, leaseUntil: null }).where(guard).returning({ runId: runs.runId }),
        ...completionStatements(db, exec, "failed", at),
      ]);
      if (closed.length) {
        failed++;
        const e = await db.select({ pipelineRunId: executions.pipelineRunId }).from(executions).where(and(eq(executions.orgId, run.orgId), eq(executions.executionId, run.executionId))).get();
        if (e) await afterCompletion(env, e);
      }
      continue;
    }
    // The next deadline grows with each re-drive, so a long backlog is not flooded with duplicates.
    const moved = await db
      .update(runs)
      .set({ status: "pending", recoveries: run.recoveries + 1, leaseUntil: plusSeconds(now, overdueAfterSeconds(run.recoveries + 1)) })
      .where(guard)
      .returning({ runId: runs.runId })
      .get();
    if (moved) tasks.push({ v: 1, kind: "run.deliver", run_id: run.runId });
  }
  const redriven = await send(env, tasks);
  if (stale.length) console.warn(JSON.stringify({ level: "warn", msg: "sweeper re-drove runs", redriven, failed }));
  return { redriven, failed };
}

/** Routes again events left `received` past their grace; gives up after MAX_ROUTE_ATTEMPTS. */
async function sweepEvents(env: Env, db: Db, now: Date): Promise<{ redriven: number; failed: number }> {
  const at = now.toISOString();
  const oldest = plusSeconds(now, -OVERDUE_GRACE_SECONDS);
  // The partial index events_unrouted holds only `received` rows; the grace doubles per attempt.
  const due = await db
    .select({ eventId: events.eventId, attempts: events.routeAttempts })
    .from(events)
    .where(
      and(
        eq(events.status, "received"),
        lt(events.receivedAt, oldest),
        sql`${events.receivedAt} < strftime('%Y-%m-%dT%H:%M:%fZ', ${at}, '-' || min(${OVERDUE_GRACE_SECONDS} * (1 << min(${events.routeAttempts}, 10)), 86400) || ' seconds')`,
      ),
    )
    .orderBy(events.receivedAt)
    .limit(SWEEP_LIMIT);
  const giveUp = due.filter((d) => d.attempts >= MAX_ROUTE_ATTEMPTS).map((d) => d.eventId);
  const retry = due.filter((d) => d.attempts < MAX_ROUTE_ATTEMPTS).map((d) => d.eventId);
  const ids = (list: string[]) => sql`${events.eventId} IN (SELECT value FROM json_each(${JSON.stringify(list)}))`;
  if (giveUp.length) {
    await db
      .update(events)
      .set({ status: "failed", routeError: sql`coalesce(${events.routeError} || '; ', '') || ${`routing did not complete after ${MAX_ROUTE_ATTEMPTS} attempts; replay the event to try again`}` })
      .where(and(ids(giveUp), eq(events.status, "received")));
  }
  if (retry.length) await db.update(events).set({ routeAttempts: sql`${events.routeAttempts} + 1` }).where(and(ids(retry), eq(events.status, "received")));
  const redriven = await send(env, retry.map((event_id) => ({ v: 1, kind: "event.route", event_id })));
  if (due.length) console.warn(JSON.stringify({ level: "warn", msg: "sweeper re-routed events", redriven, failed: giveUp.length }));
  return { redriven, failed: giveUp.length };
}

/** Enqueues again schedule slots the cron claimed but that never fired (their task was lost). */
async function sweepSlots(env: Env, db: Db, now: Date): Promise<number> {
  const due = await db
    .select({ actionId: actions.actionId, dueAt: actions.claimedDueAt })
    .from(actions)
    .where(and(isNotNull(actions.claimedDueAt), lt(actions.claimedAt, plusSeconds(now, -OVERDUE_GRACE_SECONDS))))
    .limit(SWEEP_LIMIT);
  return send(env, due.map((d) => ({ v: 1, kind: "action.scheduled", action_id: d.actionId, due_at: d.dueAt! })));
}

/** Enqueues again trigger ticks the cron claimed but that were never stored (their task was lost). */
async function sweepTicks(env: Env, db: Db, now: Date): Promise<number> {
  const due = await db
    .select({ id: triggers.projectTriggerId, dueAt: triggers.claimedDueAt })
    .from(triggers)
    .where(and(isNotNull(triggers.claimedDueAt), lt(triggers.claimedAt, plusSeconds(now, -OVERDUE_GRACE_SECONDS))))
    .limit(SWEEP_LIMIT);
  return send(env, due.map((d) => ({ v: 1, kind: "trigger.tick", project_trigger_id: d.id, due_at: d.dueAt! })));
}

/** Advances `running` pipeline runs whose current step already finished (their advance task was lost). */
async function sweepPipelines(env: Env, db: Db, now: Date): Promise<number> {
  const stuck = await db
    .selectDistinct({ id: pipelineRuns.pipelineRunId })
    .from(pipelineRuns)
    .innerJoin(
      executions,
      and(eq(executions.orgId, pipelineRuns.orgId), eq(executions.pipelineRunId, pipelineRuns.pipelineRunId), eq(executions.stepIndex, pipelineRuns.currentStep)),
    )
    .where(
      and(eq(pipelineRuns.status, "running"), lt(pipelineRuns.updatedAt, plusSeconds(now, -OVERDUE_GRACE_SECONDS)), inArray(executions.status, [...FINAL_STATUSES]), lt(executions.updatedAt, plusSeconds(now, -OVERDUE_GRACE_SECONDS))),
    )
    .limit(SWEEP_LIMIT);
  if (stuck.length) {
    await db
      .update(pipelineRuns)
      .set({ lastError: `step finished but the pipeline had not advanced; re-driven at ${nowIso()}` })
      .where(sql`${pipelineRuns.pipelineRunId} IN (SELECT value FROM json_each(${JSON.stringify(stuck.map((s) => s.id))}))`);
  }
  return send(env, stuck.map((s) => ({ v: 1, kind: "pipeline.advance", pipeline_run_id: s.id })));
}
