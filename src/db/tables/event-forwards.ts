import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ts } from "./_columns";

/**
 * What a local receiver answered when `switchyard listen` forwarded an event to it: one row
 * per forward, recorded by the CLI through `POST …/events/{event_id}/forwards`, so a
 * developer's local deliveries show in the API and the console beside the event.
 */
export const eventForwards = sqliteTable(
  "event_forwards",
  {
    forwardId: text("forward_id").primaryKey(),
    orgId: text("org_id").notNull(),
    eventId: text("event_id").notNull(),
    /** The local URL the event was forwarded to, as the CLI reports it (e.g. http://localhost:3000/hooks). */
    target: text("target").notNull(),
    /** The local HTTP status, or null when the request failed (see `error`). */
    status: integer("status"),
    /** The first bytes of the local response body (at most 2,048 characters). */
    responseBody: text("response_body"),
    durationMs: integer("duration_ms").notNull(),
    /** Why the forward failed without an HTTP answer (connection refused, timeout…), else null. */
    error: text("error"),
    /** Who recorded it (the actor's id). */
    recordedBy: text("recorded_by").notNull(),
    forwardedAt: ts("forwarded_at").notNull(),
  },
  (t) => [index("event_forwards_event").on(t.orgId, t.eventId, t.forwardId)],
);
