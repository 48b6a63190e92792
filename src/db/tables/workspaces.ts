import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

export const workspaces = sqliteTable(
  "workspaces",
  {
    workspaceId: text("workspace_id").primaryKey(),
    orgId: text("org_id").notNull(),
    name: text("name").notNull(),
    ...stamps,
  },
  (t) => [index("workspaces_org").on(t.orgId)],
);
