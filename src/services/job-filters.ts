import { and, asc, count, eq, gt, gte, lt, lte, or, isNull, sql, type SQL } from "drizzle-orm";
import { invalid } from "../core/errors";
import type { Db } from "../db/client";
import { actions, endpoints, events, runs, triggers } from "../db/schema";
import { inOrg } from "../db/scope";
import type { JOB_KINDS } from "../db/tables/jobs";

export type JobKind = (typeof JOB_KINDS)[number];

/** Run statuses a retry job may select: only final ones, whose membership cannot change under the job. */
export const RETRY_JOB_STATUSES = ["failed", "success", "cancelled", "rejected"] as const;
/** Event statuses a replay job may select (`received` is in flight: routing changes it under the job). */
export const REPLAY_JOB_STATUSES = ["routed", "unmatched", "failed"] as const;

/** `POST …/runs/retry` filter as validated by the route. */
export interface RunJobFilterIn {
  status?: (typeof RETRY_JOB_STATUSES)[number];
  action_id?: string;
  endpoint_id?: string;
  since?: string;
  until?: string;
}
/** `POST …/events/replay` filter as validated by the route. */
export interface EventJobFilterIn {
  trigger_id?: string;
  status?: (typeof REPLAY_JOB_STATUSES)[number];
  event_type?: string;
  since?: string;
  until?: string;
}

/** A frozen filter: what a job stores; `until` is always set. */
export type FrozenFilter = Record<string, string> & { until: string };

/** An ISO time from the body, normalised to the stored UTC format; 422 at body.filter.<name> otherwise. */
function instant(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(["body", "filter", name], `${name} must be an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z`, value);
  return new Date(ms).toISOString();
}

/**
 * Freezes a filter at `asOf` (the job's creation): times are normalised to UTC, a retry
 * filter's status defaults to `failed`, and `until` becomes the earlier of the given one and
 * `asOf`, so nothing that happens after creation can join the set. 422 on an unparseable
 * time or since ≥ until. Unset fields are left out.
 */
export function freezeFilter(kind: JobKind, input: RunJobFilterIn | EventJobFilterIn, asOf: string): FrozenFilter {
  const since = instant("since", input.since);
  const given = instant("until", input.until);
  const until = given && given < asOf ? given : asOf;
  if (since && since >= until) throw invalid(["body", "filter", "since"], `since must be before until (${until}; until is at most the job's creation time)`, input.since);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) if (typeof v === "string") out[k] = v;
  if (kind === "runs.retry") out.status ??= "failed";
  if (since) out.since = since;
  return { ...out, until } as FrozenFilter;
}

/**
 * The runs a retry job matches: per execution, its latest attempt among those triggered before
 * `until`, when that attempt matches status, action, endpoint (the run's action points at it)
 * and `since ≤ triggered_at < until`, and had completed by `asOf` (the job's creation). Every term is fixed once
 * the job exists (a retry's new attempt is triggered after `until`), so the set only shrinks
 * if retention deletes rows.
 */
function runsWhere(orgId: string, f: FrozenFilter, asOf: string): SQL {
  return inOrg(
    runs,
    orgId,
    eq(runs.status, f.status as (typeof RETRY_JOB_STATUSES)[number]),
    f.action_id ? eq(runs.actionId, f.action_id) : undefined,
    f.endpoint_id ? sql`${runs.actionId} IN (SELECT a.action_id FROM actions a WHERE a.org_id = ${orgId} AND a.endpoint_id = ${f.endpoint_id})` : undefined,
    f.since ? gte(runs.triggeredAt, f.since) : undefined,
    lt(runs.triggeredAt, f.until),
    or(isNull(runs.completedAt), lte(runs.completedAt, asOf)),
    sql`NOT EXISTS (SELECT 1 FROM runs n WHERE n.execution_id = ${runs.executionId} AND n.attempt > ${runs.attempt} AND n.triggered_at < ${f.until})`,
  );
}

/** The events a replay job matches: trigger, status, event type and `since ≤ received_at < until`. */
function eventsWhere(orgId: string, f: FrozenFilter): SQL {
  return inOrg(
    events,
    orgId,
    f.trigger_id ? eq(events.projectTriggerId, f.trigger_id) : undefined,
    f.status ? eq(events.status, f.status as (typeof REPLAY_JOB_STATUSES)[number]) : undefined,
    f.event_type ? eq(events.eventType, f.event_type) : undefined,
    f.since ? gte(events.receivedAt, f.since) : undefined,
    lt(events.receivedAt, f.until),
  );
}

/**
 * Checks the ids a filter names (`action_id`, `endpoint_id`, `trigger_id`) against the org, as
 * every body field naming a resource does: one of another org and one that does not exist are
 * the same 422 at `["body","filter",<field>]`, so a job never silently matches nothing.
 */
export async function checkFilterIds(db: Db, orgId: string, f: FrozenFilter): Promise<void> {
  const probes = [
    f.action_id ? { field: "action_id", what: "action", q: db.select({ id: actions.actionId }).from(actions).where(inOrg(actions, orgId, eq(actions.actionId, f.action_id))) } : null,
    f.endpoint_id ? { field: "endpoint_id", what: "endpoint", q: db.select({ id: endpoints.endpointId }).from(endpoints).where(inOrg(endpoints, orgId, eq(endpoints.endpointId, f.endpoint_id))) } : null,
    f.trigger_id ? { field: "trigger_id", what: "trigger", q: db.select({ id: triggers.projectTriggerId }).from(triggers).where(inOrg(triggers, orgId, eq(triggers.projectTriggerId, f.trigger_id))) } : null,
  ];
  for (const p of probes) {
    if (p && !(await p.q.limit(1)).length) throw invalid(["body", "filter", p.field], `${p.what} not found in this org`, f[p.field]);
  }
}

/** How many items a frozen filter matches for a job created at `asOf` (one COUNT, tenant-scoped). */
export async function countMatches(db: Db, orgId: string, kind: JobKind, f: FrozenFilter, asOf: string): Promise<number> {
  const [row] =
    kind === "runs.retry"
      ? await db.select({ n: count() }).from(runs).where(runsWhere(orgId, f, asOf))
      : await db.select({ n: count() }).from(events).where(eventsWhere(orgId, f));
  return row?.n ?? 0;
}

/** The next `limit` matching item ids after `cursor`, in id order, for a job created at `asOf` (tenant-scoped). */
export async function nextMatches(db: Db, orgId: string, kind: JobKind, f: FrozenFilter, asOf: string, cursor: string | null, limit: number): Promise<string[]> {
  if (kind === "runs.retry") {
    const rows = await db.select({ id: runs.runId }).from(runs).where(and(runsWhere(orgId, f, asOf), cursor ? gt(runs.runId, cursor) : undefined)).orderBy(asc(runs.runId)).limit(limit);
    return rows.map((r) => r.id);
  }
  const rows = await db.select({ id: events.eventId }).from(events).where(and(eventsWhere(orgId, f), cursor ? gt(events.eventId, cursor) : undefined)).orderBy(asc(events.eventId)).limit(limit);
  return rows.map((r) => r.id);
}
