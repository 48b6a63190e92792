import { and, count, desc, eq, isNotNull, isNull } from "drizzle-orm";
import { assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { nextCronRun } from "../core/cron";
import { conflict, forbidden, invalid, notFound } from "../core/errors";
import { uuidv7 } from "../core/ids";
import { apps, connections, triggers } from "../db/schema";
import { inOrg } from "../db/scope";
import { getProviderTrigger, triggerSamples } from "../providers/catalog";
import { normalizeTriggerConfig } from "../providers/config";
import { connectionSecretProblem } from "../providers/registry";
import { openSecrets } from "./connection-secrets";
import { forgetCandidate } from "./trigger-cache";

export type TriggerRow = typeof triggers.$inferSelect;

/**
 * Most provider-routable wildcard triggers (webhook, with a connection, route_key unset) per
 * provider per org. Every wildcard is a candidate for every delivery of its provider, so the
 * cap bounds how many candidate slots one org can take from others.
 */
export const MAX_WILDCARD_TRIGGERS = 5;
/** Most provider-routable triggers per provider, route_key and org (same reason, for one key). */
export const MAX_TRIGGERS_PER_ROUTE_KEY = 10;
/** Polling providers whose poller sends the connection's credentials to the URL in trigger_config. */
const OUTBOUND_PROVIDERS = new Set(["http", "rss"]);
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
  const app = await findProject(ctx, projectId);
  assertRole(ctx.actor, "viewer");
  const rows = await ctx.db.select().from(triggers).where(inOrg(triggers, app.orgId, eq(triggers.projectId, app.appId))).orderBy(desc(triggers.projectTriggerId));
  return rows.map(toTriggerOut);
}

/**
 * Creates a DISABLED trigger. Order: the project (404 for another org's or a missing one, for
 * every role), then the role (editor+), then the catalog ids (422), the trigger_config (422 at
 * body.trigger_config.*) and the connection (same org and provider, and for a webhook provider
 * holding a secret the verifier can use, else 422 at body.connection_id naming the secret).
 * Attaching a connection to an outbound polling trigger (http, rss) needs admin (403): the
 * poller sends the connection's credentials to a URL the creator chooses, and only admins may
 * read connection secrets. Provider-routable webhook triggers (with a connection) are capped
 * per org: MAX_WILDCARD_TRIGGERS without a route_key, MAX_TRIGGERS_PER_ROUTE_KEY per key (409).
 * Webhook triggers get `webhook_data.webhook_url`.
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
  if (connectionId) await checkConnection(ctx, app.orgId, connectionId, input.provider_id, entry.trigger_type);
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
  if (row.triggerType === "webhook" && connectionId) await insertWithinCap(ctx, row);
  else await ctx.db.insert(triggers).values(row);
  return row;
}

/**
 * The connection a new trigger names: in the org and of the trigger's provider (422), holding
 * a secret the provider's verifier can use (422 naming it), and admin-only for outbound
 * polling providers (403).
 */
async function checkConnection(ctx: Ctx, orgId: string, connectionId: string, providerId: string, type: TriggerRow["triggerType"]): Promise<void> {
  const conn = (await ctx.db.select().from(connections).where(inOrg(connections, orgId, eq(connections.connectionId, connectionId))).limit(1))[0];
  if (!conn) throw invalid(["body", "connection_id"], "connection not found in this org", connectionId);
  if (conn.providerId !== providerId) throw invalid(["body", "connection_id"], `connection is for provider '${conn.providerId}', not '${providerId}'`, connectionId);
  if (type === "polling" && OUTBOUND_PROVIDERS.has(providerId) && ctx.actor.kind !== "superuser" && ctx.actor.role !== "admin") {
    throw forbidden(
      `role '${ctx.actor.role}' cannot attach a connection to a ${providerId} polling trigger; it needs 'admin': the poller sends the connection's credentials to the trigger's URL, and only admins may read connection secrets (create it without connection_id, or ask an admin)`,
    );
  }
  if (type !== "webhook") return;
  let secrets: Record<string, unknown>;
  try {
    secrets = await openSecrets(ctx.env.ENCRYPTION_KEY, conn.secretsEnc);
  } catch {
    throw invalid(["body", "connection_id"], "the connection's secrets cannot be decrypted (was ENCRYPTION_KEY changed?); an admin must save them again", connectionId);
  }
  const problem = connectionSecretProblem(providerId, secrets);
  if (problem) {
    throw invalid(["body", "connection_id"], `connection has no usable ${problem.secret} for ${providerId} deliveries: ${problem.msg}; an admin can set it with PUT /v1/orgs/${orgId}/connections/${connectionId}`, connectionId, {
      missing: problem.secret,
    });
  }
}

/**
 * Inserts a provider-routable webhook trigger and, in the same D1 batch (one transaction),
 * counts the routable triggers it competes with. Over the cap, the row is removed again and
 * a 409 explains the cap. The row is DISABLED, so it never received a delivery meanwhile; the
 * k-th committed insert sees count k, so concurrent creates never leave more than the cap.
 */
async function insertWithinCap(ctx: Ctx, row: TriggerRow): Promise<void> {
  const sameKey = row.routeKey === null ? isNull(triggers.routeKey) : eq(triggers.routeKey, row.routeKey);
  const cap = row.routeKey === null ? MAX_WILDCARD_TRIGGERS : MAX_TRIGGERS_PER_ROUTE_KEY;
  const [, counted] = await ctx.db.batch([
    ctx.db.insert(triggers).values(row),
    ctx.db
      .select({ n: count() })
      .from(triggers)
      .where(inOrg(triggers, row.orgId, eq(triggers.providerId, row.providerId), eq(triggers.triggerType, "webhook"), isNotNull(triggers.connectionId), sameKey)),
  ]);
  if ((counted[0]?.n ?? 0) <= cap) return;
  await ctx.db.delete(triggers).where(inOrg(triggers, row.orgId, eq(triggers.projectTriggerId, row.projectTriggerId)));
  throw conflict(
    row.routeKey === null
      ? `an org may have at most ${MAX_WILDCARD_TRIGGERS} ${row.providerId} triggers with a connection and no route_key (each one is checked against every ${row.providerId} delivery sent to /v1/webhooks/${row.providerId}); set route_key to the provider's id, or delete one`
      : `an org may have at most ${MAX_TRIGGERS_PER_ROUTE_KEY} ${row.providerId} triggers with a connection and route_key '${row.routeKey}'; delete one first`,
  );
}

/** One trigger. Viewer+. */
export async function getTrigger(ctx: Ctx, id: string): Promise<TriggerOut> {
  const row = await findTrigger(ctx, id);
  assertRole(ctx.actor, "viewer");
  return toTriggerOut(row);
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
  const row = await findTrigger(ctx, id);
  assertRole(ctx.actor, "viewer");
  return { samples: triggerSamples(row.providerId, row.triggerId) };
}
