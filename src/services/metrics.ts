import { and, count, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Ctx } from "../core/context";
import { invalid } from "../core/errors";
import { actions, endpoints, events, runs } from "../db/schema";
import { inOrg } from "../db/scope";
import { openOrg } from "./orgs";
import { purgedOf, type PurgedOut } from "./retention-settings";

/** Bucket widths the metrics API accepts, in seconds. */
export const BUCKETS = { "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400 } as const;
export type Bucket = keyof typeof BUCKETS;
/** Most buckets one metrics request may ask for (e.g. 7 days of 15 minutes = 672). */
export const MAX_BUCKETS = 1000;
/** Default window when `since` is absent: the 24 hours before `until`. */
export const DEFAULT_WINDOW_SECONDS = 86400;

export interface Window {
  since: string;
  until: string;
  bucket: Bucket;
}

export interface MetricsBucket {
  /** Start of the bucket (inclusive), ISO-8601 UTC. */
  start: string;
  /** Events received in the bucket, by status (received, routed, unmatched, failed). */
  events: Record<string, number>;
  /** Runs (attempts) triggered in the bucket, by their current status. */
  runs: Record<string, number>;
}

export interface Metrics extends Window {
  buckets: MetricsBucket[];
  totals: { events: Record<string, number>; runs: Record<string, number> };
  /** What retention purged in this org so far (all time, not windowed: the rows are gone). */
  purged: PurgedOut;
}

function instant(name: "since" | "until", value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(["query", name], `${name} must be an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z`, value);
  return ms;
}

/**
 * Checks and completes a metrics window. Guarantees: `until` defaults to now and `since` to
 * DEFAULT_WINDOW_SECONDS before it, `bucket` to "1h"; both are ISO-8601 (else 422 at
 * ["query", name]); since < until (422 at ["query","since"]); at most MAX_BUCKETS buckets
 * (422 at ["query","bucket"]). `since` is aligned down to the bucket width, so buckets are
 * stable between calls.
 */
export function metricsWindow(q: { since?: string; until?: string; bucket?: string }, now = Date.now()): Window {
  const bucket = (q.bucket ?? "1h") as Bucket;
  if (!(bucket in BUCKETS)) throw invalid(["query", "bucket"], `bucket must be one of ${Object.keys(BUCKETS).join(", ")}`, q.bucket);
  const width = BUCKETS[bucket] * 1000;
  const until = q.until ? instant("until", q.until) : now;
  const rawSince = q.since ? instant("since", q.since) : until - DEFAULT_WINDOW_SECONDS * 1000;
  if (rawSince >= until) throw invalid(["query", "since"], "since must be earlier than until", q.since ?? null);
  const since = Math.floor(rawSince / width) * width;
  const n = Math.ceil((until - since) / width);
  if (n > MAX_BUCKETS) throw invalid(["query", "bucket"], `the window holds ${n} buckets of ${bucket}; at most ${MAX_BUCKETS} — use a wider bucket or a shorter window`, bucket, { buckets: n, max: MAX_BUCKETS });
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString(), bucket };
}

/** SQL: the bucket index (0-based from `since`) of an ISO timestamp column. */
const bucketOf = (col: typeof events.receivedAt | typeof runs.triggeredAt, w: Window) =>
  sql<number>`CAST((unixepoch(${col}, 'subsec') - unixepoch(${w.since}, 'subsec')) / ${BUCKETS[w.bucket]} AS INTEGER)`;

/**
 * Counts of the org's events (by status, bucketed by `received_at`) and runs (by status,
 * bucketed by `triggered_at`) in [since, until) (viewer+; another org is 404). Guarantees:
 * every bucket of the window is present, empty ones with {} counts; each counted row falls
 * in exactly one bucket; both queries are GROUP BYs over the (org_id, time, status) indexes
 * `events_org_received` and `runs_org_time`, never a table scan. `purged` is the org's
 * all-time retention counters.
 */
