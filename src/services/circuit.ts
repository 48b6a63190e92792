import { and, asc, eq, inArray, lte, sql, type SQL } from "drizzle-orm";
import { DRAIN_BATCH, isEndpointFault, MAX_PROBE_INTERVAL_SECONDS, PROBE_STALE_SECONDS, type HeldReason } from "../core/circuit";
import { nowIso } from "../core/ids";
import { OVERDUE_GRACE_SECONDS, plusSeconds, SWEEP_LIMIT } from "../core/recovery";
import { getDb, type Db } from "../db/client";
import { actions, endpoints, runs } from "../db/schema";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { sendInChunks } from "../queue/send";
import { emitOperationalEvent } from "./operational";

type EndpointRow = typeof endpoints.$inferSelect;
/** What an attempt's outcome tells the circuit: success, or a failure with its code. */
export type AttemptResult = { ok: true } | { ok: false; code: string; message: string; status?: number };

const isoSql = (at: string, seconds: SQL) => sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${at}, '+' || (${seconds}) || ' seconds')`;
/** The runs of actions delivering to `endpointId` (of `orgId`). */
const ofEndpoint = (orgId: string, endpointId: string) =>
  sql`${runs.actionId} IN (SELECT a.action_id FROM actions a WHERE a.org_id = ${orgId} AND a.endpoint_id = ${endpointId})`;

/**
 * The D1 statement that records one attempt's outcome on its endpoint's health, for the
 * delivery's own batch, or null when the outcome says nothing about the endpoint. Guarantees:
 * - a failure that is the endpoint's (isEndpointFault) counts one consecutive failure and
 *   keeps the last failure's status and error; a success resets the streak (and writes no
 *   row at all when there was none, so the healthy path costs nothing);
 * - a closed, enabled circuit opens when the streak reaches `cb_failure_threshold` or the
 *   endpoint has failed everything for `cb_failing_for_seconds`; the probe run's failure
 *   re-opens a half-open circuit with the probe delay doubled; any success closes an open or
 *   half-open circuit; a disabled endpoint stays disabled;
 * - the UPDATE that made a change writes this run's id into `circuit_changed_by`, so exactly
 *   one caller sees it as its own transition (see `circuitTransition`).
 */
export function healthStatement(db: Db, ep: EndpointRow, runId: string, r: AttemptResult, at: string) {
  const where = and(eq(endpoints.orgId, ep.orgId), eq(endpoints.endpointId, ep.endpointId));
  const ret = { state: endpoints.circuitState, changedBy: endpoints.circuitChangedBy, reason: endpoints.circuitReason, failures: endpoints.consecutiveFailures, probeFailures: endpoints.probeFailures };
  if (r.ok) {
    const open = sql`circuit_state IN ('open', 'half_open')`;
    return db
      .update(endpoints)
      .set({
        consecutiveFailures: 0, failingSince: null, probeFailures: 0, probeRunId: null,
        nextProbeAt: sql`CASE WHEN ${open} THEN NULL ELSE next_probe_at END`,
        circuitState: sql`CASE WHEN ${open} THEN 'closed' ELSE circuit_state END`,
        circuitReason: sql`CASE WHEN ${open} THEN 'recovered: an attempt succeeded' ELSE circuit_reason END`,
        circuitChangedAt: sql`CASE WHEN ${open} THEN ${at} ELSE circuit_changed_at END`,
        circuitChangedBy: sql`CASE WHEN ${open} THEN ${runId} ELSE circuit_changed_by END`,
      })
      .where(and(where, sql`(consecutive_failures > 0 OR failing_since IS NOT NULL OR ${open})`))
      .returning(ret);
  }
  const fault = isEndpointFault(r.code);
  const isProbe = ep.probeRunId === runId;
  if (!fault && !isProbe) return null;
  const n = fault ? 1 : 0;
  const probeFailed = sql`(circuit_state = 'half_open' AND probe_run_id = ${runId})`;
  const opening = sql`(circuit_state = 'closed' AND cb_enabled = 1 AND ${n} = 1 AND (consecutive_failures + 1 >= cb_failure_threshold
    OR (failing_since IS NOT NULL AND failing_since <= strftime('%Y-%m-%dT%H:%M:%fZ', ${at}, '-' || cb_failing_for_seconds || ' seconds'))))`;
  const changes = sql`(${opening} OR ${probeFailed})`;
  const message = r.message.slice(0, 500);
  return db
    .update(endpoints)
    .set({
      consecutiveFailures: sql`consecutive_failures + ${n}`,
      failingSince: fault ? sql`coalesce(failing_since, ${at})` : sql`failing_since`,
      ...(fault ? { lastFailureAt: at, lastFailureStatus: r.status ?? null, lastFailureError: message } : {}),
      circuitState: sql`CASE WHEN ${changes} THEN 'open' ELSE circuit_state END`,
      circuitReason: sql`CASE WHEN ${opening} THEN 'opened after ' || (consecutive_failures + 1) || ' consecutive failed attempts; last: ' || ${message}
        WHEN ${probeFailed} THEN 'probe failed: ' || ${message} ELSE circuit_reason END`,
      circuitChangedAt: sql`CASE WHEN ${changes} THEN ${at} ELSE circuit_changed_at END`,
      circuitChangedBy: sql`CASE WHEN ${changes} THEN ${runId} ELSE circuit_changed_by END`,
      probeFailures: sql`CASE WHEN ${opening} THEN 0 WHEN ${probeFailed} THEN probe_failures + 1 ELSE probe_failures END`,
      probeRunId: sql`CASE WHEN ${probeFailed} THEN NULL ELSE probe_run_id END`,
      nextProbeAt: sql`CASE WHEN ${opening} THEN ${isoSql(at, sql`cb_probe_interval_seconds`)}
        WHEN ${probeFailed} THEN ${isoSql(at, sql`min(cb_probe_interval_seconds * (1 << min(probe_failures + 1, 16)), ${MAX_PROBE_INTERVAL_SECONDS})`)}
        ELSE next_probe_at END`,
    })
    .where(where)
    .returning(ret);
}

type Returned = { state: string; changedBy: string | null; reason: string | null; failures: number; probeFailures: number };

/**
 * Acts on what `healthStatement` returned, after its batch committed. Guarantees: only the
 * attempt that made the transition acts; an opening (not a failed probe) emits
 * `endpoint.disabled`; a closing emits `endpoint.recovered` and starts draining the held runs.
 */
export async function circuitTransition(db: Db, env: Env, ep: EndpointRow, runId: string, returned: Returned[] | undefined): Promise<void> {
  const row = returned?.[0];
  if (!row || row.changedBy !== runId) return;
  if (row.state === "open" && row.probeFailures === 0) {
    await emitOperationalEvent(db, env, "endpoint.disabled", ep, { reason: row.reason, circuit_state: "open", consecutive_failures: row.failures, by: "circuit_breaker" }, runId);
  } else if (row.state === "closed") {
    await emitOperationalEvent(db, env, "endpoint.recovered", ep, { reason: row.reason, circuit_state: "closed", by: "circuit_breaker" }, runId);
    await startDrain(env, ep.endpointId);
  }
}

/** Queues a drain of the endpoint's held runs; a refused queue is left to the minute cron (`superviseCircuits`). */
export async function startDrain(env: Env, endpointId: string): Promise<void> {
  await env.TASKS.send({ v: 1, kind: "endpoint.drain", endpoint_id: endpointId }).catch((err) =>
    console.error(JSON.stringify({ level: "error", msg: "endpoint.drain refused; the minute cron drains", endpoint_id: endpointId, error: String(err) })),
  );
}

/** The circuit-held reasons: runs held because the endpoint may not be called. */
const CIRCUIT_HELD: HeldReason[] = ["circuit_open", "endpoint_disabled"];

/**
 * Holds a `pending` run because its endpoint's circuit is open, half-open (for another run)
 * or disabled. Guarantees: guarded in one statement on the run being pending AND the
 * endpoint still not closed, so a run is never held after the circuit closed (the drain that
 * follows a closing therefore sees every run held before it); a held run has no lease, so
 * the sweeper leaves it alone. Returns whether the run was held.
 */
export async function holdForCircuit(db: Db, ep: EndpointRow, runId: string): Promise<boolean> {
  const reason: HeldReason = ep.circuitState === "disabled" ? "endpoint_disabled" : "circuit_open";
  const held = await db
    .update(runs)
    .set({ status: "held", heldReason: reason, leaseUntil: null })
    .where(
      and(
        eq(runs.runId, runId),
        eq(runs.status, "pending"),
        sql`EXISTS (SELECT 1 FROM endpoints e WHERE e.org_id = ${ep.orgId} AND e.endpoint_id = ${ep.endpointId}
          AND (e.circuit_state IN ('open', 'disabled') OR (e.circuit_state = 'half_open' AND coalesce(e.probe_run_id, '') <> ${runId})))`,
      ),
    )
    .returning({ runId: runs.runId });
  return held.length > 0;
}

/** Whether `ep`'s circuit keeps `runId` from being delivered now (the probe run of a half-open circuit passes). */
export function circuitBlocks(ep: EndpointRow, runId: string): boolean {
  return ep.circuitState === "open" || ep.circuitState === "disabled" || (ep.circuitState === "half_open" && ep.probeRunId !== runId);
}

/** Sets held runs back to `pending` (with a fresh overdue lease) and queues them, oldest first. */
async function release(db: Db, env: Env, where: SQL, limit: number): Promise<string[]> {
  const at = nowIso();
  const picked = db.select({ id: runs.runId }).from(runs).where(and(eq(runs.status, "held"), where)).orderBy(asc(runs.runId)).limit(limit);
  const released = await db
    .update(runs)
    .set({ status: "pending", heldReason: null, leaseUntil: plusSeconds(at, OVERDUE_GRACE_SECONDS) })
    .where(and(eq(runs.status, "held"), inArray(runs.runId, picked)))
    .returning({ runId: runs.runId });
  const ids = released.map((r) => r.runId).sort();
  // A lost send leaves the run pending with a lease: the sweeper delivers it.
  await sendInChunks(env.TASKS, ids.map((id): Task => ({ v: 1, kind: "run.deliver", run_id: id })), async (chunk, err) =>
    console.error(JSON.stringify({ level: "error", msg: "held runs released but not enqueued; the sweeper delivers them", runs: chunk.length, error: String(err) })),
  );
  return ids;
}

/**
 * Handles `endpoint.drain`: releases up to DRAIN_BATCH circuit-held runs of a closed
 * endpoint, oldest first, and queues the next step while more remain. Guarantees: nothing is
 * released while the circuit is not closed; each held run is released once (guarded on
 * `held`), so a duplicated drain does no double work; FIFO-held runs stay with FIFO.
 */
export async function handleEndpointDrain(env: Env, task: Extract<Task, { kind: "endpoint.drain" }>): Promise<void> {
  const db = getDb(env.DB);
  const ep = await db.select().from(endpoints).where(eq(endpoints.endpointId, task.endpoint_id)).get();
  if (!ep || ep.circuitState !== "closed") return;
  const ids = await release(db, env, and(ofEndpoint(ep.orgId, ep.endpointId), inArray(runs.heldReason, CIRCUIT_HELD))!, DRAIN_BATCH);
  if (ids.length === DRAIN_BATCH) await startDrain(env, ep.endpointId);
}

/**
 * The minute cron's circuit part. Guarantees, each bounded by SWEEP_LIMIT endpoints:
 * - an open circuit whose probe is due becomes half-open with its oldest held run released as
 *   the probe (one probe at a time; no held run: it stays open until a run arrives);
 * - a half-open circuit whose probe reached no outcome for PROBE_STALE_SECONDS opens again,
 *   probe due now;
 * - a closed endpoint that still has circuit-held runs is drained (a lost drain task).
 */
export async function superviseCircuits(env: Env, now: Date): Promise<{ probes: number; drains: number }> {
  const db = getDb(env.DB);
  const at = now.toISOString();
  const due = await db
    .select()
    .from(endpoints)
    .where(and(sql`circuit_state IN ('open', 'half_open')`, lte(endpoints.nextProbeAt, at)))
    .limit(SWEEP_LIMIT);
  let probes = 0;
  for (const ep of due) {
    if (ep.circuitState === "half_open") {
      if (!ep.circuitChangedAt || ep.circuitChangedAt > plusSeconds(at, -PROBE_STALE_SECONDS)) continue;
      const probe = ep.probeRunId ? await db.select({ status: runs.status }).from(runs).where(eq(runs.runId, ep.probeRunId)).get() : undefined;
      if (probe && ["pending", "running"].includes(probe.status)) continue;
      await db.update(endpoints).set({ circuitState: "open", probeRunId: null, nextProbeAt: at, circuitChangedAt: at, circuitChangedBy: "cron" })
        .where(and(eq(endpoints.endpointId, ep.endpointId), eq(endpoints.circuitState, "half_open"), eq(endpoints.circuitChangedAt, ep.circuitChangedAt)));
      continue;
    }
    const oldest = await db.select({ id: runs.runId }).from(runs)
      .where(and(eq(runs.status, "held"), ofEndpoint(ep.orgId, ep.endpointId), inArray(runs.heldReason, CIRCUIT_HELD))).orderBy(asc(runs.runId)).limit(1).get();
    if (!oldest) continue;
    const claimed = await db
      .update(endpoints)
      .set({ circuitState: "half_open", probeRunId: oldest.id, circuitChangedAt: at, circuitChangedBy: "cron", nextProbeAt: plusSeconds(at, PROBE_STALE_SECONDS) })
      .where(and(eq(endpoints.endpointId, ep.endpointId), eq(endpoints.circuitState, "open"), eq(endpoints.nextProbeAt, ep.nextProbeAt!)))
      .returning({ id: endpoints.endpointId });
    if (claimed.length === 0) continue;
    probes += (await release(db, env, eq(runs.runId, oldest.id), 1)).length;
  }
  const stranded = await db
    .selectDistinct({ endpointId: actions.endpointId })
    .from(runs)
    .innerJoin(actions, and(eq(actions.orgId, runs.orgId), eq(actions.actionId, runs.actionId)))
    .innerJoin(endpoints, and(eq(endpoints.orgId, actions.orgId), eq(endpoints.endpointId, actions.endpointId)))
    .where(and(eq(runs.status, "held"), inArray(runs.heldReason, CIRCUIT_HELD), eq(endpoints.circuitState, "closed")))
    .limit(SWEEP_LIMIT);
  for (const s of stranded) await startDrain(env, s.endpointId);
  return { probes, drains: stranded.length };
}

/**
 * Releases the FIFO-held runs of `ep` that are now at the head of their key: those with no
 * older open run (pending, running or held) of the same key, or of an unknown key. Guarantees:
 * exactly the heads are released (a held run behind another held one stays held), each once;
 * safe to call at any time (after every completion on a FIFO endpoint, and from the cron).
 */
export async function releaseFifoHeads(db: Db, env: Env, ep: Pick<EndpointRow, "orgId" | "endpointId">): Promise<string[]> {
  return release(db, env, and(ofEndpoint(ep.orgId, ep.endpointId), eq(runs.heldReason, "fifo"), sql`NOT ${olderOpen(ep.orgId, ep.endpointId, sql`runs.execution_id`, sql`runs.order_key`)}`)!, DRAIN_BATCH);
}

/**
 * SQL: an unfinished run (pending, running or held) of the same endpoint whose execution is
 * older than `execution` and whose FIFO key is the same or not yet known. D1 runs one
 * statement at a time, so a claim guarded by `NOT olderOpen` can never pass two runs of one
 * key at once: that statement is the FIFO's serialisation point.
 */
export function olderOpen(orgId: string, endpointId: string, execution: SQL | string, key: SQL | string) {
  return sql`EXISTS (SELECT 1 FROM runs o WHERE o.org_id = ${orgId} AND o.status IN ('pending', 'running', 'held')
    AND o.action_id IN (SELECT a.action_id FROM actions a WHERE a.org_id = ${orgId} AND a.endpoint_id = ${endpointId})
    AND o.execution_id < ${execution} AND (o.order_key IS NULL OR o.order_key = ${key}))`;
}

/** The minute cron's FIFO part: releases the heads of every FIFO endpoint that has held runs (a completion's release that was lost). */
export async function superviseFifo(env: Env): Promise<number> {
  const db = getDb(env.DB);
  const eps = await db
    .selectDistinct({ orgId: actions.orgId, endpointId: actions.endpointId })
    .from(runs)
    .innerJoin(actions, and(eq(actions.orgId, runs.orgId), eq(actions.actionId, runs.actionId)))
    .where(and(eq(runs.status, "held"), eq(runs.heldReason, "fifo")))
    .limit(SWEEP_LIMIT);
  let n = 0;
  for (const ep of eps) n += (await releaseFifoHeads(db, env, ep)).length;
  return n;
}
