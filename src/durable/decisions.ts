import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { runs } from "../db/schema";
import { inOrg } from "../db/scope";
import type { Env } from "../env";
import { finishExecution, releaseApprovedRun } from "../services/executions";

/** A decision on one `pending_approval` run. */
export interface RunDecision {
  runId: string;
  orgId: string;
  decision: "approve" | "reject";
  /** Who decided (actor id); recorded on the run as `decided_by`. */
  actorId: string;
  message?: string | null;
}

/** The outcome, as a value (errors do not keep their class across RPC). */
export type DecisionResult =
  | { ok: true; run_id: string; execution_id: string; status: "pending" | "rejected"; decided_by: string }
  | { ok: false; code: "not_found" | "conflict"; message: string };

const verb = (d: string) => (d === "approve" ? "approved" : "rejected");

/**
 * The approval state machine of one object. Guarantees: the run is read from D1, then —
 * with no await in between — this object's `decisions` table is checked and written
 * (check-and-set), so of any number of concurrent calls exactly one proceeds; only then is
 * D1 written (`releaseApprovedRun` enqueues delivery, `finishExecution(…"rejected")` never
 * delivers). If the D1 write fails or finds the run no longer waiting, the decision is
 * withdrawn so the state here matches D1.
 */
export async function decideRunHere(store: SqlStorage, env: Env, input: RunDecision): Promise<DecisionResult> {
  const db = getDb(env.DB);
  const run = await db.select().from(runs).where(inOrg(runs, input.orgId, eq(runs.runId, input.runId))).get();
  if (!run) return { ok: false, code: "not_found", message: "run not found" };
  // ---- synchronous check-and-set: nothing may await between the read and the insert ----
  const prior = store.exec<{ decision: string; decided_by: string }>("SELECT decision, decided_by FROM decisions WHERE run_id = ?", input.runId).toArray()[0];
  if (prior) return { ok: false, code: "conflict", message: `run already ${verb(prior.decision)} by ${prior.decided_by}` };
  if (run.status !== "pending_approval") {
    const msg = run.decidedBy
      ? `run already ${run.status === "rejected" ? "rejected" : "approved"} by ${run.decidedBy}`
      : `run is not waiting for approval; its status is '${run.status}'`;
    return { ok: false, code: "conflict", message: msg };
  }
  store.exec(
    "INSERT INTO decisions (run_id, decision, decided_by, message, decided_at) VALUES (?, ?, ?, ?, ?)",
    input.runId,
    input.decision,
    input.actorId,
    input.message ?? null,
    new Date().toISOString(),
  );
  // ---- the winner writes D1 ----
  let applied: boolean;
  try {
    applied =
      input.decision === "approve"
        ? await releaseApprovedRun(db, env, input.runId, input.actorId, input.message ?? undefined)
        : await finishExecution(db, env, run.executionId, "rejected", input.message || `rejected by ${input.actorId}`, input.actorId);
  } catch (err) {
    store.exec("DELETE FROM decisions WHERE run_id = ?", input.runId);
    throw err;
  }
  if (!applied) {
    store.exec("DELETE FROM decisions WHERE run_id = ?", input.runId);
    return { ok: false, code: "conflict", message: "run is no longer waiting for approval" };
  }
  return { ok: true, run_id: input.runId, execution_id: run.executionId, status: input.decision === "approve" ? "pending" : "rejected", decided_by: input.actorId };
}

/** What retention asks an object to drop: decisions of purged runs and gates of purged pipeline runs. */
export interface ForgetOp {
  runIds?: string[];
  pipelineRunIds?: string[];
}

/**
 * Drops this object's approval records of runs and pipeline runs that retention purged from
 * D1. Guarantees: only the named rows go; it is idempotent; returns how many rows went.
 * Safe even if D1 still held the run: a decision only guards `pending_approval`, and
 * retention purges final runs only.
 */
export function forgetHere(store: SqlStorage, op: ForgetOp): number {
  let n = 0;
  for (const id of op.runIds ?? []) n += store.exec("DELETE FROM decisions WHERE run_id = ?", id).rowsWritten;
  for (const id of op.pipelineRunIds ?? []) n += store.exec("DELETE FROM gate_decisions WHERE pipeline_run_id = ?", id).rowsWritten;
  return n;
}
