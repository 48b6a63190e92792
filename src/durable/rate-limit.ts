/** A failed-attempt limit: at most `limit` failures per fixed window of `windowSeconds`. */
export interface Policy {
  limit: number;
  windowSeconds: number;
}

/** The failures counted in the current window (started at `start`, epoch ms). */
export interface WindowState {
  start: number;
  failures: number;
}

export type Decision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const live = (s: WindowState | null, now: number, p: Policy): s is WindowState => !!s && now - s.start < p.windowSeconds * 1000;

/**
 * Whether another attempt may be made at `now`. Guarantees: refused only when `limit`
 * failures fall in the current window; `retryAfterSeconds` is a whole number ≥ 1 and at most
 * the window (a clock that went backwards never yields less than 1).
 */
export function decide(s: WindowState | null, now: number, p: Policy): Decision {
  if (!live(s, now, p) || s.failures < p.limit) return { allowed: true };
  const left = Math.ceil((s.start + p.windowSeconds * 1000 - now) / 1000);
  return { allowed: false, retryAfterSeconds: Math.min(Math.max(left, 1), p.windowSeconds) };
}

/** The state after one more failure at `now`: counted in the live window, or the first of a new one. */
export function afterFailure(s: WindowState | null, now: number, p: Policy): WindowState {
  return live(s, now, p) ? { start: s.start, failures: s.failures + 1 } : { start: now, failures: 1 };
}

/** What a caller asks the limiter object: check before an attempt, or count a failure. */
export type RateLimitOp = { op: "check" | "fail"; policy: Policy };

/**
 * One limiter step inside its Durable Object (one object per key, so each step is atomic:
 * the object runs one request at a time between awaits, and this function has none). State
 * lives in the object's `kv` table under `ratelimit`.
 */
export function rateLimitHere(sql: SqlStorage, input: RateLimitOp, now = Date.now()): Decision {
  const row = sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'ratelimit'").toArray()[0];
  const state = row ? (JSON.parse(row.v) as WindowState) : null;
  if (input.op === "check") return decide(state, now, input.policy);
  const next = afterFailure(state, now, input.policy);
  sql.exec("INSERT INTO kv (k, v) VALUES ('ratelimit', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", JSON.stringify(next));
  return decide(next, now, input.policy);
}
