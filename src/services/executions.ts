import type { Db } from "../db/client";
import type { actions, events } from "../db/schema";
import type { Env } from "../env";

export type ActionRow = typeof actions.$inferSelect;
export type EventRow = typeof events.$inferSelect;

/** How an execution came to be; stored as the runs' `trigger_type`. */
export type TriggerType = "manual" | "api" | "schedule" | "webhook" | "polling" | "scheduled_trigger" | "pipeline" | "graphql" | "fleet";

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
}

export interface StartedExecution {
  execution_id: string;
  run_id: string;
  /** `pending` (enqueued for delivery) or `pending_approval` (waits for a decision). */
  status: "pending" | "pending_approval";
}

/**
 * THE way every face starts work. Guarantees: inputs are validated against the action's
 * `manual_inputs_schema` (422 AppError with loc ["body","inputs",…] otherwise); one execution
 * row and its first run (attempt 1) are written in one D1 batch together with the action's
 * counters; a `pending` run is enqueued as a `run.deliver` task; a `pending_approval` run is
 * not enqueued until approved. Implemented by the actions engine.
 */
export async function startExecution(_db: Db, _env: Env, _input: StartExecutionInput): Promise<StartedExecution> {
  throw new Error("startExecution is not implemented yet");
}