export async function orgMetrics(ctx: Ctx, orgId: string, q: { since?: string; until?: string; bucket?: string }): Promise<Metrics> {
  const org = await openOrg(ctx, orgId, "viewer");
  const w = metricsWindow(q);
  const [ev, rn] = await ctx.db.batch([
    ctx.db
      .select({ b: bucketOf(events.receivedAt, w), status: events.status, n: count() })
      .from(events)
      .where(inOrg(events, orgId, gte(events.receivedAt, w.since), lt(events.receivedAt, w.until)))
      .groupBy(sql`1`, events.status),
    ctx.db
      .select({ b: bucketOf(runs.triggeredAt, w), status: runs.status, n: count() })
      .from(runs)
      .where(inOrg(runs, orgId, gte(runs.triggeredAt, w.since), lt(runs.triggeredAt, w.until)))
      .groupBy(sql`1`, runs.status),
  ]);
  const width = BUCKETS[w.bucket] * 1000;
  const start = Date.parse(w.since);
  const n = Math.ceil((Date.parse(w.until) - start) / width);
  const buckets: MetricsBucket[] = Array.from({ length: n }, (_, i) => ({ start: new Date(start + i * width).toISOString(), events: {}, runs: {} }));
  const totals = { events: {} as Record<string, number>, runs: {} as Record<string, number> };
  const add = (into: "events" | "runs", rows: { b: number; status: string; n: number }[]) => {
    for (const r of rows) {
      const b = buckets[Math.min(Math.max(r.b, 0), n - 1)]!;
      b[into][r.status] = (b[into][r.status] ?? 0) + r.n;
      totals[into][r.status] = (totals[into][r.status] ?? 0) + r.n;
    }
  };
  add("events", ev);
  add("runs", rn);
  return { ...w, buckets, totals, purged: purgedOf(org) };
}

export interface EndpointHealth {
  endpoint_id: string;
  app_id: string;
  name: string;
  url: string;
  /** Final attempts (success + failed) in the window. */
  attempts: number;
  succeeded: number;
  failed: number;
  /** succeeded / attempts, or null when there were none. */
  success_rate: number | null;
  /** Mean duration of the window's final attempts, in milliseconds, or null. */
  avg_latency_ms: number | null;
  /** The HTTP status of the latest final attempt (null: none, or no answer). */
  last_status: number | null;
  /** When the latest final attempt completed. */
  last_at: string | null;
  /** The error of the latest failed attempt in the window (even if a later one succeeded), and when. */
  last_error: string | null;
  last_error_at: string | null;
  workspace_id: string;
  /** The circuit now: closed, open, half_open or disabled (see services/circuit.ts), and why. */
  circuit_state: "closed" | "open" | "half_open" | "disabled";
  circuit_reason: string | null;
  consecutive_failures: number;
  /** Runs waiting on this endpoint now (status `held`: circuit open, disabled, or FIFO). */
  held_runs: number;
}

/**
 * Delivery health of every endpoint of the org over [since, until) (viewer+; another org is
 * 404): final attempts (`success`, `failed`) triggered in the window, grouped by the
 * endpoint of their action, with success rate, mean latency and the latest attempt's status
 * and error. Endpoints without attempts are listed with zeros. Ordered by failures, most
 * first. Reads runs through `runs_org_time` (one range of the window), never a scan.
 */
