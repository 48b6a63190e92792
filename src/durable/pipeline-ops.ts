import { AppError, type ErrorCode } from "../core/errors";
import { getDb } from "../db/client";
import type { Env } from "../env";
import {
  advancePipelineRun,
  findPipelineRow,
  decideGate,
  resetPipeline,
  startPipelineRun,
  stepExecution,
  stopPipeline,
  waitingRun,
  type GateLedger,
  type StartPipelineRun,
  type StepRecord,
} from "../services/pipeline-engine";
import { decideRunHere } from "./decisions";

/** Operations a pipeline's object serializes. */
export type PipelineOp =
  | ({ op: "start" } & StartPipelineRun)
  | { op: "advance"; pipelineRunId: string }
  | { op: "decide"; pipelineId: string; orgId: string; decision: "approve" | "reject"; actorId: string; message: string | null }
  | { op: "stop"; pipelineId: string; orgId: string; actorId: string }
  | { op: "reset"; pipelineId: string; orgId: string };

/** Results travel as values: an AppError's code and message survive the RPC boundary this way. */
export type PipelineOpResult = { ok: true; data: unknown } | { ok: false; code: ErrorCode; message: string };

const verb = (d: string) => (d === "approve" ? "approved" : "rejected");

/** The gate ledger of one object: check-and-set in its SQLite, no await inside. */
function ledgerOf(store: SqlStorage): GateLedger {
  return (runId, step, decision, by, message) => {
    const prior = store
      .exec<{ decision: string; decided_by: string }>("SELECT decision, decided_by FROM gate_decisions WHERE pipeline_run_id = ? AND step_index = ?", runId, step)
      .toArray()[0];
    if (prior) return `pipeline already ${verb(prior.decision)} by ${prior.decided_by}`;
    store.exec(
      "INSERT INTO gate_decisions (pipeline_run_id, step_index, decision, decided_by, message, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
      runId,
      step,
      decision,
      by,
      message,
      new Date().toISOString(),
    );
    return null;
  };
}

/**
 * Executes one pipeline operation inside the pipeline's object (the caller holds its mutex).
 * A `decide` on a pipeline whose current action step waits for approval decides that
 * step's run (the same state machine as `POST /v1/runs/{run_id}/approve`).
 */
export async function pipelineOp(store: SqlStorage, env: Env, op: PipelineOp): Promise<PipelineOpResult> {
  const db = getDb(env.DB);
  try {
    switch (op.op) {
      case "start":
        return { ok: true, data: await startPipelineRun(db, env, op) };
      case "advance":
        await advancePipelineRun(db, env, op.pipelineRunId);
        return { ok: true, data: null };
      case "decide": {
        const pipeline = await findPipelineRow(db, op.orgId, op.pipelineId);
        const run = pipeline ? await waitingRun(db, pipeline) : null;
        if (run && run.status === "running") {
          const exec = await stepExecution(db, run, run.currentStep);
          const rec = (run.history as StepRecord[]).find((h) => h.step_index === run.currentStep && h.execution_id === exec?.executionId);
          if (exec?.status === "pending_approval" && rec?.run_id) {
            const r = await decideRunHere(store, env, { runId: rec.run_id, orgId: op.orgId, decision: op.decision, actorId: op.actorId, message: op.message });
            return r.ok ? { ok: true, data: r } : { ok: false, code: r.code, message: r.message.replace(/^run /, "pipeline step ") };
          }
        }
        if (pipeline && run?.status !== "pending_approval") {
          // Not waiting: if this object decided the run's latest gate, name that decision (the loser's 409).
          const runId = run?.pipelineRunId ?? pipeline.currentRunId;
          const prior = runId
            ? store.exec<{ decision: string; decided_by: string }>("SELECT decision, decided_by FROM gate_decisions WHERE pipeline_run_id = ? ORDER BY step_index DESC LIMIT 1", runId).toArray()[0]
            : undefined;
          if (prior) return { ok: false, code: "conflict", message: `pipeline already ${verb(prior.decision)} by ${prior.decided_by}` };
        }
        return { ok: true, data: await decideGate(db, env, ledgerOf(store), op) };
      }
      case "stop":
        return { ok: true, data: await stopPipeline(db, env, op) };
      case "reset":
        await resetPipeline(db, op);
        return { ok: true, data: null };
    }
  } catch (err) {
    if (err instanceof AppError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}
