import { and, eq, sql } from "drizzle-orm";
import { nowIso } from "../core/ids";
import { LEASE_MARGIN_SECONDS, leaseSeconds, MAX_TIMEOUT_SECONDS, OVERDUE_GRACE_SECONDS, plusSeconds } from "../core/recovery";
import { renderBudget, renderString, type TemplateContext } from "../core/templates";
import type { Db } from "../db/client";
import { endpoints, runs } from "../db/schema";
import { endpointGateFor } from "../durable/client";
import type { GateDecision, GateLimits, Released } from "../durable/endpoint-gate";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { circuitBlocks, holdForCircuit, olderOpen } from "./circuit";
import type { ActionRow, RunRow } from "./executions";

type EndpointRow = typeof endpoints.$inferSelect;

/** What the gates decided for one pending run: deliver it (claimed), or it waits (held or deferred) and this task is done. */
export type GateOutcome = { claimed: RunRow; slot: boolean } | { claimed: null };

/** The endpoint's limits as its gate object takes them, or null when it has none (no object is called). */
export function limitsOf(ep: EndpointRow): GateLimits | null {
  if (!ep.rateLimitCount && !ep.maxConcurrency) return null;
  return {
    rate: ep.rateLimitCount && ep.rateLimitPeriod ? { count: ep.rateLimitCount, periodMs: ep.rateLimitPeriod === "minute" ? 60_000 : 1_000 } : null,
    maxConcurrency: ep.maxConcurrency,
    leaseMs: leaseSeconds(ep.timeoutSeconds) * 1000,
  };
}

/**
 * The FIFO key of a run: its thread id when the action uses a thread (fixed, templated, or
 * given by the caller), else "" (the endpoint is one queue). A thread template that cannot be
 * rendered gives "" (the attempt then fails with the template error, in order).
 */
export async function fifoKey(action: ActionRow, run: RunRow, ctx: () => TemplateContext): Promise<string> {
  if (run.orderKey !== null) return run.orderKey;
  if (run.resolvedThreadId) return run.resolvedThreadId;
  if (action.threadMode === "fixed" && action.threadId) return action.threadId;
  if (action.threadMode === "template" && action.threadIdTemplate) {
    try {
      return (await renderString(action.threadIdTemplate, ctx(), ["thread_id_template"], renderBudget())).trim();
    } catch {
      return "";
    }
  }
  return "";
}

/**
 * The claim's lease: the run's endpoint timeout (capped at 120 s; 120 s when the endpoint is
 * gone) plus LEASE_MARGIN_SECONDS, computed in the claiming UPDATE itself.
 */
