import { and, desc, eq, inArray } from "drizzle-orm";
import { AppError, conflict, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Db } from "../db/client";
import { getDb } from "../db/client";
import { actions, executions, pipelineRuns, pipelines } from "../db/schema";
import { inOrg } from "../db/scope";
import { triggerStateFor } from "../durable/client";
import type { PipelineOp, PipelineOpResult } from "../durable/pipeline-ops";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { finishExecution, startExecution, FINAL_STATUSES } from "./executions";
import { toPipelineRunOut, type PipelineRow, type PipelineRunRow, type StepRecord } from "./pipelines";

export { pipelineStatus, toPipelineRunOut, type PipelineRunRow, type StepRecord } from "./pipelines";

/** How the pipeline row mirrors its latest run's status. */
const STATE_OF: Record<string, string> = { running: "running", pending_approval: "pending_approval", success: "success", failed: "failed", rejected: "failed", stopped: "stopped" };
const ACTIVE = ["running", "pending_approval"];

/** A pipeline of `orgId`, or undefined. */
export async function findPipelineRow(db: Db, orgId: string, pipelineId: string): Promise<PipelineRow | undefined> {
  return db.select().from(pipelines).where(inOrg(pipelines, orgId, eq(pipelines.pipelineId, pipelineId))).get();
}

async function loadPipeline(db: Db, orgId: string, pipelineId: string): Promise<PipelineRow> {
  const p = await findPipelineRow(db, orgId, pipelineId);
  if (!p) throw notFound("pipeline");
  return p;
}

/** Writes the run's status/step/history, and mirrors it on the pipeline while it is the pipeline's current run. */
async function saveRun(db: Db, run: PipelineRunRow, status: string, step: number, history: StepRecord[]): Promise<void> {
  const t = nowIso();
  run.status = status;
  run.currentStep = step;
  run.history = history;
  run.updatedAt = t;
  await db.batch([
    db.update(pipelineRuns).set({ status, currentStep: step, history, updatedAt: t }).where(inOrg(pipelineRuns, run.orgId, eq(pipelineRuns.pipelineRunId, run.pipelineRunId))),
    db
      .update(pipelines)
      .set({ state: STATE_OF[status] ?? status, currentStep: step, updatedAt: t })
      .where(inOrg(pipelines, run.orgId, eq(pipelines.pipelineId, run.pipelineId), eq(pipelines.currentRunId, run.pipelineRunId))),
  ]);
}

/**
 * Enters step `i` of `run`: past the last step the run succeeds; an approval step parks the
 * run in `pending_approval` (persisted in D1, so it survives restarts); an action step
 * starts an execution of the action with the run's env (`pipelineRunId`/`stepIndex` let the
 * engine report back through `pipeline.advance`). A missing, disabled or refusing action
 * fails the run with the reason in the step's history.
 */
async function enterStep(db: Db, env: Env, pipeline: PipelineRow, run: PipelineRunRow, i: number): Promise<void> {
  const history = [...(run.history as StepRecord[])];
  if (i >= pipeline.steps.length) return saveRun(db, run, "success", Math.max(0, pipeline.steps.length - 1), history);
  const step = pipeline.steps[i]!;
  const t = nowIso();
  if (!("action_id" in step)) {
    history.push({ step_index: i, name: step.name, type: "approval", status: "pending_approval", started_at: t });
    return saveRun(db, run, "pending_approval", i, history);
  }
  const record: StepRecord = { step_index: i, name: step.name, type: "action", action_id: step.action_id, status: "pending", started_at: t };
  const action = await db.select().from(actions).where(inOrg(actions, pipeline.orgId, eq(actions.actionId, step.action_id))).get();
  let problem: string | null = !action ? `action ${step.action_id} no longer exists` : !action.isEnabled ? `action ${step.action_id} is disabled` : null;
  if (action && !problem) {
    try {
      const started = await startExecution(db, env, {
        action,
        triggerType: run.triggerType === "fleet" ? "fleet" : "pipeline",
        env: run.env ?? {},
        invokedBy: run.invokedBy ?? undefined,
        pipelineRunId: run.pipelineRunId,
        stepIndex: i,
      });
      Object.assign(record, { execution_id: started.execution_id, run_id: started.run_id, status: started.status });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      problem = err.message;
    }
  }
  if (problem) {
    history.push({ ...record, status: "failed", finished_at: t, message: problem });
    return saveRun(db, run, "failed", i, history);
  }
  history.push(record);
  return saveRun(db, run, "running", i, history);
}

/** What starts a pipeline run. `overrides` are merged over the pipeline's variables into the run's `env`. */
export interface StartPipelineRun {
  pipelineId: string;
  orgId: string;
  triggerType: "pipeline" | "fleet";
  overrides?: Record<string, string>;
  invokedBy: string;
}

