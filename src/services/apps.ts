import { and, eq } from "drizzle-orm";
import type { Ctx } from "../core/context";
import { conflict, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import { actions, apps, endpoints, pipelines, triggers } from "../db/schema";
import { inOrg } from "../db/scope";
import { assertRole } from "../core/actor";
import { gateOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";
import { findWorkspace } from "./workspaces";

/** An app (the trigger and fleet documents' "project"); its id is globally unique. */
export interface AppOut {
  app_id: string;
  workspace_id: string;
  org_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

type Row = typeof apps.$inferSelect;
const out = (r: Row): AppOut => ({ app_id: r.appId, workspace_id: r.workspaceId, org_id: r.orgId, name: r.name, created_at: r.createdAt, updated_at: r.updatedAt });
const where = (orgId: string, workspaceId: string, appId: string) => inOrg(apps, orgId, and(eq(apps.workspaceId, workspaceId), eq(apps.appId, appId)));

/**
 * Loads an app that is in `orgId` AND in `workspaceId`; 404 otherwise (an app of another
 * workspace is not found under this one). Does no role check.
 */
export async function findApp(ctx: Ctx, orgId: string, workspaceId: string, appId: string): Promise<Row> {
  const row = (await ctx.db.select().from(apps).where(where(orgId, workspaceId, appId)).limit(1))[0];
  if (!row) throw notFound("app");
  return row;
}

/** Creates an app in a workspace of the org (editor+). */
export async function createApp(ctx: Ctx, orgId: string, workspaceId: string, input: { name: string }): Promise<AppOut> {
  await gateOrg(ctx, orgId);
  await findWorkspace(ctx, orgId, workspaceId);
  assertRole(ctx.actor, "editor");
  const t = nowIso();
  const row: Row = { appId: uuidv7(), orgId, workspaceId, name: input.name, createdAt: t, updatedAt: t };
  await ctx.db.insert(apps).values(row);
  return out(row);
}

/** Lists a workspace's apps newest first (viewer+). */
export async function listApps(ctx: Ctx, orgId: string, workspaceId: string, page: PageIn): Promise<Page<AppOut>> {
  await gateOrg(ctx, orgId);
  await findWorkspace(ctx, orgId, workspaceId);
  assertRole(ctx.actor, "viewer");
  return pageOf(ctx.db, apps, apps.appId, inOrg(apps, orgId, eq(apps.workspaceId, workspaceId)), page, out);
}

/** Reads one app (viewer+). */
export async function getApp(ctx: Ctx, orgId: string, workspaceId: string, appId: string): Promise<AppOut> {
  await gateOrg(ctx, orgId);
  const row = await findApp(ctx, orgId, workspaceId, appId);
  assertRole(ctx.actor, "viewer");
  return out(row);
}

/** Partial update (editor+). */
export async function updateApp(ctx: Ctx, orgId: string, workspaceId: string, appId: string, patch: { name?: string }): Promise<AppOut> {
  await gateOrg(ctx, orgId);
  const row = await findApp(ctx, orgId, workspaceId, appId);
  assertRole(ctx.actor, "editor");
  const next: Row = { ...row, ...(patch.name !== undefined ? { name: patch.name } : {}), updatedAt: nowIso() };
  await ctx.db.update(apps).set({ name: next.name, updatedAt: next.updatedAt }).where(where(orgId, workspaceId, appId));
  return out(next);
}

/** Deletes an app (editor+); 409 while endpoints, actions, triggers or pipelines remain in it. */
export async function deleteApp(ctx: Ctx, orgId: string, workspaceId: string, appId: string): Promise<void> {
  await gateOrg(ctx, orgId);
  await findApp(ctx, orgId, workspaceId, appId);
  assertRole(ctx.actor, "editor");
  const [e, a, t, p] = await Promise.all([
    ctx.db.$count(endpoints, inOrg(endpoints, orgId, eq(endpoints.appId, appId))),
    ctx.db.$count(actions, inOrg(actions, orgId, eq(actions.appId, appId))),
    ctx.db.$count(triggers, inOrg(triggers, orgId, eq(triggers.projectId, appId))),
    ctx.db.$count(pipelines, inOrg(pipelines, orgId, eq(pipelines.appId, appId))),
  ]);
  if (e + a + t + p > 0) {
    throw conflict(`app still has ${e} endpoint(s), ${a} action(s), ${t} trigger(s) and ${p} pipeline(s); delete them first`);
  }
  await ctx.db.delete(apps).where(where(orgId, workspaceId, appId));
}

/**
 * Where an app lives, from its id alone (ids are globally unique). Guarantees: the app is
 * in the actor's org (any org for the superuser), else the same 404 `app not found` for
 * foreign and unknown ids. No role check.
 */
export async function appScopeOf(ctx: Ctx, appId: string, loc?: (string | number)[]): Promise<{ orgId: string; workspaceId: string; appId: string }> {
  const byId = eq(apps.appId, appId);
  const row = (await ctx.db.select().from(apps).where(ctx.actor.orgId ? inOrg(apps, ctx.actor.orgId, byId) : byId).limit(1))[0];
  if (!row) throw notFound("app", loc);
  return { orgId: row.orgId, workspaceId: row.workspaceId, appId: row.appId };
}
