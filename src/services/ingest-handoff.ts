import { AppError } from "../core/errors";
import { INBOX_SHARDS, inboxFor, inboxShard, inboxShardOf } from "../durable/client";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import type { IngestedEvent } from "../engine/event-log";

/**
 * How an accepted webhook is made durable before it is acknowledged (`INGEST_MODE`):
 * - `queue` (the default): the event itself is sent to the task queue (a Cloudflare Queue
 *   persists a message before `send()` resolves); the consumer stores batches in D1 and
 *   routes them (queue/consumer.ts).
 * - `inbox`: the event is written to an inbox Durable Object's SQLite, whose alarm stores and
 *   routes it in D1 exactly as the consumer does (durable/inbox.ts). `npm start` uses it,
 *   because local Queues lose unconsumed messages on a restart.
 * - `d1`: the event row is inserted into D1 and `event.route` enqueued (the first design).
 */
export type IngestMode = "queue" | "inbox" | "d1";

/** Values already warned about (one log line per isolate and value). */
const warnedModes = new Set<string>();

/**
 * The configured ingest mode, read case-insensitively and trimmed (`D1`, ` d1` are `d1`);
 * unset or empty is `queue`; anything else is `queue` too, with one error log line per
 * isolate naming the value (so a typo is visible, not silently the default).
 */
export function ingestMode(env: Env): IngestMode {
  const m = (env.INGEST_MODE ?? "").trim().toLowerCase();
  if (m === "inbox" || m === "d1" || m === "queue") return m;
  if (m !== "" && !warnedModes.has(m)) {
    warnedModes.add(m);
    console.error(JSON.stringify({ level: "error", msg: "unknown INGEST_MODE; using queue", value: env.INGEST_MODE }));
  }
  return "queue";
}

/** Largest serialized event one queue message carries (the platform's limit is 128 KB per message). */
export const MESSAGE_BYTES = 120_000;
/** Largest serialized events of one delivery handed off together (`sendBatch` takes 256 KB). */
const BATCH_BYTES = 240_000;

const size = (e: IngestedEvent) => new TextEncoder().encode(JSON.stringify(e)).length;

/**
 * An upper bound of `size(e)` without encoding: JSON writes a UTF-16 code unit as at most 6
 * bytes (`\uXXXX`), plus quotes, commas and key names (under 1,000 bytes for this shape).
 */
function sizeBound(e: IngestedEvent): number {
  let chars = e.body.length + e.event_id.length + e.org_id.length + e.app_id.length + e.project_trigger_id.length + e.provider_id.length + e.dedup_key.length + (e.event_type?.length ?? 0) + e.received_at.length;
  for (const [k, v] of Object.entries(e.headers)) chars += k.length + v.length + 6;
  return 6 * chars + 1_000;
}

/** True when these events can be handed off (each ≤ MESSAGE_BYTES, together ≤ BATCH_BYTES); else the caller stores them in D1 first. */
export function fitsHandOff(rows: IngestedEvent[]): boolean {
  if (rows.length > 100) return false;
  let total = 0;
  for (const r of rows) {
    const bound = sizeBound(r);
    const n = bound <= MESSAGE_BYTES ? bound : size(r);
    if (n > MESSAGE_BYTES) return false;
    total += n;
  }
  return total <= BATCH_BYTES || rows.reduce((a, r) => a + size(r), 0) <= BATCH_BYTES;
}

/**
 * Event ids this isolate handed off recently: two generations of RECENT_MAX / 2 each, the
 * older dropped whole when the newer fills (O(1) per id; a Set's oldest-first eviction
 * degrades as deleted slots pile up). Remembers between RECENT_MAX / 2 and RECENT_MAX ids.
 */
const RECENT_MAX = 10_000;
let recentNew = new Set<string>();
let recentOld = new Set<string>();
const isRecent = (id: string) => recentNew.has(id) || recentOld.has(id);
function remember(ids: string[]): void {
  for (const id of ids) {
    recentNew.add(id);
    if (recentNew.size >= RECENT_MAX / 2) {
      recentOld = recentNew;
      recentNew = new Set();
    }
  }
}

const unavailable = () =>
  new AppError("unavailable", "the work queue is unavailable; the delivery was not stored — retry it", [
    { loc: [], msg: "the work queue is unavailable; the delivery was not stored — retry it", type: "queue_unavailable" },
  ]);

/** Writes rows to their inbox shards (one call per shard, in parallel); per row, whether the inbox already held it. */
export async function admitToInbox(env: Env, rows: IngestedEvent[]): Promise<boolean[]> {
  const byShard = new Map<number, number[]>();
  rows.forEach((r, i) => {
    const shard = inboxShardOf(r.event_id);
    byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
  });
  const dup: boolean[] = rows.map(() => false);
  await Promise.all(
    [...byShard.values()].map(async (idx) => {
      const got = await inboxFor(env, rows[idx[0]!]!.event_id).admit(idx.map((i) => rows[i]!));
      idx.forEach((i, n) => (dup[i] = got[n] ?? false));
    }),
  );
  return dup;
}

/**
 * Makes `rows` durable in `mode` (queue or inbox) and returns, per row, whether it is known
 * to be a replay: the inbox still held it, or this isolate handed it off before (such a row
 * is not sent again). `false` means "not known to be a replay" — the event id is the
 * original's either way, and D1 keeps one event. Guarantees: when this resolves, every row
 * is in a queue message or an inbox object; a queue refusal falls back to the inbox; when
 * both refuse it throws a 503 `queue_unavailable` and nothing was acknowledged.
 */
export async function handOff(env: Env, rows: IngestedEvent[], mode: "queue" | "inbox"): Promise<boolean[]> {
  const known = rows.map((r) => isRecent(r.event_id));
  const todo = rows.filter((_, i) => !known[i]);
  let dup = known;
  if (todo.length) {
    let admitted: boolean[] | null = null;
    if (mode === "queue") {
      const tasks: Task[] = todo.map((event) => ({ v: 1, kind: "event.ingest", event }));
      try {
        if (tasks.length === 1) await env.TASKS.send(tasks[0]!);
        else await env.TASKS.sendBatch(tasks.map((body) => ({ body })));
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "queue refused an event; holding it in the inbox", events: todo.map((r) => r.event_id), error: String(err) }));
        admitted = await admitOrFail(env, todo);
      }
    } else {
      admitted = await admitOrFail(env, todo);
    }
    if (admitted) {
      let n = 0;
      dup = rows.map((_, i) => known[i] || (admitted![n++] ?? false));
    }
    remember(todo.map((r) => r.event_id));
  }
  return dup;
}

async function admitOrFail(env: Env, rows: IngestedEvent[]): Promise<boolean[]> {
  try {
    return await admitToInbox(env, rows);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "inbox refused events", events: rows.map((r) => r.event_id), error: String(err) }));
    throw unavailable();
  }
}

/**
 * The minute cron's inbox check: asks every inbox shard to flush what it holds (a shard whose
 * alarm was lost sets a new one) and returns how many acknowledged events still wait for D1.
 * A shard that cannot be reached counts as 0 and is logged; the next minute asks again.
 */
export async function kickInboxes(env: Env): Promise<number> {
  const held = await Promise.all(
    Array.from({ length: INBOX_SHARDS }, (_, shard) =>
      inboxShard(env, shard)
        .kick()
        .catch((err: unknown) => {
          console.error(JSON.stringify({ level: "error", msg: "inbox shard unreachable", shard, error: String(err) }));
          return 0;
        }),
    ),
  );
  return held.reduce((a, b) => a + b, 0);
}
