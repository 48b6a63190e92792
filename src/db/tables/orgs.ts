import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ts } from "./_columns";
import { stamps } from "./_columns";

/** An org is the tenant boundary: every other row carries its `org_id`. */
export const orgs = sqliteTable("orgs", {
  orgId: text("org_id").primaryKey(),
  name: text("name").notNull(),
  /** Days this org keeps final events, executions and runs; null = EVENT_RETENTION_DAYS. */
  retentionDays: integer("retention_days"),
  /** What retention purged so far (rows deleted; bodies dropped early). */
  purgedEvents: integer("purged_events").notNull().default(0),
  purgedExecutions: integer("purged_executions").notNull().default(0),
  purgedRuns: integer("purged_runs").notNull().default(0),
  purgedBodies: integer("purged_bodies").notNull().default(0),
  /** When retention last ran a pass for this org. */
  lastPurgeAt: ts("last_purge_at"),
  /** Where operational events (endpoint.disabled, endpoint.recovered) are delivered; null = stored only. */
  operationalEndpointId: text("operational_endpoint_id"),
  ...stamps,
});
