/** Queues refuse delays above 12 hours. */
export const MAX_DELAY_SECONDS = 12 * 60 * 60;

/**
 * Exponential backoff for the attempt that follows attempt `attempt` (1-based):
 * base, 2·base, 4·base, … capped at 12 hours (the Queues delay ceiling).
 * Why exponential: a downstream outage gets breathing room instead of a retry storm,
 * while a single blip is retried after just `base` seconds. Pure and deterministic, so the
 * schedule a user reads in the docs is the one that runs.
 */
export function retryDelaySeconds(baseSeconds: number, attempt: number): number {
  const base = Math.max(0, Math.floor(baseSeconds));
  const n = Math.max(1, Math.floor(attempt));
  return Math.min(MAX_DELAY_SECONDS, base * 2 ** Math.min(n - 1, 20));
}
