import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

export type PipelineStep = { name: string; action_id: string } | { name: string; type: "approval" };

/** A pipeline ("fleet"): ordered steps, each an action or an approval gate. */
export const pipelines = sqliteTable(
  "pipelines",
  {
    pipelineId: text("pipeline_id").primaryKey(),
    orgId: text("org_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    appId: text("app_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    steps: text("steps", { mode: "json" }).$type<PipelineStep[]>().notNull(),
    variables: text("variables", { mode: "json" }).$type<Record<string, string>>(),
    /** idle | running | pending_approval | success | failed | stopped */
    state: text("state").notNull().default("idle"),
    currentRunId: text("current_run_id"),
    currentStep: integer("current_step"),
    createdBy: text("created_by").notNull(),
    ...stamps,
  },
  (t) => [index("pipelines_org").on(t.orgId, t.appId)],
);