/** Starts a run at step 0 and makes it the pipeline's current run. Call through the pipeline's object. */
export async function startPipelineRun(db: Db, env: Env, input: StartPipelineRun): Promise<ReturnType<typeof toPipelineRunOut>> {
  const pipeline = await loadPipeline(db, input.orgId, input.pipelineId);
  const t = nowIso();
  const run: PipelineRunRow = {
    pipelineRunId: uuidv7(),
    orgId: pipeline.orgId,
    pipelineId: pipeline.pipelineId,
    status: "running",
    currentStep: 0,
    env: { ...(pipeline.variables ?? {}), ...(input.overrides ?? {}) },
    triggerType: input.triggerType,
    history: [],
    invokedBy: input.invokedBy,
    lastError: null,
    createdAt: t,
    updatedAt: t,
  };
  await db.batch([
    db.insert(pipelineRuns).values(run),
    db.update(pipelines).set({ state: "running", currentRunId: run.pipelineRunId, currentStep: 0, updatedAt: t }).where(inOrg(pipelines, pipeline.orgId, eq(pipelines.pipelineId, pipeline.pipelineId))),
  ]);
  await enterStep(db, env, { ...pipeline, currentRunId: run.pipelineRunId }, run, 0);
  return toPipelineRunOut(run);
}

/** The latest execution of step `i` of a pipeline run. */
export async function stepExecution(db: Db, run: PipelineRunRow, i: number) {
  return db
    .select()
    .from(executions)
    .where(inOrg(executions, run.orgId, eq(executions.pipelineRunId, run.pipelineRunId), eq(executions.stepIndex, i)))
    .orderBy(desc(executions.executionId))
    .get();
}

/**
 * Moves a run past its current action step once that step's execution is final: success →
 * next step; failed / rejected / cancelled → the run fails. Anything else (still running,
 * a run that is stopped or finished, an approval gate) changes nothing, so redelivered
 * `pipeline.advance` tasks are harmless. Call through the pipeline's object.
 */
export async function advancePipelineRun(db: Db, env: Env, pipelineRunId: string): Promise<void> {
  const run = await db.select().from(pipelineRuns).where(eq(pipelineRuns.pipelineRunId, pipelineRunId)).get();
  if (!run || !ACTIVE.includes(run.status)) return;
  const pipeline = await db.select().from(pipelines).where(inOrg(pipelines, run.orgId, eq(pipelines.pipelineId, run.pipelineId))).get();
  if (!pipeline) return saveRun(db, run, "failed", run.currentStep, run.history as StepRecord[]);
  const step = pipeline.steps[run.currentStep];
  if (!step || !("action_id" in step)) return;
  const exec = await stepExecution(db, run, run.currentStep);
  if (!exec || !(FINAL_STATUSES as readonly string[]).includes(exec.status)) return;
  const history = (run.history as StepRecord[]).map((h) => (h.step_index === run.currentStep && h.execution_id === exec.executionId ? { ...h, status: exec.status, finished_at: nowIso() } : h));
  if (exec.status !== "success") return saveRun(db, run, "failed", run.currentStep, history);
  run.history = history;
  await enterStep(db, env, pipeline, run, run.currentStep + 1);
}

/** Records gate decisions with a synchronous check-and-set; returns a conflict message or null. */
export type GateLedger = (pipelineRunId: string, step: number, decision: "approve" | "reject", by: string, message: string | null) => string | null;

/** The most recent run of a pipeline that is waiting at an approval gate, or null. */
export async function waitingRun(db: Db, pipeline: PipelineRow): Promise<PipelineRunRow | null> {
  const rows = await db
    .select()
    .from(pipelineRuns)
    .where(inOrg(pipelineRuns, pipeline.orgId, eq(pipelineRuns.pipelineId, pipeline.pipelineId), inArray(pipelineRuns.status, ACTIVE)))
    .orderBy(desc(pipelineRuns.pipelineRunId));
  return rows.find((r) => r.status === "pending_approval") ?? rows[0] ?? null;
}

/**
 * Approves or rejects the approval gate a pipeline waits at. The decision is recorded in the
 * object's ledger first (exactly one wins); approve → the next step starts; reject → the run
 * ends `rejected` (pipeline state `failed`). Call through the pipeline's object.
 */
