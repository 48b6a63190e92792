import type { Ctx } from "../core/context";
import { nowIso } from "../core/ids";
import { policyOf } from "../core/retention";
import { orgs } from "../db/schema";
import { inOrg } from "../db/scope";
import { openOrg } from "./orgs";

type OrgRow = typeof orgs.$inferSelect;

/** What retention has purged in one org so far (counters kept on the org row). */
export interface PurgedOut {
  events: number;
  executions: number;
  runs: number;
  bodies: number;
  last_purge_at: string | null;
}

export interface RetentionOut {
  org_id: string;
  /** The days in force: the override, else EVENT_RETENTION_DAYS. */
  retention_days: number;
  /** The org's own value, or null when it follows the deployment default. */
  override_days: number | null;
  default_days: number;
  large_body_retention_days: number;
  large_body_bytes: number;
  purged: PurgedOut;
}

/** The org's purge counters, as the metrics API and the retention route show them. */
export const purgedOf = (r: OrgRow): PurgedOut => ({ events: r.purgedEvents, executions: r.purgedExecutions, runs: r.purgedRuns, bodies: r.purgedBodies, last_purge_at: r.lastPurgeAt });

function out(ctx: Ctx, r: OrgRow): RetentionOut {
  const p = policyOf(ctx.env, r.retentionDays);
  return {
    org_id: r.orgId, retention_days: p.days, override_days: r.retentionDays, default_days: policyOf(ctx.env, null).days,
    large_body_retention_days: p.largeBodyDays, large_body_bytes: p.largeBodyBytes, purged: purgedOf(r),
  };
}

/** The org's retention settings and purge counters (viewer+; another org is 404). */
export async function getRetention(ctx: Ctx, orgId: string): Promise<RetentionOut> {
  return out(ctx, await openOrg(ctx, orgId, "viewer"));
}

/**
 * Sets (or, with null, clears) the org's retention override (admin; another org is 404 before
 * the role is checked). Takes effect at the next minute cron; shortening it purges the
 * newly expired final records there, in bounded passes.
 */
export async function setRetention(ctx: Ctx, orgId: string, input: { retention_days: number | null }): Promise<RetentionOut> {
  const row = await openOrg(ctx, orgId, "admin");
  const next = { ...row, retentionDays: input.retention_days, updatedAt: nowIso() };
  await ctx.db.update(orgs).set({ retentionDays: next.retentionDays, updatedAt: next.updatedAt }).where(inOrg(orgs, orgId));
  return out(ctx, next);
}
