import { Validator, type Schema } from "@cfworker/json-schema";
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { AppError, type ErrorItem } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Db } from "../db/client";
import { actions, executions, runs, type events } from "../db/schema";
import { inOrg } from "../db/scope";
import type { Env } from "../env";
import { OVERDUE_GRACE_SECONDS, plusSeconds } from "../core/recovery";

export type ActionRow = typeof actions.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type ExecutionRow = typeof executions.$inferSelect;
export type RunRow = typeof runs.$inferSelect;

/** How an execution came to be; stored as the runs' `trigger_type`. */
export type TriggerType = "manual" | "api" | "schedule" | "webhook" | "polling" | "scheduled_trigger" | "pipeline" | "graphql" | "fleet";

/** Final statuses: an execution (and a run) in one of these never changes again. */
export const FINAL_STATUSES = ["success", "failed", "cancelled", "rejected"] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export interface StartExecutionInput {
  /** The action to run, already loaded and tenant-checked by the caller. */
  action: ActionRow;
  triggerType: TriggerType;
  /** The event that caused it (webhook, poll, tick), if any. Templates see it as `event`. */
  event?: EventRow | null;
  /** Manual inputs; validated against `action.manual_inputs_schema`. Templates: `inputs` / `manualInputs`. */
  inputs?: Record<string, unknown>;
  /** The target object (GraphQL `targetObject`). Templates: `target`. */
  target?: unknown;
  /** Env overrides (fleet API trigger). Templates: `env`. */
  env?: Record<string, string>;
  /** The person who invoked it; absent for API tokens. Templates: `user`. */
  user?: { id: string; email: string; name: string } | null;
  /** Actor id for the record (`created_by`-style). */
  invokedBy?: string;
  /** Set when the execution is a pipeline step. */
  pipelineRunId?: string | null;
  stepIndex?: number | null;
  /** Overrides the thread id for this execution (REST trigger `thread_id`). */
  threadId?: string | null;
  /** The schedule slot (due_at) of a scheduled execution; unique per action. */
  slot?: string | null;
}

export interface StartedExecution {
  execution_id: string;
  run_id: string;
  /** `pending` (enqueued for delivery) or `pending_approval` (waits for a decision). */
  status: "pending" | "pending_approval";
}

/**
 * Why `schema` cannot serve as a `manual_inputs_schema`, or null. @cfworker/json-schema
 * interprets schemas without compiling code; we require an object schema and try it once.
 */
export function inputsSchemaProblem(schema: unknown): string | null {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return "manual_inputs_schema must be a JSON Schema object";
  const types = ["string", "number", "integer", "boolean", "object", "array", "null"];
  const t = (schema as Record<string, unknown>).type;
  if (t !== undefined && !(typeof t === "string" ? types.includes(t) : Array.isArray(t) && t.every((x) => types.includes(x as string)))) {
    return `manual_inputs_schema.type must be one of ${types.join(", ")}`;
  }
  try {
    new Validator(schema as Schema, "2020-12", false).validate({});
  } catch (err) {
    return `manual_inputs_schema is not a usable JSON Schema: ${(err as Error).message}`;
  }
  return null;
}

/** Validates inputs; throws a 422 whose items point at ["body","inputs",…] with the validator's messages. */
export function assertInputs(schema: unknown, inputs: Record<string, unknown>): void {
  if (schema === null || schema === undefined) return;
  const result = new Validator(schema as Schema, "2020-12", false).validate(inputs);
  if (result.valid) return;
  const specific = result.errors.filter((e) => !["properties", "items", "allOf", "$ref", "additionalProperties"].includes(e.keyword) || result.errors.length === 1);
  const items: ErrorItem[] = (specific.length ? specific : result.errors).map((e) => ({
    loc: ["body", "inputs", ...e.instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent)],
    msg: e.error,
    type: "json_schema",
    input: inputs,
    ctx: { keyword: e.keyword, schema_location: e.keywordLocation },
  }));
  throw new AppError("validation_error", items[0]?.msg ?? "inputs do not match manual_inputs_schema", items);
}

/** The rows that start one execution: the execution and its first run (attempt 1). */
export interface FirstRun {
  execution: typeof executions.$inferInsert;
  run: typeof runs.$inferInsert;
  status: "pending" | "pending_approval";
}

