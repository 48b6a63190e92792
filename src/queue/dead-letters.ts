import { and, eq, inArray, sql } from "drizzle-orm";
import { nowIso } from "../core/ids";
import { MAX_RECOVERIES, overdueAfterSeconds, plusSeconds } from "../core/recovery";
import { getDb, type Db } from "../db/client";
import { actions, events, executions, jobs, pipelineRuns, runs, triggers } from "../db/schema";
import type { Env } from "../env";
import { afterCompletion, completionStatements } from "../services/executions";
import type { IngestedEvent } from "../engine/event-log";
import { settleIngested } from "../services/event-store";
import { admitToInbox } from "../services/ingest-handoff";
import { Task } from "./messages";

const DEAD = "its task failed on every queue attempt and was dead-lettered";

/**
 * Consumer of the dead-letter queue. Guarantees: every message is logged and acked (nothing
 * loops), and every kind of task ends visible in D1 — a status and a reason on the row it
 * was about — and, where re-driving is safe, is left in the state the minute sweeper
 * re-drives (services/sweeper.ts):
 * - `event.ingest` (an acknowledged event not yet in D1): stored and routed once more; if
 *   D1 still refuses, it is held in the inbox object, whose alarm keeps storing it; only if
 *   that refuses too is the message retried, with a delay (never acked unstored). One this
 *   version cannot parse (written by another deploy) is retried the same way, never acked,
 *   and logged by its event id only.
 * - `run.deliver`: a run still `pending`/`running` counts one recovery and waits for the
 *   sweeper (delivered again, same `webhook-id`); past MAX_RECOVERIES it fails
 *   `dead_lettered` and its execution closes once. Runs already final are left untouched
 *   (the delivery worker dead-letters exhausted runs itself, as a record).
 * - `event.route`: `route_error` records it and the event stays `received`, so the sweeper
 *   routes it again (it is marked `failed` after MAX_ROUTE_ATTEMPTS there).
 * - `pipeline.advance`: `last_error` on the pipeline run; the sweeper advances it.
 * - `action.scheduled`: `last_error` on the action; the claimed slot stays claimed, so the
 *   sweeper fires it (once: executions are unique per slot).
 * - `trigger.tick`: `last_error` on the trigger; the claimed slot is re-driven the same way.
 * - `trigger.poll`: `last_error` on the trigger, and it is due again at once.
 * - `job.step`: `error` on the job, which stays open, so the minute cron re-drives it.
 * A failure while settling one message is logged and does not stop the others.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  for (const msg of batch.messages) {
    const task = Task.safeParse(msg.body);
    if (task.success && task.data.kind === "event.ingest") {
      // The event itself (a webhook body) is not logged: its id says which one.
      console.error(JSON.stringify({ level: "warn", msg: "dead letter", id: msg.id, kind: "event.ingest", event_id: task.data.event.event_id, attempts: msg.attempts }));
      if (await keepEvent(env, task.data.event)) msg.ack();
      else msg.retry({ delaySeconds: Math.min(300, 30 * msg.attempts) });
      continue;
    }
    if (!task.success && ingestShaped(msg.body)) {
      // An acknowledged webhook this version cannot read (another deploy wrote it): kept, and
      // named by its event id only — never its headers or body.
      console.error(JSON.stringify({ level: "error", msg: "unreadable event.ingest dead letter kept; retried", id: msg.id, event_id: ingestId(msg.body), attempts: msg.attempts }));
      msg.retry({ delaySeconds: Math.min(300, 30 * msg.attempts) });
      continue;
    }
    console.error(JSON.stringify({ level: "warn", msg: "dead letter", id: msg.id, body: msg.body }));
    try {
      if (task.success) await settle(env, db, task.data);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "dead letter handling failed", id: msg.id, error: String(err) }));
    }
    msg.ack();
  }
}

/** True for a message that says it is an `event.ingest` (whether or not this version can parse it). */
const ingestShaped = (body: unknown): boolean => typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "event.ingest";

/** The event id an `event.ingest`-shaped message names (a short string only), else null. */
function ingestId(body: unknown): string | null {
  const id = (body as { event?: { event_id?: unknown } }).event?.event_id;
  return typeof id === "string" ? id.slice(0, 64) : null;
}

