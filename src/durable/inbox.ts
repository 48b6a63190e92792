import { IngestedEvent } from "../engine/event-log";
import type { Env } from "../env";

/**
 * The ingest inbox: verified deliveries held in a Durable Object's SQLite until they are in
 * D1 (objects named `inbox:<shard>`, see `inboxFor`). It is the durable hand-off where the
 * queue is not durable (local `npm start`: local Queues lose unconsumed messages on a
 * restart) and the fallback when the queue refuses a send. A row leaves the inbox only after
 * D1 holds its event (stored and routed in one transaction by the sink), so a crash at any
 * point loses nothing, and a row flushed twice is stored once and starts nothing twice.
 */

/** Delay between the first admitted row and the flush that stores it (the batching window). */
export const FLUSH_DELAY_MS = 100;
/** Rows and bytes read per flush round (one D1 batch each). */
const ROUND_ROWS = 100;
const ROUND_BYTES = 1_000_000;
/** Rounds per alarm before it yields to a fresh alarm (bounds one alarm's wall time). */
const ROUNDS = 10;

export function inboxSchema(s: SqlStorage): void {
  s.exec(
    "CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, org_id TEXT NOT NULL, bytes INTEGER NOT NULL, row TEXT NOT NULL)",
  );
}

/**
 * Holds `rows` (stored durably when this returns: the object's output gate holds the answer
 * until the write is on disk). Returns, per row, whether the inbox already held that event id
 * (a replay that arrived before the original was flushed to D1).
 */
export function admitHere(s: SqlStorage, rows: IngestedEvent[]): boolean[] {
  return rows.map((r) => {
    const json = JSON.stringify(r);
    const added = s
      .exec("INSERT INTO inbox (event_id, org_id, bytes, row) VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING seq", r.event_id, r.org_id, json.length, json)
      .toArray();
    return added.length === 0;
  });
}

/** The held (not yet flushed) event `eventId` of org `orgId`, or null. */
export function peekHere(s: SqlStorage, orgId: string, eventId: string): IngestedEvent | null {
  const row = s.exec<{ row: string }>("SELECT row FROM inbox WHERE event_id = ? AND org_id = ?", eventId, orgId).toArray()[0];
  return row ? IngestedEvent.parse(JSON.parse(row.row)) : null;
}

/** How many rows the inbox holds. */
export function heldHere(s: SqlStorage): number {
  return s.exec<{ n: number }>("SELECT count(*) AS n FROM inbox").one().n;
}

/**
 * What stores held rows in D1 and routes them (services' `settleIngested`: one transaction per
 * batch, safe to run twice on the same rows). Set once at start-up by src/index.ts, so this
 * layer never imports a service.
 */
export type InboxSink = (env: Env, rows: IngestedEvent[]) => Promise<void>;
let sink: InboxSink | null = null;

/** Sets the sink every inbox flush hands its rows to (see InboxSink). */
export function setInboxSink(fn: InboxSink): void {
  sink = fn;
}

/**
 * Moves held rows into D1, oldest first, up to ROUNDS rounds: each round hands its rows to the
 * sink (stored and routed in one D1 transaction), then deletes exactly those rows. A round
 * that fails keeps its rows and throws (the caller retries); a round that stored its rows and
 * died before the delete hands them over again, which stores and starts nothing twice.
 * Returns how many rows are still held.
 */
export async function flushHere(s: SqlStorage, env: Env): Promise<number> {
  if (!sink) throw new Error("inbox sink not set: src/index.ts sets it at start-up");
  for (let round = 0; round < ROUNDS; round++) {
    const taken: { seq: number; row: string }[] = [];
    let bytes = 0;
    for (const r of s.exec<{ seq: number; row: string; bytes: number }>("SELECT seq, row, bytes FROM inbox ORDER BY seq LIMIT ?", ROUND_ROWS)) {
      if (taken.length && bytes + r.bytes > ROUND_BYTES) break;
      taken.push(r);
      bytes += r.bytes;
    }
    if (taken.length === 0) return 0;
    const last = taken[taken.length - 1]!.seq;
    await sink(env, taken.map((t) => IngestedEvent.parse(JSON.parse(t.row))));
    s.exec("DELETE FROM inbox WHERE seq <= ?", last);
  }
  return heldHere(s);
}
