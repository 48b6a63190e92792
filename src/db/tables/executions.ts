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
  (t) => [
    index("executions_action").on(t.orgId, t.actionId),
    index("executions_pipeline_run").on(t.pipelineRunId),
    // Retention: an org's executions oldest first, and the executions an event caused.
    index("executions_org_updated").on(t.orgId, t.updatedAt),
    index("executions_event").on(t.eventId).where(sql`event_id IS NOT NULL`),
    // Redelivered routing / schedule tasks cannot start a second execution for the same
    // (event, action) or (action, slot).
    uniqueIndex("executions_event_action")
      .on(t.eventId, t.actionId)
      .where(sql`event_id IS NOT NULL AND pipeline_run_id IS NULL`),
    uniqueIndex("executions_action_slot").on(t.actionId, t.slot).where(sql`slot IS NOT NULL`),
  ],
);
