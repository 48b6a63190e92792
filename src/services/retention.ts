import { cutoffOf, FINAL_PIPELINE_STATUSES, FINAL_RUN_STATUSES, MAX_PASSES, PASS_BATCH, policyOf, type RetentionPolicy } from "../core/retention";
import { triggerStateFor } from "../durable/client";
import type { Env } from "../env";

/** What one `purgeExpired` invocation did. */
export interface PurgeResult {
  passes: number;
  /** D1 statements sent (selects, deletes and counter updates). */
  statements: number;
  events: number;
  executions: number;
  runs: number;
  pipelineRuns: number;
  /** Large events whose body was dropped early (their metadata stays). */
  bodies: number;
  /** Approval records dropped from Durable Objects. */
  forgotten: number;
}

export interface PurgeBounds {
  /** Passes per invocation. Default: MAX_PASSES (10). */
  passes?: number;
  /** Rows per table per pass. Default: PASS_BATCH (500). */
  batch?: number;
}

const list = (xs: readonly string[]) => xs.map((s) => `'${s}'`).join(",");
const FINAL = list(FINAL_RUN_STATUSES);
const PFINAL = list(FINAL_PIPELINE_STATUSES);

// ?1 org_id, ?2 cutoff, ?3 batch. An execution expires when it, every run of it and its
// pipeline run (if any) are final and it last changed before the cutoff. Final is an
// allow-list: pending, running, pending_approval, held or any status added later stay.
const EXPIRED_EXECUTION = `e.org_id = ?1 AND e.updated_at < ?2 AND e.status IN (${FINAL})
  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.execution_id = e.execution_id AND r.status NOT IN (${FINAL}))
  AND (e.pipeline_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM pipeline_runs p WHERE p.pipeline_run_id = e.pipeline_run_id AND p.status NOT IN (${PFINAL})))`;

// The outer deletes find their rows by the listed ids (runs_execution, the primary key):
// `+org_id` keeps the tenant check but stops SQLite, which has no statistics, from reading
// every run or execution of the org through an org_id index instead.
const SQL_RUNS = `DELETE FROM runs WHERE +org_id = ?1 AND execution_id IN (
  SELECT e.execution_id FROM executions e WHERE ${EXPIRED_EXECUTION} ORDER BY e.updated_at LIMIT ?3)
  RETURNING run_id, execution_id, action_id, decided_by`;
const SQL_EXECUTIONS = `DELETE FROM executions WHERE +org_id = ?1 AND execution_id IN (
  SELECT e.execution_id FROM executions e WHERE ${EXPIRED_EXECUTION}
  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.execution_id = e.execution_id) ORDER BY e.updated_at LIMIT ?3)
  RETURNING execution_id, project_trigger_id, pipeline_run_id`;
const SQL_PIPELINE_RUNS = `DELETE FROM pipeline_runs WHERE org_id = ?1 AND pipeline_run_id IN (
  SELECT p.pipeline_run_id FROM pipeline_runs p WHERE p.org_id = ?1 AND p.updated_at < ?2 AND p.status IN (${PFINAL})
  AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.pipeline_run_id = p.pipeline_run_id) LIMIT ?3)
  RETURNING pipeline_run_id, pipeline_id`;
// An event still being routed ('received') stays; so does one whose executions remain. The
// two halves read the two partial indexes that together hold every execution of an event:
// executions_event_action (outside pipelines) and executions_event_pipeline (the others).
const SQL_EVENTS = `DELETE FROM events WHERE org_id = ?1 AND event_id IN (
  SELECT ev.event_id FROM events ev WHERE ev.org_id = ?1 AND ev.received_at < ?2 AND ev.status IN ('routed','unmatched','failed')
  AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.event_id = ev.event_id AND x.pipeline_run_id IS NULL)
  AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.event_id = ev.event_id AND x.pipeline_run_id IS NOT NULL) LIMIT ?3)`;
// The local forwards (switchyard listen) of events that are gone, including those deleted just above in the same batch.
const SQL_FORWARDS = `DELETE FROM event_forwards WHERE org_id = ?1 AND forward_id IN (
  SELECT f.forward_id FROM event_forwards f WHERE f.org_id = ?1 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = f.event_id) LIMIT ?3)`;
// ?4 size threshold, ?5 large-body cutoff, ?6 now. Reads the partial index events_body_kept.
const SQL_BODIES = `UPDATE events SET body = '', body_purged_at = ?6 WHERE org_id = ?1 AND event_id IN (
  SELECT event_id FROM events WHERE body_purged_at IS NULL AND length(CAST(body AS BLOB)) > ?4 AND received_at < ?5 AND org_id = ?1 LIMIT ?3)`;
const SQL_COUNTERS = `UPDATE orgs SET purged_events = purged_events + ?2, purged_executions = purged_executions + ?3,
  purged_runs = purged_runs + ?4, purged_bodies = purged_bodies + ?5, last_purge_at = ?6 WHERE org_id = ?1`;

interface Pass {
  full: boolean;
  statements: number;
  counts: Omit<PurgeResult, "passes" | "statements" | "forgotten">;
  forget: Map<string, { runIds: string[]; pipelineRunIds: string[] }>;
}

