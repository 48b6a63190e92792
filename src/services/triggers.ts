import { and, desc, eq } from "drizzle-orm";
import { assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { nextCronRun } from "../core/cron";
import { invalid, notFound } from "../core/errors";
import { uuidv7 } from "../core/ids";
import { apps, connections, triggers } from "../db/schema";
import { inOrg } from "../db/scope";
import { getProviderTrigger, triggerSamples } from "../providers/catalog";
import { normalizeTriggerConfig } from "../providers/config";
import { forgetCandidate } from "./trigger-cache";

export type TriggerRow = typeof triggers.$inferSelect;
type Json = Record<string, unknown>;

/** The documented Trigger shape (seed 001), nothing more. */
export interface TriggerOut {
  project_trigger_id: string;
  project_id: string;
  connection_id: string | null;
  provider_id: string;
  trigger_id: string;
  webhook_data: Json | null;
  cursor_data: Json | null;
  trigger_config: Json | null;
  status: "ENABLED" | "DISABLED";
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string | null;
}

/** Create body: the documented fields plus optional trigger_config, webhook_data and route_key. */
export interface TriggerIn {
  provider_id: string;
  trigger_id: string;
  connection_id?: string | null;
  trigger_config?: Json | null;
  webhook_data?: Json | null;
  route_key?: string | null;
}

/** Maps a row to the documented response shape. */
export function toTriggerOut(r: TriggerRow): TriggerOut {
  return {
    project_trigger_id: r.projectTriggerId,
    project_id: r.projectId,
    connection_id: r.connectionId,
    provider_id: r.providerId,
    trigger_id: r.triggerId,
    webhook_data: r.webhookData ?? null,
    cursor_data: r.cursorData ?? null,
    trigger_config: r.triggerConfig ?? null,
    status: r.status,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    created_by: r.createdBy,
    updated_by: r.updatedBy,
  };
}

/** The app addressed as `project_id`: in the actor's org (any org for the superuser), else 404. */
async function findProject(ctx: Ctx, projectId: string) {
  const byId = eq(apps.appId, projectId);
  const where = ctx.actor.orgId ? inOrg(apps, ctx.actor.orgId, byId) : byId;
  const app = (await ctx.db.select().from(apps).where(where).limit(1))[0];
  if (!app) throw notFound("project");
  return app;
}

/** A trigger in the actor's org (any org for the superuser), else 404. */
export async function findTrigger(ctx: Ctx, id: string): Promise<TriggerRow> {
  const byId = eq(triggers.projectTriggerId, id);
  const where = ctx.actor.orgId ? inOrg(triggers, ctx.actor.orgId, byId) : byId;
  const row = (await ctx.db.select().from(triggers).where(where).limit(1))[0];
  if (!row) throw notFound("trigger");
  return row;
}

/** When the minute cron should next look at a trigger that becomes ENABLED at `now`. */
function nextDue(row: Pick<TriggerRow, "triggerType" | "triggerConfig">, now: Date): string | null {
  if (row.triggerType === "polling") return now.toISOString();
  if (row.triggerType === "scheduled") {
    const cfg = row.triggerConfig ?? {};
    return nextCronRun(String(cfg.cron), String(cfg.timezone ?? "UTC"), now);
  }
  return null;
}

/** Triggers of one project, newest first. Viewer+. */
export async function listProjectTriggers(ctx: Ctx, projectId: string): Promise<TriggerOut[]> {
  assertRole(ctx.actor, "viewer");
  const app = await findProject(ctx, projectId);
  const rows = await ctx.db.select().from(triggers).where(inOrg(triggers, app.orgId, eq(triggers.projectId, app.appId))).orderBy(desc(triggers.projectTriggerId));
  return rows.map(toTriggerOut);
}

/**
 * Creates a DISABLED trigger after checking the catalog ids (422), the connection (same org
 * and provider, else 422) and the trigger_config (422 with loc body.trigger_config.*).
 * Webhook triggers get `webhook_data.webhook_url`. Editor+.
 */
export async function createTrigger(ctx: Ctx, projectId: string, input: TriggerIn): Promise<TriggerRow> {
  const app = await findProject(ctx, projectId);
  assertRole(ctx.actor, "editor");
  const entry = getProviderTrigger(input.provider_id, input.trigger_id);
  if (!entry) {
    const known = getProviderTrigger(input.provider_id, "on_any_event") ?? getProviderTrigger(input.provider_id, "poll") ?? getProviderTrigger(input.provider_id, "cron");
    throw known
      ? invalid(["body", "trigger_id"], `provider '${input.provider_id}' has no trigger '${input.trigger_id}'; see GET /providers/${input.provider_id}/triggers`, input.trigger_id)
      : invalid(["body", "provider_id"], `unknown provider '${input.provider_id}'`, input.provider_id);
  }
  const config = normalizeTriggerConfig(input.provider_id, input.trigger_id, input.trigger_config);
  const connectionId = input.connection_id ?? null;
  if (connectionId) {
    const conn = (await ctx.db.select({ providerId: connections.providerId }).from(connections).where(inOrg(connections, app.orgId, eq(connections.connectionId, connectionId))).limit(1))[0];
    if (!conn) throw invalid(["body", "connection_id"], "connection not found in this org", connectionId);
    if (conn.providerId !== input.provider_id) {
      throw invalid(["body", "connection_id"], `connection is for provider '${conn.providerId}', not '${input.provider_id}'`, connectionId);
    }
  }
  const id = uuidv7();
  const now = new Date();
  const t = now.toISOString();
  const routeKey = input.route_key ?? null;
  const webhookData =
    entry.trigger_type === "webhook"
      ? { ...(input.webhook_data ?? {}), webhook_url: `/v1/webhooks/${id}`, ...(routeKey ? { route_key: routeKey } : {}) }
      : (input.webhook_data ?? null);
  const row: TriggerRow = {
    projectTriggerId: id,
    orgId: app.orgId,
    projectId: app.appId,
    connectionId,
    providerId: input.provider_id,
    triggerId: input.trigger_id,
    triggerType: entry.trigger_type,
    webhookData,
    cursorData: null,
    triggerConfig: config,
    status: "DISABLED",
    routeKey,
    nextDueAt: null,
    claimedDueAt: null,
    claimedAt: null,
    lastError: null,
    lastPolledAt: null,
    createdBy: ctx.actor.id,
    updatedBy: ctx.actor.id,
    createdAt: t,
    updatedAt: t,
  };
  row.nextDueAt = nextDue(row, now);
  await ctx.db.insert(triggers).values(row);
  return row;
}

/** One trigger. Viewer+. */
export async function getTrigger(ctx: Ctx, id: string): Promise<TriggerOut> {
  assertRole(ctx.actor, "viewer");
  return toTriggerOut(await findTrigger(ctx, id));
}

/** Deletes a trigger (its stored events stay, for history and replay). Editor+. */
export async function deleteTrigger(ctx: Ctx, id: string): Promise<TriggerRow> {
  const row = await findTrigger(ctx, id);
  assertRole(ctx.actor, "editor");
  await ctx.db.delete(triggers).where(inOrg(triggers, row.orgId, eq(triggers.projectTriggerId, id)));
  forgetCandidate(id);
  return row;
}

/**
 * Sets ENABLED / DISABLED. Enabling sets `next_due_at` (polling: now; scheduled: the next
 * cron slot); disabling clears it. Editor+.
 */
export async function setTriggerStatus(ctx: Ctx, id: string, status: "ENABLED" | "DISABLED"): Promise<TriggerRow> {
  const row = await findTrigger(ctx, id);
  assertRole(ctx.actor, "editor");
  const now = new Date();
  const patch = { status, nextDueAt: status === "ENABLED" ? nextDue(row, now) : null, updatedAt: now.toISOString(), updatedBy: ctx.actor.id };
  await ctx.db.update(triggers).set(patch).where(inOrg(triggers, row.orgId, eq(triggers.projectTriggerId, id)));
  forgetCandidate(id);
  return { ...row, ...patch };
}

/**
 * Every trigger of the org with its project's name, newest first. The superuser, who has no
 * org, must name one with `orgId`. Viewer+.
 */
export async function listOrgTriggers(ctx: Ctx, orgId?: string): Promise<(TriggerOut & { project_name: string | null })[]> {
  assertRole(ctx.actor, "viewer");
  const org = ctx.actor.orgId ?? orgId;
  if (!org) throw invalid(["query", "org_id"], "the superuser has no org: pass ?org_id=<org id>");
  const rows = await ctx.db
    .select({ t: triggers, name: apps.name })
    .from(triggers)
    .leftJoin(apps, and(eq(apps.appId, triggers.projectId), eq(apps.orgId, triggers.orgId)))
    .where(inOrg(triggers, org))
    .orderBy(desc(triggers.projectTriggerId));
  return rows.map((r) => ({ ...toTriggerOut(r.t), project_name: r.name ?? null }));
}

/** The catalog samples of the trigger's provider trigger. Viewer+. */
export async function getTestSamples(ctx: Ctx, id: string): Promise<{ samples: Json[] }> {
  assertRole(ctx.actor, "viewer");
  const row = await findTrigger(ctx, id);
  return { samples: triggerSamples(row.providerId, row.triggerId) };
}
