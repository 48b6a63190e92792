import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ts } from "./_columns";

/** One delivery attempt of one execution. Status transitions are guarded by `WHERE status = …`. */
export const runs = sqliteTable(
  "runs",
  {
    runId: text("run_id").primaryKey(),
    orgId: text("org_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    actionId: text("action_id").notNull(),
    executionId: text("execution_id").notNull(),
    status: text("status", {
      enum: ["pending", "pending_approval", "held", "running", "success", "failed", "cancelled", "rejected"],
    }).notNull(),
    attempt: integer("attempt").notNull(),
    triggerType: text("trigger_type").notNull(),
    triggeredAt: ts("triggered_at").notNull(),
    startedAt: ts("started_at"),
    completedAt: ts("completed_at"),
    durationSeconds: real("duration_seconds"),
    resolvedPayload: text("resolved_payload", { mode: "json" }).$type<unknown>(),
    resolvedThreadId: text("resolved_thread_id"),
    /** The headers this attempt sent, with credential-like values redacted (see delivery's `redactHeaders`). */
    requestHeaders: text("request_headers", { mode: "json" }).$type<Record<string, string>>(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    errorMessage: text("error_message"),
    errorCode: text("error_code"),
    decidedBy: text("decided_by"),
    decisionMessage: text("decision_message"),
    decidedAt: ts("decided_at"),
    /**
     * Until when the sweeper leaves this open run alone: for a `running` run, the end of its
     * claim's lease (endpoint timeout + a margin); for a `pending` run, when its delivery is
     * overdue (due time + a grace). Null once the run is final or waits for approval.
     */
    leaseUntil: ts("lease_until"),
    /** How many times the sweeper re-drove this run (an expired lease or a lost or dead-lettered task). */
    recoveries: integer("recoveries").notNull().default(0),
    /** Why a `held` run waits: `circuit_open`, `endpoint_disabled` or `fifo` (null otherwise). */
    heldReason: text("held_reason"),
    /** The FIFO key of a run to an ordered endpoint: "" (the endpoint) or the resolved thread id; null until known. */
    orderKey: text("order_key"),
  },
  (t) => [
    index("runs_action").on(t.orgId, t.actionId, t.runId),
    // An execution's attempts in order (a run's timeline; "is there a newer attempt").
    index("runs_execution").on(t.executionId, t.attempt),
    // The org-wide runs list (newest first, optionally by status) and the approvals inbox.
    index("runs_org").on(t.orgId, t.runId),
    index("runs_org_status").on(t.orgId, t.status, t.runId),
    // Metrics and endpoint health: runs by status per time bucket.
    index("runs_org_time").on(t.orgId, t.triggeredAt, t.status),
    index("runs_lease").on(t.leaseUntil).where(sql`lease_until IS NOT NULL`),
    // Held runs only (a circuit open, an endpoint disabled, a FIFO key busy): drained oldest first.
    index("runs_held").on(t.actionId, t.runId).where(sql`status = 'held'`),
  ],
);