/** One pass over one org: one atomic D1 batch of five bounded deletes/updates, then the counters. */
async function onePass(env: Env, orgId: string, p: RetentionPolicy, now: Date, batch: number): Promise<Pass> {
  const cutoff = cutoffOf(now, p.days);
  const at = now.toISOString();
  const [rn, ex, pr, ev, fw, bd] = await env.DB.batch([
    env.DB.prepare(SQL_RUNS).bind(orgId, cutoff, batch),
    env.DB.prepare(SQL_EXECUTIONS).bind(orgId, cutoff, batch),
    env.DB.prepare(SQL_PIPELINE_RUNS).bind(orgId, cutoff, batch),
    env.DB.prepare(SQL_EVENTS).bind(orgId, cutoff, batch),
    env.DB.prepare(SQL_FORWARDS).bind(orgId, cutoff, batch),
    env.DB.prepare(SQL_BODIES).bind(orgId, cutoff, batch, p.largeBodyBytes, cutoffOf(now, p.largeBodyDays), at),
  ]);
  const runRows = rn!.results as { run_id: string; execution_id: string; action_id: string; decided_by: string | null }[];
  const execRows = ex!.results as { execution_id: string; project_trigger_id: string | null; pipeline_run_id: string | null }[];
  const prRows = pr!.results as { pipeline_run_id: string; pipeline_id: string }[];
  const counts = { runs: runRows.length, executions: execRows.length, pipelineRuns: prRows.length, events: ev!.meta.changes, bodies: bd!.meta.changes };
  let statements = 6;
  await env.DB.prepare(SQL_COUNTERS).bind(orgId, counts.events, counts.executions, counts.runs, counts.bodies, at).run();
  statements++;
  const forget = new Map<string, { runIds: string[]; pipelineRunIds: string[] }>();
  const into = (key: string) => forget.get(key) ?? forget.set(key, { runIds: [], pipelineRunIds: [] }).get(key)!;
  for (const r of prRows) into(`pipeline:${r.pipeline_id}`).pipelineRunIds.push(r.pipeline_run_id);
  // A decided run's decision lives in the object that owns its approval (approvals.ts approvalKeyOf).
  const decided = runRows.filter((r) => r.decided_by !== null);
  if (decided.length) {
    const execs = new Map(execRows.map((e) => [e.execution_id, e]));
    const pipelineOf = new Map(prRows.map((r) => [r.pipeline_run_id, r.pipeline_id]));
    const missing = [...new Set(decided.map((r) => execs.get(r.execution_id)?.pipeline_run_id).filter((id): id is string => !!id && !pipelineOf.has(id)))];
    if (missing.length) {
      const rows = await env.DB.prepare(`SELECT pipeline_run_id, pipeline_id FROM pipeline_runs WHERE pipeline_run_id IN (SELECT value FROM json_each(?1))`).bind(JSON.stringify(missing)).all<{ pipeline_run_id: string; pipeline_id: string }>();
      statements++;
      for (const r of rows.results) pipelineOf.set(r.pipeline_run_id, r.pipeline_id);
    }
    for (const r of decided) {
      const e = execs.get(r.execution_id);
      const pid = e?.pipeline_run_id ? pipelineOf.get(e.pipeline_run_id) : undefined;
      into(e?.project_trigger_id ?? (pid ? `pipeline:${pid}` : `action:${r.action_id}`)).runIds.push(r.run_id);
    }
  }
  const full = Object.values(counts).some((n) => n >= batch) || fw!.meta.changes >= batch;
  return { full, statements, counts, forget };
}

/**
 * Purges what retention says has expired at `now`, across orgs, in bounded work: at most
 * `passes` passes (default 10), each ONE atomic D1 batch of six statements that delete or
 * update at most `batch` rows per table (default 500), then one counter update (and rarely
 * one lookup) — never more than MAX_STATEMENTS_PER_PASS. Guarantees: only final records
 * older than the org's cutoff go (runs, their execution, its pipeline run, then the event
 * once nothing refers to it); a run that is pending, running, awaiting approval, held or in
 * any non-final status is never touched, nor its execution, pipeline run or event; large
 * bodies (> LARGE_BODY_BYTES) of final-or-not events are emptied after LARGE_BODY_RETENTION_DAYS
 * with `body_purged_at` set; every statement is scoped to one org; the approval records of
 * purged runs are dropped from their Durable Object (a failure there is logged: a leftover
 * record only guards a run that no longer exists). Orgs are visited least recently purged
 * first, so a backlog in one org does not starve the others.
 */
export async function purgeExpired(env: Env, now: Date, bounds: PurgeBounds = {}): Promise<PurgeResult> {
  const maxPasses = bounds.passes ?? MAX_PASSES;
  const batch = bounds.batch ?? PASS_BATCH;
  const out: PurgeResult = { passes: 0, statements: 0, events: 0, executions: 0, runs: 0, pipelineRuns: 0, bodies: 0, forgotten: 0 };
  const orgs = await env.DB.prepare("SELECT org_id, retention_days FROM orgs ORDER BY last_purge_at IS NOT NULL, last_purge_at LIMIT ?1").bind(maxPasses).all<{ org_id: string; retention_days: number | null }>();
  out.statements++;
  for (const org of orgs.results) {
    const policy = policyOf(env, org.retention_days);
    for (;;) {
      if (out.passes >= maxPasses) return out;
      const pass = await onePass(env, org.org_id, policy, now, batch);
      out.passes++;
      out.statements += pass.statements;
      for (const [k, v] of Object.entries(pass.counts)) out[k as keyof typeof pass.counts] += v;
      for (const [key, op] of pass.forget) {
        try {
          out.forgotten += await triggerStateFor(env, key).forget(op);
        } catch (err) {
          console.error(JSON.stringify({ level: "error", msg: "retention: forget failed", key, error: String(err) }));
        }
      }
      if (!pass.full) break;
    }
  }
  return out;
}
