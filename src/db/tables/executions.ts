import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
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
    ...stamps,
  },
  (t) => [index("executions_action").on(t.orgId, t.actionId), index("executions_pipeline_run").on(t.pipelineRunId)],
);
