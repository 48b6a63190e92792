import { count, desc, eq, lt, type SQL } from "drizzle-orm";
import { assertOrg, assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { notFound } from "../core/errors";
import { decodeCursor, toPage, type Page } from "../core/pagination";
import { inOrg } from "../db/scope";
import { runs } from "../db/schema";
import { getAction, type AppScope } from "./actions";
import type { RunRow } from "./executions";

export const RUN_STATUSES = ["pending", "pending_approval", "running", "success", "failed", "cancelled", "rejected"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * Lists the runs (attempts) of one action, newest first, optionally by status. The action
 * must belong to the path's app (404 otherwise); viewer role suffices.
 */
export async function listRuns(ctx: Ctx, s: AppScope, actionId: string, q: { status?: RunStatus; limit: number; cursor?: string }): Promise<Page<RunRow>> {
  await getAction(ctx, s, actionId);
  const after = decodeCursor(q.cursor);
  const where = (...more: (SQL | undefined)[]) => inOrg(runs, s.orgId, eq(runs.actionId, actionId), q.status ? eq(runs.status, q.status) : undefined, ...more);
  const [rows, [total]] = await ctx.db.batch([
    ctx.db.select().from(runs).where(where(after ? lt(runs.runId, after) : undefined)).orderBy(desc(runs.runId)).limit(q.limit + 1),
    ctx.db.select({ n: count() }).from(runs).where(where()),
  ]);
  return toPage(rows, q.limit, total?.n ?? 0, (r) => r.runId);
}

/** One run of one action (404 when it does not belong to that action or tenant). */
export async function getRun(ctx: Ctx, s: AppScope, actionId: string, runId: string): Promise<RunRow> {
  await getAction(ctx, s, actionId);
  const row = await ctx.db.select().from(runs).where(inOrg(runs, s.orgId, eq(runs.actionId, actionId), eq(runs.runId, runId))).get();
  if (!row) throw notFound("run");
  return row;
}

/**
 * One run by its id alone (viewer+), for faces that address runs without the action path.
 * Guarantees: a run of another org and an unknown id are the same 404 `run not found`;
 * the role is checked only after tenancy.
 */
export async function getRunById(ctx: Ctx, runId: string, loc?: (string | number)[]): Promise<RunRow> {
  const byId = eq(runs.runId, runId);
  const row = await ctx.db.select().from(runs).where(ctx.actor.orgId ? inOrg(runs, ctx.actor.orgId, byId) : byId).get();
  if (!row) throw notFound("run", loc);
  assertOrg(ctx.actor, row.orgId, "run");
  assertRole(ctx.actor, "viewer");
  return row;
}
