import { count, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { assertOrg, assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { cronProblem } from "../core/cron";
import { conflict, invalid, notFound } from "../core/errors";
import { filterProblem } from "../core/filter";
import { uuidv7 } from "../core/ids";
import { decodeCursor, toPage, type Page } from "../core/pagination";
import { templateProblem } from "../core/templates";
import { inOrg } from "../db/scope";
import { actions, apps, endpoints, triggers } from "../db/schema";
import { inputsSchemaProblem, startExecution, type ActionRow, type StartedExecution } from "./executions";
import { openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";
import { computeNextRunAt } from "./schedules";

/** Where an action lives: the path's org / workspace / app. */
export interface AppScope {
  orgId: string;
  workspaceId: string;
  appId: string;
}

/** The writable fields (create: name, endpoint_id, namespace_id required; update: any subset). */
export interface ActionFields {
  name?: string;
  description?: string | null;
  endpoint_id?: string;
  namespace_id?: string;
  thread_mode?: "new_each_run" | "fixed" | "template";
  thread_id?: string | null;
  thread_id_template?: string | null;
  payload?: unknown;
  action_type?: "trigger" | "scheduled";
  schedule_type?: "cron" | "once" | null;
  cron_expression?: string | null;
  scheduled_at?: string | null;
  timezone?: string | null;
  max_retries?: number;
  retry_delay_seconds?: number;
  is_enabled?: boolean;
  trigger_ids?: string[];
  filter?: unknown;
  approval_required?: boolean;
  manual_inputs_schema?: unknown;
  headers_template?: Record<string, string> | null;
  entity_type?: string | null;
  owner?: unknown;
}

/** Checks the actor may see the org and that the workspace/app exist in it (404 otherwise). No role check. */
async function assertScope(ctx: Ctx, s: AppScope): Promise<void> {
  assertOrg(ctx.actor, s.orgId, "app");
  const app = await ctx.db.select({ id: apps.appId }).from(apps).where(inOrg(apps, s.orgId, eq(apps.appId, s.appId), eq(apps.workspaceId, s.workspaceId))).get();
  if (!app) throw notFound("app");
}

const where = (s: AppScope, ...more: (SQL | undefined)[]) => inOrg(actions, s.orgId, eq(actions.workspaceId, s.workspaceId), eq(actions.appId, s.appId), ...more);

async function loadAction(ctx: Ctx, s: AppScope, actionId: string): Promise<ActionRow> {
  const row = await ctx.db.select().from(actions).where(where(s, eq(actions.actionId, actionId))).get();
  if (!row) throw notFound("action");
  return row;
}

/**
 * Validates a merged action (what it will look like after the write). Throws a 422 naming
 * the body field. `scheduleChanged` makes a `once` time in the past an error.
 */
async function validate(ctx: Ctx, s: AppScope, a: ActionRow, scheduleChanged: boolean, now: Date): Promise<void> {
  const ep = await ctx.db.select({ id: endpoints.endpointId }).from(endpoints).where(inOrg(endpoints, s.orgId, eq(endpoints.endpointId, a.endpointId), eq(endpoints.appId, s.appId))).get();
  if (!ep) throw invalid(["body", "endpoint_id"], "endpoint_id must name an endpoint of the same app", a.endpointId);
  if (a.triggerIds.length) {
    const ids = JSON.stringify(a.triggerIds);
    const found = await ctx.db
      .select({ id: triggers.projectTriggerId })
      .from(triggers)
      .where(inOrg(triggers, s.orgId, eq(triggers.projectId, s.appId), sql`${triggers.projectTriggerId} IN (SELECT value FROM json_each(${ids}))`));
    const known = new Set(found.map((f) => f.id));
    const i = a.triggerIds.findIndex((t) => !known.has(t));
    if (i >= 0) throw invalid(["body", "trigger_ids", i], "trigger_ids must name triggers of the same app (project)", a.triggerIds[i]);
  }
  if (a.threadMode === "fixed" && !a.threadId) throw invalid(["body", "thread_id"], "thread_mode 'fixed' requires thread_id");
  if (a.threadMode === "template" && !a.threadIdTemplate) throw invalid(["body", "thread_id_template"], "thread_mode 'template' requires thread_id_template");
  if (a.actionType === "scheduled" && !a.scheduleType) throw invalid(["body", "schedule_type"], "action_type 'scheduled' requires schedule_type 'cron' or 'once'");
  if (a.timezone) {
    const p = cronProblem("* * * * *", a.timezone);
    if (p) throw invalid(["body", "timezone"], p, a.timezone);
  }
  if (a.scheduleType === "cron") {
    if (!a.cronExpression) throw invalid(["body", "cron_expression"], "schedule_type 'cron' requires cron_expression");
    const p = cronProblem(a.cronExpression, a.timezone ?? "UTC");
    if (p) throw invalid(["body", "cron_expression"], p, a.cronExpression);
  }
  if (a.scheduleType === "once") {
    if (!a.scheduledAt) throw invalid(["body", "scheduled_at"], "schedule_type 'once' requires scheduled_at");
    if (scheduleChanged && new Date(a.scheduledAt).getTime() <= now.getTime()) throw invalid(["body", "scheduled_at"], "scheduled_at must be in the future", a.scheduledAt);
  }
  const checks: [string, unknown][] = [["payload", a.payload], ["headers_template", a.headersTemplate], ["thread_id_template", a.threadIdTemplate]];
  for (const [field, value] of checks) {
    const p = value === null || value === undefined ? null : templateProblem(value);
    if (p) throw invalid(["body", field, ...p.path], p.msg);
  }
  if (a.filter !== null && a.filter !== undefined) {
    const p = filterProblem(a.filter);
    if (p) throw invalid(["body", "filter", ...p.path], p.msg);
  }
  if (a.manualInputsSchema !== null && a.manualInputsSchema !== undefined) {
    const p = inputsSchemaProblem(a.manualInputsSchema);
    if (p) throw invalid(["body", "manual_inputs_schema"], p);
  }
}

/** Applies REST fields onto a row (only the keys present). */
function apply(row: ActionRow, f: ActionFields): ActionRow {
  const r = { ...row };
  const map: [keyof ActionFields, keyof ActionRow][] = [
    ["name", "name"], ["description", "description"], ["endpoint_id", "endpointId"], ["namespace_id", "namespaceId"], ["thread_mode", "threadMode"],
    ["thread_id", "threadId"], ["thread_id_template", "threadIdTemplate"], ["payload", "payload"], ["action_type", "actionType"], ["schedule_type", "scheduleType"],
    ["cron_expression", "cronExpression"], ["scheduled_at", "scheduledAt"], ["timezone", "timezone"], ["max_retries", "maxRetries"],
    ["retry_delay_seconds", "retryDelaySeconds"], ["is_enabled", "isEnabled"], ["trigger_ids", "triggerIds"], ["filter", "filter"],
    ["approval_required", "approvalRequired"], ["manual_inputs_schema", "manualInputsSchema"], ["headers_template", "headersTemplate"],
    ["entity_type", "entityType"], ["owner", "owner"],
  ];
  for (const [k, col] of map) if (f[k] !== undefined) (r as Record<string, unknown>)[col] = f[k];
  if (r.scheduledAt) r.scheduledAt = new Date(r.scheduledAt).toISOString();
  if (f.action_type === undefined && f.schedule_type !== undefined) r.actionType = r.scheduleType ? "scheduled" : "trigger";
  return r;
}

/** Lists an app's actions, newest first, optionally searching name/description. */
export async function listActions(ctx: Ctx, s: AppScope, q: { search?: string; limit: number; cursor?: string }): Promise<Page<ActionRow>> {
  await assertScope(ctx, s);
  assertRole(ctx.actor, "viewer");
  const after = decodeCursor(q.cursor);
  const pattern = q.search ? `%${q.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined;
  const search = pattern ? or(sql`${actions.name} LIKE ${pattern} ESCAPE '\\'`, sql`${actions.description} LIKE ${pattern} ESCAPE '\\'`) : undefined;
  const [rows, [total]] = await ctx.db.batch([
    ctx.db.select().from(actions).where(where(s, search, after ? lt(actions.actionId, after) : undefined)).orderBy(desc(actions.actionId)).limit(q.limit + 1),
    ctx.db.select({ n: count() }).from(actions).where(where(s, search)),
  ]);
  return toPage(rows, q.limit, total?.n ?? 0, (r) => r.actionId);
}

/** One action of the app (404 for unknown ids and other tenants). */
export async function getAction(ctx: Ctx, s: AppScope, actionId: string): Promise<ActionRow> {
  await assertScope(ctx, s);
  const row = await loadAction(ctx, s, actionId);
  assertRole(ctx.actor, "viewer");
  return row;
}

/**
 * Resolves an action by id alone, for faces that address actions without their
 * org/workspace/app path (unified tasks, MCP). Guarantees: the row is in the actor's org
 * (any org for the superuser); a foreign or unknown id is the same 404 `<what> not found`.
 * No role check: the caller's verb checks its own least role afterwards.
 */
export async function findActionById(ctx: Ctx, actionId: string, what = "action", loc?: (string | number)[]): Promise<{ row: ActionRow; scope: AppScope }> {
  const byId = eq(actions.actionId, actionId);
  const row = await ctx.db.select().from(actions).where(ctx.actor.orgId ? inOrg(actions, ctx.actor.orgId, byId) : byId).get();
  if (!row) throw notFound(what, loc);
  assertOrg(ctx.actor, row.orgId, what);
  return { row, scope: { orgId: row.orgId, workspaceId: row.workspaceId, appId: row.appId } };
}

/** Creates an action; validates everything and computes `next_run_at`. */
export async function createAction(ctx: Ctx, s: AppScope, f: ActionFields & { name: string; endpoint_id: string; namespace_id: string }): Promise<ActionRow> {
  await assertScope(ctx, s);
  assertRole(ctx.actor, "editor");
  const now = new Date();
  const at = now.toISOString();
  const base: ActionRow = {
    actionId: uuidv7(), orgId: s.orgId, workspaceId: s.workspaceId, appId: s.appId, endpointId: f.endpoint_id, name: f.name, description: null,
    namespaceId: f.namespace_id, threadMode: "new_each_run", threadId: null, threadIdTemplate: null, payload: {}, actionType: "trigger", scheduleType: null,
    cronExpression: null, scheduledAt: null, timezone: null, maxRetries: 0, retryDelaySeconds: 60, isEnabled: true, runningCount: 0, nextRunAt: null,
    claimedDueAt: null, lastRunAt: null, lastRunStatus: null, lastExecutionId: null, totalRuns: 0, successfulRuns: 0, failedRuns: 0, triggerIds: [],
    filter: null, approvalRequired: false, manualInputsSchema: null, headersTemplate: null, entityType: null, owner: null, createdBy: ctx.actor.id,
    claimedAt: null, lastError: null, createdAt: at, updatedAt: at,
  };
  const row = apply(base, f);
  await validate(ctx, s, row, true, now);
  row.nextRunAt = computeNextRunAt(row, now);
  await ctx.db.insert(actions).values(row);
  return row;
}

/** Partial update (PUT with any subset of fields); counters and run state are never touched. */
export async function updateAction(ctx: Ctx, s: AppScope, actionId: string, f: ActionFields): Promise<ActionRow> {
  await assertScope(ctx, s);
  const current = await loadAction(ctx, s, actionId);
  assertRole(ctx.actor, "editor");
  const now = new Date();
  const row = apply(current, f);
  const scheduleChanged = ["schedule_type", "cron_expression", "scheduled_at", "timezone", "is_enabled"].some((k) => f[k as keyof ActionFields] !== undefined);
  await validate(ctx, s, row, scheduleChanged && row.scheduledAt !== current.scheduledAt, now);
  const { actionId: _id, orgId: _o, runningCount: _rc, totalRuns: _t, successfulRuns: _s, failedRuns: _f, lastRunAt: _la, lastRunStatus: _ls, lastExecutionId: _le, claimedDueAt: _c, createdAt: _ca, createdBy: _cb, ...writable } = row;
  const nextRunAt = scheduleChanged ? computeNextRunAt(row, now) : current.nextRunAt;
  const updated = await ctx.db.update(actions).set({ ...writable, nextRunAt, updatedAt: now.toISOString() }).where(where(s, eq(actions.actionId, actionId))).returning().get();
  if (!updated) throw notFound("action");
  return updated;
}

/** Deletes an action. Its runs stay in D1 (history); a pending delivery then fails with `action_deleted`. */
export async function deleteAction(ctx: Ctx, s: AppScope, actionId: string): Promise<void> {
  await assertScope(ctx, s);
  await loadAction(ctx, s, actionId);
  assertRole(ctx.actor, "editor");
  const gone = await ctx.db.delete(actions).where(where(s, eq(actions.actionId, actionId))).returning({ id: actions.actionId }).get();
  if (!gone) throw notFound("action");
}

/** Enables/disables; enabling recomputes `next_run_at` from now, disabling clears it. */
export async function setActionEnabled(ctx: Ctx, s: AppScope, actionId: string, enabled: boolean): Promise<ActionRow> {
  await assertScope(ctx, s);
  const current = await loadAction(ctx, s, actionId);
  assertRole(ctx.actor, "editor");
  const now = new Date();
  const nextRunAt = computeNextRunAt({ ...current, isEnabled: enabled }, now);
  const updated = await ctx.db.update(actions).set({ isEnabled: enabled, nextRunAt, updatedAt: now.toISOString() }).where(where(s, eq(actions.actionId, actionId))).returning().get();
  if (!updated) throw notFound("action");
  return updated;
}

/** Runs an action now (runner role). A disabled action is a 409. */
export async function triggerAction(
  ctx: Ctx,
  s: AppScope,
  actionId: string,
  body: { inputs?: Record<string, unknown>; target?: unknown; thread_id?: string | null },
): Promise<StartedExecution & { action_id: string }> {
  await assertScope(ctx, s);
  const action = await loadAction(ctx, s, actionId);
  assertRole(ctx.actor, "runner");
  if (!action.isEnabled) throw conflict("action is disabled; enable it before triggering");
  const started = await startExecution(ctx.db, ctx.env, {
    action,
    triggerType: ctx.actor.kind === "user" ? "manual" : "api",
    inputs: body.inputs,
    target: body.target,
    threadId: body.thread_id ?? null,
    user: ctx.actor.kind === "user" ? (ctx.actor.user ?? null) : null,
    invokedBy: ctx.actor.id,
  });
  return { action_id: action.actionId, ...started };
}

/**
 * Every action of the org, newest first (viewer+; another org is 404), with the same cursor
 * pagination as an app's list. Read through the `actions_app` index (org_id prefix).
 */
export async function listOrgActions(ctx: Ctx, orgId: string, page: PageIn): Promise<Page<ActionRow>> {
  await openOrg(ctx, orgId, "viewer");
  return pageOf(ctx.db, actions, actions.actionId, inOrg(actions, orgId), page, (r) => r);
}
