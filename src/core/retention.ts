/**
 * Retention policy, pure: how long events, executions and runs are kept, when a large
 * body is dropped early, and how much one cron invocation may purge.
 */

/** Days an event (and the executions and runs it caused) is kept once final. Default: 30. */
export const DEFAULT_EVENT_RETENTION_DAYS = 30;
/** Days a large event keeps its body (its metadata stays for the full retention). Default: 7. */
export const DEFAULT_LARGE_BODY_RETENTION_DAYS = 7;
/** A body of more than this many bytes is "large". Default: 65536 (64 KiB). */
export const DEFAULT_LARGE_BODY_BYTES = 65536;
/** Largest per-org override: ten years. 0 purges every final record at the next cron. */
export const MAX_RETENTION_DAYS = 3650;
/** Passes of one cron invocation. Default: 10. */
export const MAX_PASSES = 10;
/** Rows one statement of a pass deletes at most (per table). Default: 500. */
export const PASS_BATCH = 500;
/** Statements one pass sends to D1 at most (one batch of deletes plus the counters). */
export const MAX_STATEMENTS_PER_PASS = 40;

/** Statuses after which a run, an execution or a pipeline run never changes again. */
export const FINAL_RUN_STATUSES = ["success", "failed", "cancelled", "rejected"] as const;
export const FINAL_PIPELINE_STATUSES = ["success", "failed", "stopped", "rejected"] as const;

const DAY_MS = 86_400_000;

/** A non-negative integer from an env var, or `fallback` when absent, empty or not one. */
export function daysVar(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

export interface RetentionPolicy {
  /** Days final records are kept. */
  days: number;
  /** Days a large body is kept (never longer than `days`). */
  largeBodyDays: number;
  /** Bytes above which a body is large. */
  largeBodyBytes: number;
}

/**
 * The policy of one org: its own `retention_days` when set, else EVENT_RETENTION_DAYS (30).
 * Guarantees: largeBodyDays ≤ days, so a body is never kept longer than its event.
 */
export function policyOf(vars: { EVENT_RETENTION_DAYS?: string; LARGE_BODY_RETENTION_DAYS?: string; LARGE_BODY_BYTES?: string }, orgDays: number | null): RetentionPolicy {
  const days = orgDays ?? daysVar(vars.EVENT_RETENTION_DAYS, DEFAULT_EVENT_RETENTION_DAYS);
  const largeBodyDays = Math.min(days, daysVar(vars.LARGE_BODY_RETENTION_DAYS, DEFAULT_LARGE_BODY_RETENTION_DAYS));
  return { days, largeBodyDays, largeBodyBytes: daysVar(vars.LARGE_BODY_BYTES, DEFAULT_LARGE_BODY_BYTES) };
}

/** The ISO instant before which a record `days` old has expired, at `now`. */
export function cutoffOf(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}