const claimLease = (started: string) =>
  sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${started}, '+' || (min(coalesce((SELECT e.timeout_seconds FROM actions a JOIN endpoints e ON e.endpoint_id = a.endpoint_id AND e.org_id = a.org_id WHERE a.action_id = runs.action_id AND a.org_id = runs.org_id), ${MAX_TIMEOUT_SECONDS}), ${MAX_TIMEOUT_SECONDS}) + ${LEASE_MARGIN_SECONDS}) || ' seconds')`;

/**
 * Claims a pending run `pending → running` with its lease, in one guarded UPDATE: only a
 * `pending` run (a redelivered task does nothing), and for a FIFO run only while no older run
 * of its key is unfinished (that statement is the key's serialisation point).
 */
async function claim(db: Db, run: RunRow, fifo: { ep: EndpointRow; key: string } | null): Promise<RunRow | null> {
  const started = nowIso();
  const claimed = await db
    .update(runs)
    .set({ status: "running", startedAt: started, leaseUntil: claimLease(started), ...(fifo ? { orderKey: fifo.key } : {}) })
    .where(and(eq(runs.runId, run.runId), eq(runs.status, "pending"), fifo ? sql`NOT ${olderOpen(fifo.ep.orgId, fifo.ep.endpointId, run.executionId, fifo.key)}` : undefined))
    .returning()
    .get();
  return claimed ?? null;
}

/** Holds a FIFO run behind the unfinished older run of its key; guarded on that run still existing (else the caller claims again). */
async function holdForFifo(db: Db, run: RunRow, ep: EndpointRow, key: string): Promise<boolean> {
  const held = await db
    .update(runs)
    .set({ status: "held", heldReason: "fifo", orderKey: key, leaseUntil: null })
    .where(and(eq(runs.runId, run.runId), eq(runs.status, "pending"), olderOpen(ep.orgId, ep.endpointId, run.executionId, key)))
    .returning({ runId: runs.runId });
  return held.length > 0;
}

/** Puts a run back to sleep for `delayMs` (rate limit, concurrency): its lease moves past the wait, so the sweeper does not count it lost. */
async function defer(db: Db, env: Env, run: RunRow, delayMs: number): Promise<void> {
  const seconds = Math.max(1, Math.ceil(delayMs / 1000));
  await db.update(runs).set({ leaseUntil: plusSeconds(nowIso(), seconds + OVERDUE_GRACE_SECONDS) }).where(and(eq(runs.runId, run.runId), eq(runs.status, "pending")));
  // A refused send leaves the run pending with its lease: the sweeper delivers it.
  await env.TASKS.send({ v: 1, kind: "run.deliver", run_id: run.runId }, { delaySeconds: seconds }).catch((err) =>
    console.error(JSON.stringify({ level: "error", msg: "deferred delivery not enqueued; the sweeper delivers it", run_id: run.runId, error: String(err) })),
  );
}

/**
 * Every gate between a pending run and its endpoint, in order, then the claim. Guarantees:
 * - circuit: a run to an open, half-open (unless it is the probe) or disabled endpoint is
 *   held, not attempted and not failed;
 * - rate limit and concurrency: asked of the endpoint's own object, only when it has limits;
 *   a run over a limit is re-queued after the wait it was told, never dropped or failed;
 * - FIFO: the run is claimed only if no older run of its key is unfinished; otherwise it is
 *   held (`fifo`) until the older one is final (`releaseFifoHeads`);
 * - a concurrency slot taken for a run that then could not be claimed is given back.
 */
export async function passGates(db: Db, env: Env, run: RunRow, ep: EndpointRow | null, action: ActionRow | null, ctx: () => TemplateContext): Promise<GateOutcome> {
  if (!ep || !action) return { claimed: await claim(db, run, null), slot: false };
  if (circuitBlocks(ep, run.runId) && (await holdForCircuit(db, ep, run.runId))) return { claimed: null };
  const limits = limitsOf(ep);
  let slot = false;
  if (limits) {
    const d = (await endpointGateFor(env, ep.endpointId).gate({ op: "admit", runId: run.runId, limits })) as GateDecision;
    if (!d.admitted) {
      await defer(db, env, run, d.delayMs);
      return { claimed: null };
    }
    slot = d.fresh;
  }
  const fifo = ep.ordering === "fifo" ? { ep, key: await fifoKey(action, run, ctx) } : null;
  for (let tries = 0; tries < 3; tries++) {
    const claimed = await claim(db, run, fifo);
    if (claimed) return { claimed, slot };
    if (!fifo || (await holdForFifo(db, run, ep, fifo.key))) break;
  }
  if (slot) await releaseSlot(env, ep, run.runId);
  return { claimed: null };
}

/** Gives the run's concurrency slot back to the endpoint's object and wakes the runs that waited for one. Never throws. */
export async function releaseSlot(env: Env, ep: EndpointRow, runId: string): Promise<void> {
  const limits = limitsOf(ep);
  if (!limits?.maxConcurrency) return;
  try {
    const { wake } = (await endpointGateFor(env, ep.endpointId).gate({ op: "release", runId, limits })) as Released;
    if (wake.length) await env.TASKS.sendBatch(wake.map((id): { body: Task } => ({ body: { v: 1, kind: "run.deliver", run_id: id } })));
  } catch (err) {
    // The slot frees itself when its lease runs out, and waiting runs ask again on their own.
    console.error(JSON.stringify({ level: "error", msg: "concurrency slot release failed", run_id: runId, error: String(err) }));
  }
}
