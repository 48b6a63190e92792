/**
 * Endpoint health policy: which failed attempts count against an endpoint, when its circuit
 * opens, and how often an open circuit is probed. Pure numbers, so the delivery path, the
 * minute cron and the API apply one rule (unit-tested on its own).
 *
 * Defaults, and why:
 * - open after 20 consecutive failed attempts: with the default 5 retries that is four
 *   executions in a row burning every attempt, which is no longer a blip;
 * - or after 24 hours of nothing but failures (for endpoints that get fewer than 20 attempts
 *   a day). Svix waits 5 days; we hold runs instead of failing them, so opening early costs
 *   the receiver nothing, and a day keeps a dead endpoint from eating a day's retries;
 * - probe every 60 s (the cron's resolution), doubling after each failed probe up to 1 hour.
 */

/** Defaults of an endpoint's `circuit_breaker`. */
export const CIRCUIT_DEFAULTS = { enabled: true, failure_threshold: 20, failing_for_seconds: 86_400, probe_interval_seconds: 60 } as const;
/** The longest wait between two probes of an open circuit. */
export const MAX_PROBE_INTERVAL_SECONDS = 3_600;
/** A half-open probe whose run reached no outcome for this long is abandoned and the circuit is probed again. */
export const PROBE_STALE_SECONDS = 600;
/** Held runs released per drain step, oldest first. */
export const DRAIN_BATCH = 100;

/**
 * Whether a failed attempt counts against the endpoint: an HTTP error status, a timeout or a
 * network error. Failures that are ours or the action's (template errors, the outbound
 * policy, a missing secret, an internal error) never open a circuit.
 */
export function isEndpointFault(code: string): boolean {
  return code === "timeout" || code === "network_error" || /^http_\d{3}$/.test(code);
}

/** Seconds until the next probe after `failedProbes` failed probes: interval × 2^n, at most MAX_PROBE_INTERVAL_SECONDS. */
export function probeDelaySeconds(intervalSeconds: number, failedProbes: number): number {
  const n = Math.max(0, Math.min(Math.floor(failedProbes), 16));
  return Math.min(Math.max(intervalSeconds, 1) * 2 ** n, MAX_PROBE_INTERVAL_SECONDS);
}

/** Why a run is held: the circuit opened, an operator disabled the endpoint, or an earlier run of its FIFO key is unfinished. */
export type HeldReason = "circuit_open" | "endpoint_disabled" | "fifo";
