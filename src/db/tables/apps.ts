import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

/** An app is what the trigger and fleet documents call a "project"; its id is globally unique. */
export const apps = sqliteTable(
  "apps",
  {
    appId: text("app_id").primaryKey(),
    orgId: text("org_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    name: text("name").notNull(),
    ...stamps,
  },
  (t) => [index("apps_org_ws").on(t.orgId, t.workspaceId)],
);
