/**
 * Flow control of one endpoint, inside its own Durable Object (`endpoint:<endpoint_id>`):
 * a sliding-window rate limit and a concurrency limit. The object runs one request at a time
 * and these functions never await, so every admission is atomic across isolates and
 * invocations. Only endpoints with a limit ever call their object: unlimited endpoints get no
 * new work on their delivery path.
 */

/** The limits of one endpoint, as the delivery path passes them on every call. */
export interface GateLimits {
  rate?: { count: number; periodMs: number } | null;
  maxConcurrency?: number | null;
  /** How long an admitted delivery may hold a concurrency slot before it is presumed dead (its claim's lease). */
  leaseMs: number;
}

export type GateOp = { op: "admit"; runId: string; limits: GateLimits } | { op: "release"; runId: string; limits: GateLimits };

/**
 * `admitted`: deliver now (`fresh` false when this run already held a slot: a duplicate task).
 * Otherwise wait `delayMs` (≥ 1000) and ask again; `reason` says which limit.
 */
export type GateDecision = { admitted: true; fresh: boolean } | { admitted: false; delayMs: number; reason: "rate_limit" | "concurrency" };

/** What `release` hands back: runs that waited for a concurrency slot and may now try again. */
export interface Released {
  wake: string[];
}

/**
 * The rate window is this much longer than the period: an admitted delivery leaves a few
 * milliseconds to tens of milliseconds later (claim, render), so a window of exactly one period
 * at the gate could show one request too many in some period at the receiver. 5 %.
 */
export const RATE_WINDOW_MARGIN = 1.05;

/** Longest a run waiting for a concurrency slot sleeps before asking again (it is also woken at once when a slot frees). */
export const CONCURRENCY_RECHECK_MS = 30_000;

/** Creates the object's tables (idempotent). */
export function gateSchema(sql: SqlStorage): void {
  // One row per admitted delivery: `at` feeds the rate window, `until` holds a concurrency slot (0 once released).
  sql.exec("CREATE TABLE IF NOT EXISTS gate_slots (run_id TEXT PRIMARY KEY, at INTEGER NOT NULL, until INTEGER NOT NULL)");
  sql.exec("CREATE INDEX IF NOT EXISTS gate_slots_at ON gate_slots (at)");
  // Runs told to wait: for the rate limit, when their turn is expected (`due`); for concurrency, since when.
  sql.exec("CREATE TABLE IF NOT EXISTS gate_waiting (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, due INTEGER NOT NULL)");
}

const one = (sql: SqlStorage, q: string, ...b: unknown[]) => Number(sql.exec<{ n: number }>(q, ...b).toArray()[0]?.n ?? 0);

/**
 * One admission step. Guarantees:
 * - rate: at most `count` admissions in any window of `periodMs` × RATE_WINDOW_MARGIN (admission times are this
 *   object's clock; a refused run is told when a slot is expected, spread over the period
 *   behind the runs already waiting, so waiting runs do not all wake at once);
 * - concurrency: at most `maxConcurrency` admitted runs hold a slot; a slot is held until
 *   `release` or until the lease runs out (a dead invocation never blocks the endpoint);
 * - the same run admitted twice holds one slot and counts once.
 */
export function gateHere(sql: SqlStorage, op: GateOp, now = Date.now()): GateDecision | Released {
  const period = Math.ceil((op.limits.rate?.periodMs ?? 0) * RATE_WINDOW_MARGIN);
  sql.exec("DELETE FROM gate_slots WHERE until < ? AND at < ?", now, now - Math.max(period, 63_000));
  sql.exec("DELETE FROM gate_waiting WHERE due < ?", now - 600_000);
  if (op.op === "release") return release(sql, op, now);
  const { rate, maxConcurrency, leaseMs } = op.limits;
  const mine = sql.exec<{ until: number }>("SELECT until FROM gate_slots WHERE run_id = ?", op.runId).toArray()[0];
  if (mine && mine.until >= now) return { admitted: true, fresh: false };
  sql.exec("DELETE FROM gate_waiting WHERE run_id = ?", op.runId);
  if (maxConcurrency) {
    const busy = one(sql, "SELECT count(*) AS n FROM gate_slots WHERE until >= ?", now);
    if (busy >= maxConcurrency) {
      sql.exec("INSERT INTO gate_waiting (run_id, kind, due) VALUES (?, 'concurrency', ?)", op.runId, now);
      return { admitted: false, delayMs: CONCURRENCY_RECHECK_MS, reason: "concurrency" };
    }
  }
  if (rate) {
    const window = Math.ceil(rate.periodMs * RATE_WINDOW_MARGIN);
    const inWindow = sql.exec<{ at: number }>("SELECT at FROM gate_slots WHERE at > ? ORDER BY at ASC", now - window).toArray();
    if (inWindow.length >= rate.count) {
      const ahead = one(sql, "SELECT count(*) AS n FROM gate_waiting WHERE kind = 'rate' AND due > ?", now);
      // The oldest admission in the window frees the next slot; each `count` runs already waiting push it one period on.
      const freeAt = inWindow[inWindow.length - rate.count]!.at + window;
      const due = freeAt + Math.floor(ahead / rate.count) * window + Math.floor(((ahead % rate.count) * window) / rate.count);
      sql.exec("INSERT INTO gate_waiting (run_id, kind, due) VALUES (?, 'rate', ?)", op.runId, due);
      return { admitted: false, delayMs: Math.max(due - now, 1000), reason: "rate_limit" };
    }
  }
  sql.exec("INSERT INTO gate_slots (run_id, at, until) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET at = excluded.at, until = excluded.until", op.runId, now, now + leaseMs);
  return { admitted: true, fresh: true };
}

/** Frees the run's concurrency slot (its admission still counts in the rate window) and names the runs that waited longest for one. */
function release(sql: SqlStorage, op: GateOp, now: number): Released {
  sql.exec("UPDATE gate_slots SET until = 0 WHERE run_id = ?", op.runId);
  const max = op.limits.maxConcurrency;
  if (!max) return { wake: [] };
  const free = max - one(sql, "SELECT count(*) AS n FROM gate_slots WHERE until >= ?", now);
  if (free <= 0) return { wake: [] };
  const wake = sql.exec<{ run_id: string }>("SELECT run_id FROM gate_waiting WHERE kind = 'concurrency' ORDER BY due ASC, run_id ASC LIMIT ?", free).toArray().map((r) => r.run_id);
  for (const id of wake) sql.exec("DELETE FROM gate_waiting WHERE run_id = ?", id);
  return { wake };
}