export async function decideGate(
  db: Db,
  env: Env,
  ledger: GateLedger,
  input: { pipelineId: string; orgId: string; decision: "approve" | "reject"; actorId: string; message: string | null },
): Promise<ReturnType<typeof toPipelineRunOut>> {
  const pipeline = await loadPipeline(db, input.orgId, input.pipelineId);
  const run = await waitingRun(db, pipeline);
  if (!run || run.status !== "pending_approval") throw conflict(`pipeline is not waiting at an approval gate (state '${pipeline.state}')`);
  const lost = ledger(run.pipelineRunId, run.currentStep, input.decision, input.actorId, input.message);
  if (lost) throw conflict(lost);
  const t = nowIso();
  const history = (run.history as StepRecord[]).map((h) =>
    h.step_index === run.currentStep && h.type === "approval"
      ? { ...h, status: input.decision === "approve" ? "approved" : "rejected", finished_at: t, decided_by: input.actorId, message: input.message }
      : h,
  );
  if (input.decision === "reject") {
    await saveRun(db, run, "rejected", run.currentStep, history);
  } else {
    run.history = history;
    await saveRun(db, run, "running", run.currentStep, history);
    await enterStep(db, env, pipeline, run, run.currentStep + 1);
  }
  return toPipelineRunOut(run);
}

/**
 * Stops every active run of a pipeline: the current step's open execution is cancelled
 * (`finishExecution(…"cancelled")`, so a pending or pending_approval run never delivers),
 * the rest of the steps never start, and the run and pipeline become `stopped`.
 * 409 when nothing is running. Call through the pipeline's object.
 */
export async function stopPipeline(db: Db, env: Env, input: { pipelineId: string; orgId: string; actorId: string }): Promise<{ stopped: string[] }> {
  const pipeline = await loadPipeline(db, input.orgId, input.pipelineId);
  const active = await db.select().from(pipelineRuns).where(inOrg(pipelineRuns, pipeline.orgId, eq(pipelineRuns.pipelineId, pipeline.pipelineId), inArray(pipelineRuns.status, ACTIVE)));
  if (active.length === 0) {
    if (!ACTIVE.includes(pipeline.state)) throw conflict(`pipeline is not running (state '${pipeline.state}')`);
    // The pipeline says it runs but no run is active (an interrupted start): repair it, so reset works.
    await db.update(pipelines).set({ state: "stopped", updatedAt: nowIso() }).where(inOrg(pipelines, pipeline.orgId, eq(pipelines.pipelineId, pipeline.pipelineId)));
    return { stopped: [] };
  }
  for (const run of active) {
    // Mark the run stopped first: the pipeline.advance that cancelling enqueues then changes nothing.
    const t = nowIso();
    const history = (run.history as StepRecord[]).map((h) => (h.step_index === run.currentStep && !h.finished_at ? { ...h, status: "cancelled", finished_at: t, decided_by: input.actorId } : h));
    await saveRun(db, run, "stopped", run.currentStep, history);
    const open = await db
      .select({ id: executions.executionId })
      .from(executions)
      .where(and(inOrg(executions, run.orgId, eq(executions.pipelineRunId, run.pipelineRunId)), inArray(executions.status, ["pending", "pending_approval", "running"])));
    for (const e of open) await finishExecution(db, env, e.id, "cancelled", `pipeline stopped by ${input.actorId}`, input.actorId);
  }
  return { stopped: active.map((r) => r.pipelineRunId) };
}

/** Clears run state (state `idle`, no current step or run); 409 while a run is active. */
export async function resetPipeline(db: Db, input: { pipelineId: string; orgId: string }): Promise<void> {
  const pipeline = await loadPipeline(db, input.orgId, input.pipelineId);
  if (ACTIVE.includes(pipeline.state)) throw conflict(`pipeline is ${pipeline.state}; stop it before reset`);
  await db.update(pipelines).set({ state: "idle", currentStep: null, currentRunId: null, updatedAt: nowIso() }).where(inOrg(pipelines, pipeline.orgId, eq(pipelines.pipelineId, pipeline.pipelineId)));
}

/** Handles `pipeline.advance`: serialized through the pipeline's Durable Object. */
export async function handlePipelineAdvance(env: Env, task: Extract<Task, { kind: "pipeline.advance" }>): Promise<void> {
  const run = await getDb(env.DB).select({ pipelineId: pipelineRuns.pipelineId }).from(pipelineRuns).where(eq(pipelineRuns.pipelineRunId, task.pipeline_run_id)).get();
  if (!run) return;
  await runPipelineOp(env, run.pipelineId, { op: "advance", pipelineRunId: task.pipeline_run_id });
}

/**
 * Runs `op` in the pipeline's Durable Object (the single writer of its runs and gates) and
 * turns a refused operation back into the AppError it was (404 / 409 / 422 …).
 */
export async function runPipelineOp(env: Env, pipelineId: string, op: PipelineOp): Promise<unknown> {
  const res = (await triggerStateFor(env, `pipeline:${pipelineId}`).pipeline(op)) as PipelineOpResult;
  if (!res.ok) throw new AppError(res.code, res.message);
  return res.data;
}
