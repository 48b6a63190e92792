import { desc, eq, inArray } from "drizzle-orm";
import type { Ctx } from "../../core/context";
import { assertRole } from "../../core/actor";
import { conflict, invalid, notFound } from "../../core/errors";
import { apps, executions, runs } from "../../db/schema";
import { inOrg } from "../../db/scope";
import { createAction, findActionById, triggerAction, updateAction } from "../../services/actions";
import { finishExecution } from "../../services/executions";
import { parseOr422 } from "../../services/pipelines";
import { ActionIn, ActionPatch, toActionOut, toRunOut } from "../actions/schema";

/** A "task" of the unified face is an action; this loads one the actor may see (404 otherwise). */
const findTask = (ctx: Ctx, id: string, loc: (string | number)[]) => findActionById(ctx, id, "task", loc);

/** `status` of a task: the action and its 10 latest runs. */
export async function taskStatus(ctx: Ctx, id: string) {
  const { row } = await findTask(ctx, id, ["body", "target"]);
  const latest = await ctx.db.select().from(runs).where(inOrg(runs, row.orgId, eq(runs.actionId, row.actionId))).orderBy(desc(runs.runId)).limit(10);
  return { task: toActionOut(row), state: row.runningCount > 0 ? "running" : "idle", last_run_status: row.lastRunStatus, runs: latest.map(toRunOut) };
}

/** `run` of a task: one execution now (settings may carry `inputs` and `target`). */
export async function taskRun(ctx: Ctx, id: string, settings: Record<string, unknown> | undefined) {
  const { scope } = await findTask(ctx, id, ["body", "target"]);
  assertRole(ctx.actor, "runner");
  const inputs = settings?.inputs;
  return triggerAction(ctx, scope, id, { inputs: inputs && typeof inputs === "object" ? (inputs as Record<string, unknown>) : undefined, target: settings?.target });
}

/** `stop` of a task: cancels its executions that have not finished (never delivered afterwards). 409 when none. */
export async function taskStop(ctx: Ctx, id: string, message: string | undefined) {
  const { row } = await findTask(ctx, id, ["body", "target"]);
  assertRole(ctx.actor, "runner");
  const open = await ctx.db
    .select({ id: executions.executionId })
    .from(executions)
    .where(inOrg(executions, row.orgId, eq(executions.actionId, row.actionId), inArray(executions.status, ["pending", "pending_approval", "running"])));
  const cancelled: string[] = [];
  for (const e of open) {
    if (await finishExecution(ctx.db, ctx.env, e.id, "cancelled", message || `stopped by ${ctx.actor.id}`, ctx.actor.id)) cancelled.push(e.id);
  }
  if (cancelled.length === 0) throw conflict("task has no pending or running executions to stop");
  return { cancelled_execution_ids: cancelled };
}

/** `create` of a task: `settings` is an action body plus `app_id` (the same validation as the actions face). */
export async function taskCreate(ctx: Ctx, settings: Record<string, unknown>) {
  const appId = settings.app_id;
  if (typeof appId !== "string" || !appId) throw invalid(["body", "settings", "app_id"], "settings.app_id is required: the app the task (action) belongs to", appId ?? null);
  const where = ctx.actor.orgId ? inOrg(apps, ctx.actor.orgId, eq(apps.appId, appId)) : eq(apps.appId, appId);
  const app = await ctx.db.select().from(apps).where(where).get();
  if (!app) throw notFound("app", ["body", "settings", "app_id"]);
  assertRole(ctx.actor, "editor");
  const { app_id: _drop, ...body } = settings;
  const fields = parseOr422(ActionIn, body, ["body", "settings"]);
  const row = await createAction(ctx, { orgId: app.orgId, workspaceId: app.workspaceId, appId: app.appId }, fields as Parameters<typeof createAction>[2]);
  return toActionOut(row);
}

/** `update` of a task: `settings` is an action patch. */
export async function taskUpdate(ctx: Ctx, id: string, settings: Record<string, unknown>) {
  const { scope } = await findTask(ctx, id, ["body", "target"]);
  assertRole(ctx.actor, "editor");
  const fields = parseOr422(ActionPatch, settings, ["body", "settings"]);
  if (Object.values(fields).every((v) => v === undefined)) throw invalid(["body", "settings"], "nothing to update: settings has no field of an action", settings);
  return toActionOut(await updateAction(ctx, scope, id, fields as Parameters<typeof updateAction>[3]));
}