/**
 * The execution row and its first run for `input`, at time `at`, with fresh UUIDv7 ids — the
 * one definition of what a new execution looks like, for `startExecution` and for batched
 * routing (services/routing.ts). Pure: validates nothing and writes nothing. A `pending` run
 * gets a lease (due + grace), so the sweeper re-drives it if its delivery task is lost; a
 * `pending_approval` run has none until it is approved.
 */
export function firstRunRows(input: StartExecutionInput, at: string): FirstRun {
  const { action } = input;
  const executionId = uuidv7();
  const status = action.approvalRequired ? "pending_approval" : "pending";
  return {
    status,
    execution: {
      executionId,
      orgId: action.orgId,
      workspaceId: action.workspaceId,
      appId: action.appId,
      actionId: action.actionId,
      triggerType: input.triggerType,
      status,
      eventId: input.event?.eventId ?? null,
      projectTriggerId: input.event?.projectTriggerId ?? null,
      pipelineRunId: input.pipelineRunId ?? null,
      stepIndex: input.stepIndex ?? null,
      inputs: input.inputs ?? {},
      target: input.target ?? null,
      env: input.env ?? null,
      user: input.user ?? null,
      invokedBy: input.invokedBy ?? null,
      slot: input.slot ?? null,
      createdAt: at,
      updatedAt: at,
    },
    run: {
      runId: uuidv7(),
      orgId: action.orgId,
      workspaceId: action.workspaceId,
      actionId: action.actionId,
      executionId,
      status,
      attempt: 1,
      triggerType: input.triggerType,
      triggeredAt: at,
      resolvedThreadId: input.threadId ?? null,
      leaseUntil: status === "pending" ? plusSeconds(at, OVERDUE_GRACE_SECONDS) : null,
    },
  };
}

/**
 * THE way every face starts work one execution at a time (routing starts them in batches:
 * services/routing.ts, with the same rows from `firstRunRows`). Guarantees: inputs are
 * validated against the action's `manual_inputs_schema` (422 AppError with loc
 * ["body","inputs",…] otherwise); one execution row and its first run (attempt 1) are written
 * in one D1 batch together with the action's counters (total_runs + 1, running_count + 1,
 * last_execution_id, last_run_at/status); a `pending` run is enqueued as a `run.deliver`
 * task; a `pending_approval` run is not enqueued until approved (`releaseApprovedRun`).
 * Throws D1's UNIQUE error when an execution for the same (event, action) or (action, slot)
 * already exists — callers that redeliver catch it.
 */
export async function startExecution(db: Db, env: Env, input: StartExecutionInput): Promise<StartedExecution> {
  const { action } = input;
  assertInputs(action.manualInputsSchema, input.inputs ?? {});
  const at = nowIso();
  const { execution, run, status } = firstRunRows(input, at);
  const executionId = execution.executionId;
  await db.batch([
    db.insert(executions).values(execution),
    db.insert(runs).values(run),
    db
      .update(actions)
      .set({
        totalRuns: sql`${actions.totalRuns} + 1`,
        runningCount: sql`${actions.runningCount} + 1`,
        lastExecutionId: executionId,
        lastRunAt: at,
        lastRunStatus: status,
        // A scheduled slot is fired: the sweeper no longer needs to re-drive it.
        ...(input.slot ? { claimedDueAt: sql`CASE WHEN ${actions.claimedDueAt} = ${input.slot} THEN NULL ELSE ${actions.claimedDueAt} END` } : {}),
      })
      .where(inOrg(actions, action.orgId, eq(actions.actionId, action.actionId))),
  ]);
  if (status === "pending") await enqueueFirstRun(db, env, { executionId, actionId: action.actionId, orgId: action.orgId }, run.runId);
  return { execution_id: executionId, run_id: run.runId, status };
}

export const ENQUEUE_FAILED = "the work queue is unavailable; the run was recorded as failed (error_code enqueue_failed) — trigger it again";

/**
 * Closes a `pending` run whose delivery the queue refused, and its execution, as `failed` with
 * `error_code: enqueue_failed` (counters settled once), so it is visible instead of stuck.
 */
