import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

/**
 * One logical invocation of an action (a GraphQL "trigger event"). Its runs are the
 * delivery attempts. The context columns are what templates see.
 */
export const executions = sqliteTable(
  "executions",
  {
    executionId: text("execution_id").primaryKey(),
    orgId: text("org_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    appId: text("app_id").notNull(),
    actionId: text("action_id").notNull(),
    triggerType: text("trigger_type").notNull(),
    status: text("status").notNull(),
    eventId: text("event_id"),
    projectTriggerId: text("project_trigger_id"),
    pipelineRunId: text("pipeline_run_id"),
    stepIndex: integer("step_index"),
    inputs: text("inputs", { mode: "json" }).$type<Record<string, unknown>>(),
    target: text("target", { mode: "json" }).$type<unknown>(),
    env: text("env", { mode: "json" }).$type<Record<string, string>>(),
    user: text("user", { mode: "json" }).$type<Record<string, unknown> | null>(),
    invokedBy: text("invoked_by"),
    /** The schedule slot (due_at) a scheduled execution was started for; null otherwise. */
    slot: text("slot"),
    ...stamps,
  },
  // Every index entry is a D1 row written (migrations/0010_run_rows.sql): partial indexes
  // hold only the rows their queries read. test/routes/reliability/query-plans.test.ts checks
  // that no query of this table scans it.
  (t) => [
    index("executions_action").on(t.orgId, t.actionId),
    // Pipeline steps only; (run, step) is the step lookup.
    index("executions_pipeline_run").on(t.pipelineRunId, t.stepIndex).where(sql`pipeline_run_id IS NOT NULL`),
    // Retention: an org's final executions, oldest first (an open one enters when it becomes
    // final). A query uses it only with this exact status list (FINAL_STATUSES' order).
    index("executions_final").on(t.orgId, t.updatedAt).where(sql`status IN ('success','failed','cancelled','rejected')`),
    // The executions an event caused: executions_event_action below holds those outside
    // pipelines, this one the others (none today), so each execution is indexed once.
    index("executions_event_pipeline").on(t.eventId).where(sql`event_id IS NOT NULL AND pipeline_run_id IS NOT NULL`),
    // Redelivered routing / schedule tasks cannot start a second execution for the same
    // (event, action) or (action, slot).
    uniqueIndex("executions_event_action")
      .on(t.eventId, t.actionId)
      .where(sql`event_id IS NOT NULL AND pipeline_run_id IS NULL`),
    uniqueIndex("executions_action_slot").on(t.actionId, t.slot).where(sql`slot IS NOT NULL`),
  ],
);
