import { eq } from "drizzle-orm";
import type { Ctx } from "../core/context";
import { conflict, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import { apps, workspaces } from "../db/schema";
import { inOrg } from "../db/scope";
import { assertRole } from "../core/actor";
import { gateOrg, openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";

export interface WorkspaceOut {
  workspace_id: string;
  org_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

type Row = typeof workspaces.$inferSelect;
const out = (r: Row): WorkspaceOut => ({ workspace_id: r.workspaceId, org_id: r.orgId, name: r.name, created_at: r.createdAt, updated_at: r.updatedAt });

/** Loads a workspace of `orgId`; 404 if it is not in that org. Does no role check. */
export async function findWorkspace(ctx: Ctx, orgId: string, workspaceId: string): Promise<Row> {
  const row = (await ctx.db.select().from(workspaces).where(inOrg(workspaces, orgId, eq(workspaces.workspaceId, workspaceId))).limit(1))[0];
  if (!row) throw notFound("workspace");
  return row;
}

/** Creates a workspace (editor+). */
export async function createWorkspace(ctx: Ctx, orgId: string, input: { name: string }): Promise<WorkspaceOut> {
  await openOrg(ctx, orgId, "editor");
  const t = nowIso();
  const row: Row = { workspaceId: uuidv7(), orgId, name: input.name, createdAt: t, updatedAt: t };
  await ctx.db.insert(workspaces).values(row);
  return out(row);
}

/** Lists the org's workspaces newest first (viewer+). */
export async function listWorkspaces(ctx: Ctx, orgId: string, page: PageIn): Promise<Page<WorkspaceOut>> {
  await openOrg(ctx, orgId, "viewer");
  return pageOf(ctx.db, workspaces, workspaces.workspaceId, inOrg(workspaces, orgId), page, out);
}

/** Reads one workspace (viewer+). */
export async function getWorkspace(ctx: Ctx, orgId: string, workspaceId: string): Promise<WorkspaceOut> {
  await gateOrg(ctx, orgId);
  const row = await findWorkspace(ctx, orgId, workspaceId);
  assertRole(ctx.actor, "viewer");
  return out(row);
}

/** Partial update (editor+): only the fields present change. */
export async function updateWorkspace(ctx: Ctx, orgId: string, workspaceId: string, patch: { name?: string }): Promise<WorkspaceOut> {
  await gateOrg(ctx, orgId);
  const row = await findWorkspace(ctx, orgId, workspaceId);
  assertRole(ctx.actor, "editor");
  const next: Row = { ...row, ...(patch.name !== undefined ? { name: patch.name } : {}), updatedAt: nowIso() };
  await ctx.db.update(workspaces).set({ name: next.name, updatedAt: next.updatedAt }).where(inOrg(workspaces, orgId, eq(workspaces.workspaceId, workspaceId)));
  return out(next);
}

/** Deletes an empty workspace (editor+); 409 while it still has apps. */
export async function deleteWorkspace(ctx: Ctx, orgId: string, workspaceId: string): Promise<void> {
  await gateOrg(ctx, orgId);
  await findWorkspace(ctx, orgId, workspaceId);
  assertRole(ctx.actor, "editor");
  const n = await ctx.db.$count(apps, inOrg(apps, orgId, eq(apps.workspaceId, workspaceId)));
  if (n > 0) throw conflict(`workspace still has ${n} app(s); delete them first`);
  await ctx.db.delete(workspaces).where(inOrg(workspaces, orgId, eq(workspaces.workspaceId, workspaceId)));
}
