import * as z from "zod";
import { jsonInsert } from "../db/json-rows";
import { events } from "../db/schema";

/**
 * A verified delivery on its way to the events table: everything its row holds when it is
 * first stored. Queue-first ingest (see services/ingest-handoff.ts) carries it in an `event.ingest`
 * task or in an inbox Durable Object, and `eventRow` turns it into the events row.
 */
export const IngestedEvent = z.object({
  event_id: z.string().min(1),
  org_id: z.string().min(1),
  app_id: z.string().min(1),
  project_trigger_id: z.string().min(1),
  provider_id: z.string().min(1),
  event_type: z.string().nullable(),
  dedup_key: z.string().min(1),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  /** `unmatched` when the trigger's event filter excludes the type: stored, never routed. */
  status: z.enum(["received", "unmatched"]),
  received_at: z.string().min(1),
});
export type IngestedEvent = z.infer<typeof IngestedEvent>;

/** The events row of `e`, with the outcome routing gave it (default: as ingest left it, not yet routed). */
export function eventRow(e: IngestedEvent, outcome?: { status: "routed" | "unmatched"; matched: string[] }): typeof events.$inferInsert {
  return {
    eventId: e.event_id, orgId: e.org_id, appId: e.app_id, projectTriggerId: e.project_trigger_id, providerId: e.provider_id, eventType: e.event_type,
    dedupKey: e.dedup_key, headers: e.headers, body: e.body, receivedAt: e.received_at,
    status: outcome?.status ?? e.status, matchedActions: outcome ? outcome.matched : e.status === "unmatched" ? [] : null,
  };
}

/** A row is inserted only while its org exists: an org deleted after the 2xx leaves no orphan event behind. */
const ORG_EXISTS = "EXISTS (SELECT 1 FROM orgs o WHERE o.org_id = json_extract(j.value, '$.org_id'))";

/**
 * Statements (for one D1 batch) that insert `rows`, one per ≤ 100 rows / 1 MB (`jsonInsert`).
 * Guarantees: a row whose event id or (trigger, dedupe key) is already stored inserts nothing,
 * whether an earlier batch, a redelivered one or the same batch stored it; a row whose org no
 * longer exists (deleted between the acknowledgement and this insert) inserts nothing, so it
 * is dropped rather than stored where neither the API nor retention can reach it; each
 * statement's result lists the event ids it created (RETURNING), and only those.
 */
export function insertEvents(d1: D1Database, rows: (typeof events.$inferInsert)[]): D1PreparedStatement[] {
  return jsonInsert(d1, events, rows, { where: ORG_EXISTS, returning: "event_id" });
}

/** The event ids the `insertEvents` statements' results say were created. */
export const createdIds = (results: D1Result[]): string[] => results.flatMap((r) => (r.results as { event_id: string }[]).map((x) => x.event_id));
