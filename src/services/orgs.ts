import { assertOrg, assertRole, type Role } from "../core/actor";
import type { Ctx } from "../core/context";
import { forbidden, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import * as schema from "../db/schema";
import { orgs } from "../db/schema";
import { inOrg } from "../db/scope";
import { pageOf, type PageIn } from "./paging";

export interface OrgOut {
  org_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

type OrgRow = typeof orgs.$inferSelect;
const out = (r: Pick<OrgRow, "orgId" | "name" | "createdAt" | "updatedAt">): OrgOut => ({ org_id: r.orgId, name: r.name, created_at: r.createdAt, updated_at: r.updatedAt });

/**
 * The tenancy gate of every org-scoped verb, with no role check: the actor must belong to
 * `orgId` and the org must exist (the superuser may name any id); anything else is the same
 * 404, so another tenant's ids reveal nothing. A verb aimed at a child resource calls this,
 * then loads the child (404), and only then checks the role (403 only on the caller's own,
 * existing resources). Returns the org row.
 */
export async function gateOrg(ctx: Ctx, orgId: string): Promise<OrgRow> {
  assertOrg(ctx.actor, orgId);
  const row = (await ctx.db.select().from(orgs).where(inOrg(orgs, orgId)).limit(1))[0];
  if (!row) throw notFound("org");
  return row;
}

/**
 * `gateOrg`, then the role: for verbs whose target is the org itself (read or rename it, list
 * or create directly under it). 404 for another org or a nonexistent one, 403 only after that.
 */
export async function openOrg(ctx: Ctx, orgId: string, min: Role): Promise<OrgRow> {
  const row = await gateOrg(ctx, orgId);
  assertRole(ctx.actor, min);
  return row;
}

/** Creates an org. Superuser only (403 for org tokens). */
export async function createOrg(ctx: Ctx, input: { name: string }): Promise<OrgOut> {
  if (ctx.actor.kind !== "superuser") throw forbidden("only the operator (ADMIN_TOKEN) can create orgs");
  const t = nowIso();
  const row = { orgId: uuidv7(), name: input.name, createdAt: t, updatedAt: t };
  await ctx.db.insert(orgs).values(row);
  return out(row);
}

/** Lists orgs: every org for the superuser, only its own org for an org token. */
export async function listOrgs(ctx: Ctx, page: PageIn): Promise<Page<OrgOut>> {
  // The org table is the tenant root: the superuser's listing is the one unscoped query.
  const where = ctx.actor.kind === "superuser" ? undefined : inOrg(orgs, ctx.actor.orgId ?? "");
  return pageOf(ctx.db, orgs, orgs.orgId, where, page, out);
}

/** Reads one org (viewer+ of that org). */
export async function getOrg(ctx: Ctx, orgId: string): Promise<OrgOut> {
  return out(await openOrg(ctx, orgId, "viewer"));
}

/** Renames an org (admin of that org, or the superuser). */
export async function updateOrg(ctx: Ctx, orgId: string, patch: { name?: string }): Promise<OrgOut> {
  const row = await openOrg(ctx, orgId, "admin");
  if (patch.name === undefined) return out(row);
  const next = { ...row, name: patch.name, updatedAt: nowIso() };
  await ctx.db.update(orgs).set({ name: next.name, updatedAt: next.updatedAt }).where(inOrg(orgs, orgId));
  return out(next);
}

/** Tables whose rows belong to an org and go when it is deleted (the audit log stays). */
const TENANT_TABLES = [
  schema.workspaces, schema.apps, schema.endpoints, schema.apiKeys, schema.users, schema.connections,
  schema.triggers, schema.events, schema.actions, schema.executions, schema.runs, schema.pipelines,
  schema.pipelineRuns, schema.eventForwards, schema.jobs,
] as const;

/**
 * Deletes an org and, atomically, every row it owns (keys stop working at once). The audit
 * log is append-only and keeps its rows. Superuser only: an org token gets 403 for its own
 * org and 404 for any other.
 */
export async function deleteOrg(ctx: Ctx, orgId: string): Promise<void> {
  await gateOrg(ctx, orgId);
  if (ctx.actor.kind !== "superuser") throw forbidden("only the operator (ADMIN_TOKEN) can delete orgs");
  const [first, ...rest] = TENANT_TABLES.map((t) => ctx.db.delete(t).where(inOrg(t, orgId)));
  await ctx.db.batch([first!, ...rest, ctx.db.delete(orgs).where(inOrg(orgs, orgId))]);
}
