import { sql } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";

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

/** Bytes of rows given to one INSERT (one bound JSON parameter; D1 allows 2 MB per value). */
const CHUNK_BYTES = 1_000_000;
/** Rows given to one INSERT at most. */
const CHUNK_ROWS = 100;

const bytesOf = (e: IngestedEvent) => new TextEncoder().encode(JSON.stringify(e)).length;

/** Splits rows into chunks of at most CHUNK_ROWS rows and CHUNK_BYTES bytes (a larger row gets a chunk of its own). */
function chunks(rows: IngestedEvent[]): IngestedEvent[][] {
  const out: IngestedEvent[][] = [];
  let cur: IngestedEvent[] = [];
  let size = 0;
  for (const r of rows) {
    const n = bytesOf(r);
    if (cur.length && (cur.length >= CHUNK_ROWS || size + n > CHUNK_BYTES)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

const INSERT = `INSERT INTO events (event_id, org_id, app_id, project_trigger_id, provider_id, event_type, dedup_key, headers, body, status, received_at)
  SELECT json_extract(value, '$.event_id'), json_extract(value, '$.org_id'), json_extract(value, '$.app_id'),
         json_extract(value, '$.project_trigger_id'), json_extract(value, '$.provider_id'), json_extract(value, '$.event_type'),
         json_extract(value, '$.dedup_key'), json(json_extract(value, '$.headers')), json_extract(value, '$.body'),
         json_extract(value, '$.status'), json_extract(value, '$.received_at')
  FROM json_each(?1) WHERE true
  ON CONFLICT DO NOTHING
  RETURNING event_id`;

/**
 * Stores events with one `INSERT … SELECT … FROM json_each(?) ON CONFLICT DO NOTHING` per
 * chunk (up to 100 rows / 1 MB), all chunks in one D1 batch (one round trip, one
 * transaction). Guarantees: a row whose event id or (trigger, dedupe key) is already stored
 * creates nothing, whether it was stored by an earlier batch, a redelivered one, or the
 * same batch twice; returns the ids of the rows this call created, and only those.
 */
export async function storeIngested(d1: D1Database, rows: IngestedEvent[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const stmt = d1.prepare(INSERT);
  const results = await d1.batch<{ event_id: string }>(chunks(rows).map((c) => stmt.bind(JSON.stringify(c))));
  return results.flatMap((r) => r.results.map((x) => x.event_id));
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