export async function endpointHealth(ctx: Ctx, orgId: string, q: { since?: string; until?: string; bucket?: string }): Promise<EndpointHealth[]> {
  await openOrg(ctx, orgId, "viewer");
  const w = metricsWindow(q);
  const inWindow = inOrg(runs, orgId, gte(runs.triggeredAt, w.since), lt(runs.triggeredAt, w.until), inArray(runs.status, ["success", "failed"]));
  const [eps, agg, last, lastFailure, held] = await ctx.db.batch([
    ctx.db
      .select({
        endpointId: endpoints.endpointId, appId: endpoints.appId, workspaceId: endpoints.workspaceId, name: endpoints.name, url: endpoints.url,
        circuitState: endpoints.circuitState, circuitReason: endpoints.circuitReason, consecutiveFailures: endpoints.consecutiveFailures,
      })
      .from(endpoints)
      .where(inOrg(endpoints, orgId))
      .limit(500),
    ctx.db
      .select({
        endpointId: actions.endpointId,
        succeeded: sql<number>`sum(${runs.status} = 'success')`,
        failed: sql<number>`sum(${runs.status} = 'failed')`,
        avg: sql<number | null>`avg(${runs.durationSeconds})`,
      })
      .from(runs)
      .innerJoin(actions, and(eq(actions.orgId, runs.orgId), eq(actions.actionId, runs.actionId)))
      .where(inWindow)
      .groupBy(actions.endpointId),
    latestPerEndpoint(ctx, inWindow),
    latestPerEndpoint(ctx, and(inWindow, eq(runs.status, "failed"))!),
    ctx.db
      .select({ endpointId: actions.endpointId, n: sql<number>`count(*)` })
      .from(runs)
      .innerJoin(actions, and(eq(actions.orgId, runs.orgId), eq(actions.actionId, runs.actionId)))
      .where(inOrg(runs, orgId, eq(runs.status, "held")))
      .groupBy(actions.endpointId),
  ]);
  const byHeld = new Map(held.map((h) => [h.endpointId, Number(h.n)]));
  const byAgg = new Map(agg.map((a) => [a.endpointId, a]));
  const byLast = new Map(last.map((l) => [l.endpointId, l]));
  const byFailure = new Map(lastFailure.map((l) => [l.endpointId, l]));
  return eps
    .map((e): EndpointHealth => {
      const a = byAgg.get(e.endpointId);
      const l = byLast.get(e.endpointId);
      const f = byFailure.get(e.endpointId);
      const succeeded = Number(a?.succeeded ?? 0);
      const failed = Number(a?.failed ?? 0);
      const attempts = succeeded + failed;
      return {
        endpoint_id: e.endpointId, app_id: e.appId, name: e.name, url: e.url, attempts, succeeded, failed,
        success_rate: attempts ? succeeded / attempts : null,
        avg_latency_ms: a?.avg == null ? null : Math.round(a.avg * 1000),
        last_status: l?.status ?? null, last_at: l?.at ?? null, last_error: f?.error ?? null, last_error_at: f?.at ?? null,
        workspace_id: e.workspaceId, circuit_state: e.circuitState, circuit_reason: e.circuitReason, consecutive_failures: e.consecutiveFailures,
        held_runs: byHeld.get(e.endpointId) ?? 0,
      };
    })
    .sort((x, y) => y.failed - x.failed || y.attempts - x.attempts || x.name.localeCompare(y.name));
}

/** The latest run (by triggered_at) per endpoint among the runs matching `where`: its status, error and completion time. */
function latestPerEndpoint(ctx: Ctx, where: SQL) {
  const ranked = ctx.db
    .select({
      endpoint_id: sql<string>`${actions.endpointId}`.as("endpoint_id"),
      response_status: sql<number | null>`${runs.responseStatus}`.as("response_status"),
      error_message: sql<string | null>`${runs.errorMessage}`.as("error_message"),
      completed_at: sql<string | null>`${runs.completedAt}`.as("completed_at"),
      rn: sql<number>`row_number() OVER (PARTITION BY ${actions.endpointId} ORDER BY ${runs.triggeredAt} DESC, ${runs.runId} DESC)`.as("rn"),
    })
    .from(runs)
    .innerJoin(actions, and(eq(actions.orgId, runs.orgId), eq(actions.actionId, runs.actionId)))
    .where(where)
    .as("ranked");
  return ctx.db
    .select({ endpointId: sql<string>`endpoint_id`, status: sql<number | null>`response_status`, error: sql<string | null>`error_message`, at: sql<string | null>`completed_at` })
    .from(ranked)
    .where(sql`rn = 1`);
}
