import { getDb } from "../db/client";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { sendInChunks } from "../queue/send";
import { IngestedEvent, storeIngested, toRoute } from "../engine/event-log";

/**
 * The ingest inbox: verified deliveries held in a Durable Object's SQLite until they are in
 * D1 (objects named `inbox:<shard>`, see `inboxFor`). It is the durable hand-off where the
 * queue is not durable (local `npm start`: local Queues lose unconsumed messages on a
 * restart) and the fallback when the queue refuses a send. A row leaves the inbox only after
 * D1 holds its event, so a crash at any point loses nothing; a row flushed twice is stored
 * once (`storeIngested`), and its routing is started once more at most (idempotent).
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
    "CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, org_id TEXT NOT NULL, bytes INTEGER NOT NULL, row TEXT NOT NULL, flushes INTEGER NOT NULL DEFAULT 0)",
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
 * Moves held rows into D1, oldest first, up to ROUNDS rounds: each round marks its rows
 * (so a round that dies is treated as redelivered next time), stores them with one D1 batch,
 * enqueues `event.route` for what must be routed, then deletes exactly those rows. A queue
 * refusal leaves the events `received` in D1 for the sweeper. A D1 failure keeps the rows
 * and throws. Returns how many rows are still held.
 */
export async function flushHere(s: SqlStorage, env: Env): Promise<number> {
  const db = getDb(env.DB);
  for (let round = 0; round < ROUNDS; round++) {
    const taken: { seq: number; row: string; flushes: number }[] = [];
    let bytes = 0;
    for (const r of s.exec<{ seq: number; row: string; flushes: number; bytes: number }>("SELECT seq, row, flushes, bytes FROM inbox ORDER BY seq LIMIT ?", ROUND_ROWS)) {
      if (taken.length && bytes + r.bytes > ROUND_BYTES) break;
      taken.push(r);
      bytes += r.bytes;
    }
    if (taken.length === 0) return 0;
    const last = taken[taken.length - 1]!.seq;
    s.exec("UPDATE inbox SET flushes = flushes + 1 WHERE seq <= ?", last);
    const rows = taken.map((t) => IngestedEvent.parse(JSON.parse(t.row)));
    const created = await storeIngested(env.DB, rows);
    const route = await toRoute(db, rows, created, taken.some((t) => t.flushes > 0));
    const tasks: Task[] = route.map((id) => ({ v: 1, kind: "event.route", event_id: id }));
    await sendInChunks(env.TASKS, tasks, async (chunk, err) => {
      console.error(JSON.stringify({ level: "error", msg: "inbox route enqueue refused; the sweeper routes these events", events: chunk.length, error: String(err) }));
    });
    s.exec("DELETE FROM inbox WHERE seq <= ?", last);
  }
  return heldHere(s);
}
