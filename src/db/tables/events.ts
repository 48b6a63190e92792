import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ts } from "./_columns";

/**
 * Every accepted webhook delivery, polled item or schedule tick, stored before it is
 * acknowledged. `(project_trigger_id, dedup_key)` is unique: a replayed delivery finds
 * the original row instead of creating a new one.
 */
export const events = sqliteTable(
  "events",
  {
    eventId: text("event_id").primaryKey(),
    orgId: text("org_id").notNull(),
    appId: text("app_id").notNull(),
    projectTriggerId: text("project_trigger_id").notNull(),
    providerId: text("provider_id").notNull(),
    eventType: text("event_type"),
    dedupKey: text("dedup_key").notNull(),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    body: text("body").notNull(),
    /** received → routed (matched ≥1 action) | unmatched (matched none) | failed (routing gave up; see route_error) */
    status: text("status", { enum: ["received", "routed", "unmatched", "failed"] }).notNull().default("received"),
    /** Why routing last failed (dead-lettered, or given up after the sweeper's re-drives). */
    routeError: text("route_error"),
    /** How many times routing was re-driven by the sweeper or the dead-letter consumer. */
    routeAttempts: integer("route_attempts").notNull().default(0),
    matchedActions: text("matched_actions", { mode: "json" }).$type<string[]>(),
    replayOf: text("replay_of"),
    receivedAt: ts("received_at").notNull(),
    /** When retention dropped this large event's body early (body is then ""); null while kept. */
    bodyPurgedAt: ts("body_purged_at"),
  },
  (t) => [
    uniqueIndex("events_dedup").on(t.projectTriggerId, t.dedupKey),
    index("events_org_time").on(t.orgId, t.eventId),
    // Metrics and the console's time filter: counts by status per bucket from the index alone.
    index("events_org_received").on(t.orgId, t.receivedAt, t.status),
    // A trigger's latest event (the console's "last event") without reading its history.
    index("events_trigger_time").on(t.projectTriggerId, t.receivedAt),
    // Only events still waiting to be routed: the sweeper finds stragglers without a scan.
    // Bodies still kept, by size: the retention scan for large bodies reads only the large ones.
    index("events_body_kept").on(sql`length(CAST(body AS BLOB))`, t.receivedAt).where(sql`body_purged_at IS NULL`),
    index("events_unrouted").on(t.receivedAt).where(sql`status = 'received'`),
  ],
);
