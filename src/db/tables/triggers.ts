import { sql } from "drizzle-orm";
import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps, ts } from "./_columns";

type Json = Record<string, unknown>;

/**
 * A project trigger (seed 001). `route_key` holds the provider's own identifier
 * (Slack team id, GitHub installation id, …) used when a webhook arrives at
 * `/v1/webhooks/{provider_id}`. `next_due_at` is when the minute cron should next
 * poll (polling) or tick (scheduled) this trigger.
 */
export const triggers = sqliteTable(
  "triggers",
  {
    projectTriggerId: text("project_trigger_id").primaryKey(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    connectionId: text("connection_id"),
    providerId: text("provider_id").notNull(),
    triggerId: text("trigger_id").notNull(),
    triggerType: text("trigger_type", { enum: ["webhook", "polling", "scheduled"] }).notNull(),
    webhookData: text("webhook_data", { mode: "json" }).$type<Json | null>(),
    cursorData: text("cursor_data", { mode: "json" }).$type<Json | null>(),
    triggerConfig: text("trigger_config", { mode: "json" }).$type<Json | null>(),
    status: text("status", { enum: ["ENABLED", "DISABLED"] }).notNull().default("DISABLED"),
    routeKey: text("route_key"),
    nextDueAt: ts("next_due_at"),
    /** A scheduled trigger's tick slot claimed by the cron and not yet stored as an event. */
    claimedDueAt: ts("claimed_due_at"),
    /** When the cron claimed `claimed_due_at`. */
    claimedAt: ts("claimed_at"),
    lastError: text("last_error"),
    lastPolledAt: ts("last_polled_at"),
    createdBy: text("created_by").notNull(),
    updatedBy: text("updated_by"),
    ...stamps,
  },
  (t) => [
    index("triggers_org_project").on(t.orgId, t.projectId),
    index("triggers_route").on(t.providerId, t.routeKey),
    index("triggers_due").on(t.status, t.nextDueAt),
    index("triggers_claimed").on(t.claimedAt).where(sql`claimed_due_at IS NOT NULL`),
  ],
);
