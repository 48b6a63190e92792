import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

/** One execution of a pipeline (the fleet document's `fleet_run_id`). */
export const pipelineRuns = sqliteTable(
  "pipeline_runs",
  {
    pipelineRunId: text("pipeline_run_id").primaryKey(),
    orgId: text("org_id").notNull(),
    pipelineId: text("pipeline_id").notNull(),
    /** running | pending_approval | success | failed | stopped | rejected */
    status: text("status").notNull(),
    currentStep: integer("current_step").notNull().default(0),
    env: text("env", { mode: "json" }).$type<Record<string, string>>(),
    triggerType: text("trigger_type").notNull(),
    history: text("history", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    invokedBy: text("invoked_by"),
    /** The last engine problem (a dead-lettered or re-driven advance), or null. */
    lastError: text("last_error"),
    ...stamps,
  },
  (t) => [
    index("pipeline_runs_pipeline").on(t.orgId, t.pipelineId),
    // Runs still moving: the sweeper re-drives those whose advance task was lost.
    // Gates waiting for a decision: the approvals inbox lists them without a scan.
    index("pipeline_runs_waiting").on(t.orgId, t.pipelineRunId).where(sql`status = 'pending_approval'`),
    index("pipeline_runs_active").on(t.updatedAt).where(sql`status = 'running'`),
  ],
);
