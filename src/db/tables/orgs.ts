import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

/** An org is the tenant boundary: every other row carries its `org_id`. */
export const orgs = sqliteTable("orgs", {
  orgId: text("org_id").primaryKey(),
  name: text("name").notNull(),
  ...stamps,
});