export async function closeUnqueuedRun(db: Db, exec: Pick<ExecutionRow, "executionId" | "actionId" | "orgId">, runId: string, err: unknown): Promise<void> {
  console.error(JSON.stringify({ level: "error", msg: "enqueue failed; run closed as failed", run_id: runId, error: String(err) }));
  const at = nowIso();
  await db.batch([
    ...completionStatements(db, exec, "failed", at),
    db
      .update(runs)
      .set({ status: "failed", completedAt: at, errorCode: "enqueue_failed", errorMessage: ENQUEUE_FAILED, leaseUntil: null })
      .where(inOrg(runs, exec.orgId, eq(runs.runId, runId), eq(runs.status, "pending"))),
  ]);
}

/** Enqueues a new run's delivery; if the queue refuses, closes it (closeUnqueuedRun) and throws a 503 AppError. */
async function enqueueFirstRun(db: Db, env: Env, exec: Pick<ExecutionRow, "executionId" | "actionId" | "orgId">, runId: string): Promise<void> {
  try {
    await env.TASKS.send({ v: 1, kind: "run.deliver", run_id: runId });
  } catch (err) {
    await closeUnqueuedRun(db, exec, runId, err);
    throw new AppError("unavailable", ENQUEUE_FAILED, [{ loc: [], msg: ENQUEUE_FAILED, type: "queue_unavailable" }]);
  }
}

/**
 * Statements that close an execution, for a caller's D1 batch. Order matters: the counter
 * update runs first and only while the execution is not yet final, then the status is
 * written — so redelivered completions never count twice. `last_run_*` change only when
 * this is still the action's latest execution.
 */
export function completionStatements(db: Db, exec: Pick<ExecutionRow, "executionId" | "actionId" | "orgId">, status: FinalStatus, at: string): [BatchItem<"sqlite">, BatchItem<"sqlite">] {
  const notFinal = sql`EXISTS (SELECT 1 FROM executions WHERE execution_id = ${exec.executionId} AND status NOT IN ('success','failed','cancelled','rejected'))`;
  const latest = sql`${actions.lastExecutionId} = ${exec.executionId}`;
  return [
    db
      .update(actions)
      .set({
        runningCount: sql`max(${actions.runningCount} - 1, 0)`,
        successfulRuns: sql`${actions.successfulRuns} + ${status === "success" ? 1 : 0}`,
        failedRuns: sql`${actions.failedRuns} + ${status === "success" ? 0 : 1}`,
        lastRunAt: sql`CASE WHEN ${latest} THEN ${at} ELSE ${actions.lastRunAt} END`,
        lastRunStatus: sql`CASE WHEN ${latest} THEN ${status} ELSE ${actions.lastRunStatus} END`,
      })
      .where(inOrg(actions, exec.orgId, eq(actions.actionId, exec.actionId), notFinal)),
    db
      .update(executions)
      .set({ status, updatedAt: at })
      .where(inOrg(executions, exec.orgId, eq(executions.executionId, exec.executionId), sql`${executions.status} NOT IN ('success','failed','cancelled','rejected')`)),
  ];
}

/**
 * After an execution finished: a pipeline step tells its pipeline run to move on. Never
 * throws: if the queue refuses, the run's step is final in D1 and the minute sweeper
 * re-drives the advance (see services/sweeper.ts), so the caller's work stays done.
 */
export async function afterCompletion(env: Env, exec: Pick<ExecutionRow, "pipelineRunId">): Promise<void> {
  if (!exec.pipelineRunId) return;
  try {
    await env.TASKS.send({ v: 1, kind: "pipeline.advance", pipeline_run_id: exec.pipelineRunId });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "pipeline.advance refused; the sweeper will re-drive it", pipeline_run_id: exec.pipelineRunId, error: String(err) }));
  }
}

/**
 * Ends an execution without delivering it (approval rejected, run cancelled). Guarantees:
 * its open runs (pending, pending_approval, running) get `status` and `message`; counters
 * change once; a pipeline step enqueues `pipeline.advance`. Returns false when the execution
 * was already final (nothing changed) or does not exist.
 */
