import { Cron } from "croner";

/**
 * Validates a 5-field cron expression and IANA time zone. Returns an error message a person
 * can act on, or null when both are valid.
 */
export function cronProblem(expression: string, timezone: string): string | null {
  if (expression.trim().split(/\s+/).length !== 5) return "cron_expression must have 5 fields: minute hour day-of-month month day-of-week";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    return `unknown IANA time zone '${timezone}' (for example 'Europe/Paris' or 'UTC')`;
  }
  try {
    new Cron(expression, { timezone, paused: true });
  } catch (err) {
    return `invalid cron expression: ${(err as Error).message}`;
  }
  return null;
}

/**
 * The first time strictly after `after` at which `expression` fires in `timezone`, as an
 * ISO UTC string, or null if it never fires again. DST-correct (croner resolves local times
 * through the zone): a local time inside a spring-forward gap fires once, at the first instant
 * after the gap (e.g. 02:30 → 03:00); a local time repeated at fall-back fires once.
 */
export function nextCronRun(expression: string, timezone: string, after: Date): string | null {
  const next = new Cron(expression, { timezone, paused: true }).nextRun(after);
  return next ? next.toISOString() : null;
}
