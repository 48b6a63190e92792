/**
 * Recovery policy: how long work may look stuck before the minute sweeper re-drives it, and
 * when it gives up. Pure numbers and arithmetic, so every caller (claim, retry, approval,
 * sweeper, dead-letter consumer) applies the same rule and it is unit-tested on its own.
 *
 * Why it exists: a queue message can be lost (local Queues do not survive a restart), an
 * invocation can die after claiming a run (CPU limit, eviction, deploy), and a task can
 * exhaust its retries during a D1 incident. D1 is the record, so everything the sweeper needs
 * to finish that work is in D1: runs carry a lease, events a status, slots a claim.
 */

/** Added to an endpoint's timeout to form a claim's lease: D1 writes and rendering. Default: 30 s. */
export const LEASE_MARGIN_SECONDS = 30;
/** Lease used when the endpoint's timeout is unknown (its maximum, 120 s). */
export const MAX_TIMEOUT_SECONDS = 120;
/** How overdue a `pending` run, a `received` event or a claimed slot may be before it is re-driven. Default: 120 s. */
export const OVERDUE_GRACE_SECONDS = 120;
/** Re-drives of one run (expired leases plus lost or dead-lettered tasks) before it fails. Default: 5. */
export const MAX_RECOVERIES = 5;
/** Routing attempts of one event (dead letters plus sweeper re-drives) before it is marked `failed`. Default: 5. */
export const MAX_ROUTE_ATTEMPTS = 5;
/** Most rows of each kind one sweep re-drives (the rest wait for the next minute). */
export const SWEEP_LIMIT = 200;

/** The lease of a claim on a run whose endpoint times out after `timeoutSeconds`. */
export function leaseSeconds(timeoutSeconds: number | null | undefined): number {
  const t = Number.isFinite(timeoutSeconds) && (timeoutSeconds as number) > 0 ? (timeoutSeconds as number) : MAX_TIMEOUT_SECONDS;
  return Math.min(t, MAX_TIMEOUT_SECONDS) + LEASE_MARGIN_SECONDS;
}

/**
 * How long an open item (a pending run, an unrouted event) may wait after its due time before
 * the sweeper re-drives it, after `attempts` earlier re-drives: the grace doubles each time
 * (120 s, 240 s, 480 s, …), capped at one day, so a long queue backlog is not flooded with
 * duplicates and a permanently failing item costs little.
 */
export function overdueAfterSeconds(attempts: number): number {
  const n = Math.max(0, Math.min(Math.floor(attempts), 20));
  return Math.min(OVERDUE_GRACE_SECONDS * 2 ** n, 86_400);
}

/** `at` plus `seconds`, as the ISO-8601 UTC text every timestamp column uses. */
export function plusSeconds(at: Date | string, seconds: number): string {
  return new Date(new Date(at).getTime() + seconds * 1000).toISOString();
}