/**
 * Keeps a dead-lettered acknowledged event: stored in D1 and routed (one transaction), else
 * held in its inbox object (whose alarm stores it later); false only when neither took it
 * (the message is then retried, up to the DLQ consumer's max_retries, over hours).
 */
async function keepEvent(env: Env, event: IngestedEvent): Promise<boolean> {
  try {
    await settleIngested(env, [event]);
    return true;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "dead-lettered event not stored; holding it in the inbox", event_id: event.event_id, error: String(err) }));
  }
  try {
    await admitToInbox(env, [event]);
    return true;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "inbox refused a dead-lettered event; retried", event_id: event.event_id, error: String(err) }));
    return false;
  }
}

/** Records one dead-lettered task on its row (see consumeDeadLetters). */
async function settle(env: Env, db: Db, task: Task): Promise<void> {
  const at = nowIso();
  switch (task.kind) {
    case "event.ingest":
      return; // handled by keepEvent
    case "run.deliver": {
      const run = await db.select().from(runs).where(and(eq(runs.runId, task.run_id), inArray(runs.status, ["pending", "running"]))).get();
      if (!run) return;
      const guard = and(eq(runs.runId, run.runId), eq(runs.status, run.status), eq(runs.recoveries, run.recoveries));
      if (run.recoveries < MAX_RECOVERIES) {
        await db
          .update(runs)
          .set({ status: "pending", recoveries: run.recoveries + 1, leaseUntil: plusSeconds(at, overdueAfterSeconds(run.recoveries + 1)), errorMessage: `re-driven by the sweeper: ${DEAD}` })
          .where(guard);
        return;
      }
      const exec = await db.select().from(executions).where(and(eq(executions.orgId, run.orgId), eq(executions.executionId, run.executionId))).get();
      const [closed] = await db.batch([
        db
          .update(runs)
          .set({ status: "failed", completedAt: at, errorCode: "dead_lettered", errorMessage: `the delivery ${DEAD} ${run.recoveries + 1} times`, leaseUntil: null })
          .where(guard)
          .returning({ runId: runs.runId }),
        ...completionStatements(db, { executionId: run.executionId, actionId: run.actionId, orgId: run.orgId }, "failed", at),
      ]);
      if (closed.length && exec) await afterCompletion(env, exec);
      return;
    }
    case "event.route":
      await db.update(events).set({ routeError: `routing ${DEAD} at ${at}; the sweeper routes it again` }).where(and(eq(events.eventId, task.event_id), eq(events.status, "received")));
      return;
    case "pipeline.advance":
      await db.update(pipelineRuns).set({ lastError: `advance ${DEAD} at ${at}; the sweeper advances it again` }).where(eq(pipelineRuns.pipelineRunId, task.pipeline_run_id));
      return;
    case "action.scheduled":
      await db
        .update(actions)
        .set({ lastError: `schedule slot ${task.due_at}: ${DEAD} at ${at}; the sweeper fires it again`, claimedDueAt: sql`coalesce(${actions.claimedDueAt}, ${task.due_at})`, claimedAt: sql`coalesce(${actions.claimedAt}, ${at})` })
        .where(eq(actions.actionId, task.action_id));
      return;
    case "trigger.tick":
      await db
        .update(triggers)
        .set({ lastError: `tick ${task.due_at}: ${DEAD} at ${at}; the sweeper emits it again`, claimedDueAt: sql`coalesce(${triggers.claimedDueAt}, ${task.due_at})`, claimedAt: sql`coalesce(${triggers.claimedAt}, ${at})` })
        .where(eq(triggers.projectTriggerId, task.project_trigger_id));
      return;
    case "endpoint.drain":
      // Nothing to record: the minute cron drains every closed endpoint that still holds runs.
      return;
    case "trigger.poll":
      await db.update(triggers).set({ lastError: `poll ${DEAD} at ${at}; polled again at the next minute`, nextDueAt: at }).where(and(eq(triggers.projectTriggerId, task.project_trigger_id), eq(triggers.status, "ENABLED")));
      return;
    case "job.step":
      await db.update(jobs).set({ error: `a step ${DEAD} at ${at}; the minute cron re-drives it` }).where(and(eq(jobs.jobId, task.job_id), inArray(jobs.status, ["queued", "running"])));
      return;
  }
}
