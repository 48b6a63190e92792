import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps, ts } from "./_columns";

/**
 * An action (seed 004): call an endpoint with a templated payload. Counters are only
 * changed by single SQL increments so they stay exact under concurrency.
 * `claimed_due_at` is the schedule slot the minute cron last claimed.
 */
export const actions = sqliteTable(
  "actions",
  {
    actionId: text("action_id").primaryKey(),
    orgId: text("org_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    appId: text("app_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    namespaceId: text("namespace_id").notNull(),
    threadMode: text("thread_mode").notNull().default("new_each_run"),
    threadId: text("thread_id"),
    threadIdTemplate: text("thread_id_template"),
    payload: text("payload", { mode: "json" }).$type<unknown>().notNull().default({}),
    actionType: text("action_type").notNull().default("trigger"),
    scheduleType: text("schedule_type"),
    cronExpression: text("cron_expression"),
    scheduledAt: ts("scheduled_at"),
    timezone: text("timezone"),
    maxRetries: integer("max_retries").notNull().default(0),
    retryDelaySeconds: integer("retry_delay_seconds").notNull().default(60),
    isEnabled: integer("is_enabled", { mode: "boolean" }).notNull().default(true),
    runningCount: integer("running_count").notNull().default(0),
    nextRunAt: ts("next_run_at"),
    claimedDueAt: ts("claimed_due_at"),
    lastRunAt: ts("last_run_at"),
    lastRunStatus: text("last_run_status"),
    lastExecutionId: text("last_execution_id"),
    totalRuns: integer("total_runs").notNull().default(0),
    successfulRuns: integer("successful_runs").notNull().default(0),
    failedRuns: integer("failed_runs").notNull().default(0),
    triggerIds: text("trigger_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
    filter: text("filter", { mode: "json" }).$type<unknown>(),
    approvalRequired: integer("approval_required", { mode: "boolean" }).notNull().default(false),
    manualInputsSchema: text("manual_inputs_schema", { mode: "json" }).$type<unknown>(),
    headersTemplate: text("headers_template", { mode: "json" }).$type<Record<string, string>>(),
    entityType: text("entity_type"),
    owner: text("owner", { mode: "json" }).$type<unknown>(),
    createdBy: text("created_by").notNull(),
    /** When the cron claimed `claimed_due_at` (the sweeper re-drives a slot not fired by then + a grace). */
    claimedAt: ts("claimed_at"),
    /** The last schedule problem (a dead-lettered slot), or null. */
    lastError: text("last_error"),
    ...stamps,
  },
  (t) => [
    index("actions_app").on(t.orgId, t.appId),
    index("actions_due").on(t.isEnabled, t.nextRunAt),
    // Slots claimed but not yet fired: the sweeper re-drives those whose task was lost.
    index("actions_claimed").on(t.claimedAt).where(sql`claimed_due_at IS NOT NULL`),
  ],
);
