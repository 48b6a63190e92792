import { sql } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { jsonInsert } from "../db/json-rows";
import { events } from "../db/schema";

/**
 * A verified delivery on its way to the events table: everything its row holds when it is
 * first stored. Queue-first ingest (see services/ingest-handoff.ts) carries it in an `event.ingest`
 * task or in an inbox Durable Object, and the same shape is what `storeIngested` writes.
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

/**
 * Stores events not yet routed (status `received`, or `unmatched` when the trigger's event
 * filter excludes their type) in one D1 batch (see `insertEvents`). Returns the ids of the
 * rows this call created, and only those.
 */
export async function storeIngested(d1: D1Database, rows: IngestedEvent[]): Promise<string[]> {
  if (rows.length === 0) return [];
  return createdIds(await d1.batch(insertEvents(d1, rows.map((r) => eventRow(r)))));
}

/** Of `ids`, those stored and still `received` (not yet routed): what a redelivered batch must still route. */
export async function stillReceived(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.all<{ event_id: string }>(
    sql`SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND status = 'received'`,
  );
  return rows.map((r) => r.event_id);
}

/**
 * What of a batch must be routed now: the rows this batch created that are `received`, and,
 * when `redelivered` (an earlier attempt may have stored them and died before routing),
 * every row of the batch still `received`. Routing is idempotent per (event, action), so a
 * second routing creates no second execution; this keeps it from even starting when it can.
 */
export async function toRoute(db: Db, rows: IngestedEvent[], created: string[], redelivered: boolean): Promise<string[]> {
  const routable = new Set(rows.filter((r) => r.status === "received").map((r) => r.event_id));
  const out = new Set(created.filter((id) => routable.has(id)));
  if (redelivered) for (const id of await stillReceived(db, [...routable])) out.add(id);
  return [...out];
}