export async function finishExecution(db: Db, env: Env, executionId: string, status: "rejected" | "cancelled", message: string, decidedBy?: string): Promise<boolean> {
  const exec = await db.select().from(executions).where(eq(executions.executionId, executionId)).get();
  if (!exec || (FINAL_STATUSES as readonly string[]).includes(exec.status)) return false;
  const at = nowIso();
  const [, , closed] = await db.batch([
    ...completionStatements(db, exec, status, at),
    db
      .update(runs)
      .set({ status, completedAt: at, errorMessage: message, errorCode: status, decidedBy: decidedBy ?? null, decisionMessage: message, decidedAt: at, leaseUntil: null })
      .where(inOrg(runs, exec.orgId, eq(runs.executionId, executionId), inArray(runs.status, ["pending", "pending_approval", "held", "running"])))
      .returning({ runId: runs.runId }),
  ]);
  if (closed.length === 0) return false;
  await afterCompletion(env, exec);
  return true;
}

/**
 * Moves an approved run `pending_approval → pending` (guarded, so only one decision wins)
 * and enqueues its delivery. Returns false when the run was not waiting for approval.
 * The approval stands even if the queue then refuses: the run is `pending` with a lease in
 * D1, so the minute sweeper enqueues it (nothing is left approved but never delivered).
 */
export async function releaseApprovedRun(db: Db, env: Env, runId: string, decidedBy?: string, message?: string): Promise<boolean> {
  const at = nowIso();
  const moved = await db
    .update(runs)
    .set({ status: "pending", decidedBy: decidedBy ?? null, decisionMessage: message ?? null, decidedAt: at, leaseUntil: plusSeconds(at, OVERDUE_GRACE_SECONDS) })
    .where(and(eq(runs.runId, runId), eq(runs.status, "pending_approval")))
    .returning({ executionId: runs.executionId, orgId: runs.orgId })
    .get();
  if (!moved) return false;
  await db
    .update(executions)
    .set({ status: "pending", updatedAt: at })
    .where(inOrg(executions, moved.orgId, eq(executions.executionId, moved.executionId), eq(executions.status, "pending_approval")));
  try {
    await env.TASKS.send({ v: 1, kind: "run.deliver", run_id: runId });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "approved run not enqueued; the sweeper will deliver it", run_id: runId, error: String(err) }));
  }
  return true;
}

const nul = (name: string) => sql<string | null>`NULL`.as(name);

/**
 * The INSERT … SELECT that creates attempt + 1 of `runId`'s execution as `pending` with lease
 * `leaseUntil`, copying its ids, trigger type and thread id. It inserts nothing unless the
 * run still satisfies `guard` (evaluated in the same statement), so a caller's batch can make
 * the new attempt conditional on what it just wrote. Used by automatic retries (delivery) and
 * by an operator's retry (runs.retryRun).
 */
export function nextAttempt(db: Db, o: { runId: string; nextId: string; at: string; leaseUntil: string; guard: SQL }) {
  return db.insert(runs).select(
    db
      .select({
        runId: sql<string>`${o.nextId}`.as("run_id"),
        orgId: runs.orgId,
        workspaceId: runs.workspaceId,
        actionId: runs.actionId,
        executionId: runs.executionId,
        status: sql<"pending">`'pending'`.as("status"),
        attempt: sql<number>`${runs.attempt} + 1`.as("attempt"),
        triggerType: runs.triggerType,
        triggeredAt: sql<string>`${o.at}`.as("triggered_at"),
        startedAt: nul("started_at"),
        completedAt: nul("completed_at"),
        durationSeconds: sql<number | null>`NULL`.as("duration_seconds"),
        resolvedPayload: sql<unknown>`NULL`.as("resolved_payload"),
        resolvedThreadId: runs.resolvedThreadId,
        requestHeaders: sql<Record<string, string> | null>`NULL`.as("request_headers"),
        responseStatus: sql<number | null>`NULL`.as("response_status"),
        responseBody: nul("response_body"),
        errorMessage: nul("error_message"),
        errorCode: nul("error_code"),
        decidedBy: nul("decided_by"),
        decisionMessage: nul("decision_message"),
        decidedAt: nul("decided_at"),
        leaseUntil: sql<string>`${o.leaseUntil}`.as("lease_until"),
        recoveries: sql<number>`0`.as("recoveries"),
        heldReason: nul("held_reason"),
        orderKey: runs.orderKey,
      })
      .from(runs)
      .where(and(eq(runs.runId, o.runId), o.guard)),
  );
}
