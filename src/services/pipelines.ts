import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import * as z from "zod";
import { assertOrg, assertRole, type Actor } from "../core/actor";
import type { Ctx } from "../core/context";
import { AppError, conflict, invalid, notFound, type ErrorItem } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import type { Db } from "../db/client";
import { actions, apps, pipelineRuns, pipelines, type PipelineStep } from "../db/schema";
import { inOrg } from "../db/scope";
import { pageOf, type PageIn } from "./paging";

export type PipelineRow = typeof pipelines.$inferSelect;
export type PipelineRunRow = typeof pipelineRuns.$inferSelect;

const Step = z
  .object({
    name: z.string().trim().min(1, "step name must not be empty").max(200),
    action_id: z.string().min(1).optional(),
    type: z.enum(["action", "approval"]).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.type === "approval" && s.action_id) ctx.addIssue({ code: "custom", path: ["action_id"], message: "an approval step has no action_id" });
    if (s.type !== "approval" && !s.action_id) ctx.addIssue({ code: "custom", path: ["action_id"], message: "a step needs action_id, or type 'approval' for an approval gate" });
  });

/**
 * A pipeline as created (`POST /api/v2/pipelines` or `create` through `/api/v2/actions`).
 * Unknown keys are ignored, so a pipeline object copied from a status/GET answer can be
 * posted back (the documented clone workflow).
 */
export const PipelineIn = z.object({
  name: z.string().trim().min(1, "name must not be empty").max(200),
  description: z.string().max(2000).nullish(),
  app_id: z.string().min(1),
  steps: z.array(Step).min(1, "a pipeline needs at least one step").max(50),
  variables: z.record(z.string(), z.string()).nullish(),
});
export type PipelineInput = z.infer<typeof PipelineIn>;

/** An update: any subset of the create fields except `app_id` (a pipeline stays in its app). */
export const PipelinePatch = PipelineIn.omit({ app_id: true }).partial();
export type PipelinePatchInput = z.infer<typeof PipelinePatch>;

/** The pipeline object every face returns. `_id` mirrors `pipeline_id` (the documented clone workflow removes it). */
export interface PipelineOut {
  _id: string;
  pipeline_id: string;
  name: string;
  description: string | null;
  app_id: string;
  workspace_id: string;
  org_id: string;
  steps: PipelineStep[];
  variables: Record<string, string>;
  state: string;
  current_step: number | null;
  current_run_id: string | null;
  created_at: string;
  updated_at: string;
  createdAt: string;
  updatedAt: string;
}

/** Row → the public pipeline object. */
export function toPipelineOut(r: PipelineRow): PipelineOut {
  return {
    _id: r.pipelineId,
    pipeline_id: r.pipelineId,
    name: r.name,
    description: r.description,
    app_id: r.appId,
    workspace_id: r.workspaceId,
    org_id: r.orgId,
    steps: r.steps,
    variables: r.variables ?? {},
    state: r.state,
    current_step: r.currentStep,
    current_run_id: r.currentRunId,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Parses `value` with `schema`; failures become one 422 whose items are located under `loc`. */
export function parseOr422<T extends z.ZodType>(schema: T, value: unknown, loc: (string | number)[]): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const items: ErrorItem[] = r.error.issues.map((i) => ({
    loc: [...loc, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    msg: i.message,
    type: i.code,
    input: (i as { input?: unknown }).input ?? null,
  }));
  throw new AppError("validation_error", items[0]?.msg ?? "invalid input", items);
}

/** WHERE for a pipeline id seen by `actor`: tenant-scoped unless the superuser is asking. */
const byId = (actor: Actor, id: string): SQL => (actor.orgId ? inOrg(pipelines, actor.orgId, eq(pipelines.pipelineId, id)) : eq(pipelines.pipelineId, id));

/** Loads a pipeline the actor may see; 404 (never 403) for other tenants' ids. */
export async function findPipeline(db: Db, actor: Actor, pipelineId: string, loc: (string | number)[] = ["path", "pipeline_id"]): Promise<PipelineRow> {
  const row = await db.select().from(pipelines).where(byId(actor, pipelineId)).get();
  if (!row) throw notFound("pipeline", loc);
  assertOrg(actor, row.orgId, "pipeline");
  return row;
}

/** Normalised steps: `{name, action_id}` or `{name, type:"approval"}`. */
const normSteps = (steps: PipelineInput["steps"]): PipelineStep[] =>
  steps.map((s) => (s.type === "approval" ? { name: s.name, type: "approval" as const } : { name: s.name, action_id: s.action_id! }));

/** Every action step must name an action of the pipeline's app (422 on the step otherwise). */
async function assertStepActions(db: Db, orgId: string, appId: string, steps: PipelineStep[], loc: (string | number)[]): Promise<void> {
  const ids = [...new Set(steps.flatMap((s) => ("action_id" in s ? [s.action_id] : [])))];
  if (ids.length === 0) return;
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await db.select({ id: actions.actionId }).from(actions).where(inOrg(actions, orgId, eq(actions.appId, appId), inArray(actions.actionId, ids.slice(i, i + 90))));
    for (const r of rows) found.add(r.id);
  }
  steps.forEach((s, i) => {
    if ("action_id" in s && !found.has(s.action_id)) throw invalid([...loc, "steps", i, "action_id"], `action ${s.action_id} is not an action of app ${appId}`, s.action_id);
  });
}

/** Creates a pipeline (editor+). `loc` prefixes field errors (["body"] or ["body","settings"]). */
export async function createPipeline(ctx: Ctx, raw: unknown, loc: (string | number)[] = ["body"]): Promise<PipelineOut> {
  const input = parseOr422(PipelineIn, raw, loc);
  const where = ctx.actor.orgId ? inOrg(apps, ctx.actor.orgId, eq(apps.appId, input.app_id)) : eq(apps.appId, input.app_id);
  const app = await ctx.db.select().from(apps).where(where).get();
  if (!app) throw notFound("app", [...loc, "app_id"]);
  assertRole(ctx.actor, "editor");
  const steps = normSteps(input.steps);
  await assertStepActions(ctx.db, app.orgId, app.appId, steps, loc);
  const t = nowIso();
  const row: PipelineRow = {
    pipelineId: uuidv7(),
    orgId: app.orgId,
    workspaceId: app.workspaceId,
    appId: app.appId,
    name: input.name,
    description: input.description ?? null,
    steps,
    variables: input.variables ?? {},
    state: "idle",
    currentRunId: null,
    currentStep: null,
    createdBy: ctx.actor.id,
    createdAt: t,
    updatedAt: t,
  };
  await ctx.db.insert(pipelines).values(row);
  return toPipelineOut(row);
}

/** Lists pipelines newest first (viewer+). The superuser must name `orgId`. */
export async function listPipelines(ctx: Ctx, orgId: string | undefined, appId: string | undefined, page: PageIn): Promise<Page<PipelineOut>> {
  const org = ctx.actor.orgId ?? orgId;
  if (!org) throw invalid(["query", "org_id"], "org_id is required when the admin token lists pipelines");
  assertOrg(ctx.actor, org);
  assertRole(ctx.actor, "viewer");
  return pageOf(ctx.db, pipelines, pipelines.pipelineId, inOrg(pipelines, org, appId ? eq(pipelines.appId, appId) : undefined), page, toPipelineOut);
}

/** Updates name, description, steps or variables (editor+). Steps cannot change while a run is active. */
export async function updatePipeline(ctx: Ctx, pipelineId: string, raw: unknown, loc: (string | number)[] = ["body"], idLoc?: (string | number)[]): Promise<PipelineOut> {
  const row = await findPipeline(ctx.db, ctx.actor, pipelineId, idLoc);
  assertRole(ctx.actor, "editor");
  const patch = parseOr422(PipelinePatch, raw, loc);
  if (Object.values(patch).every((v) => v === undefined)) throw invalid(loc, "nothing to update: send at least one of name, description, steps, variables", raw);
  const steps = patch.steps ? normSteps(patch.steps) : undefined;
  if (steps) {
    if (row.state === "running" || row.state === "pending_approval") throw conflict("pipeline is running; stop it before changing its steps");
    await assertStepActions(ctx.db, row.orgId, row.appId, steps, loc);
  }
  const next: PipelineRow = {
    ...row,
    name: patch.name ?? row.name,
    description: patch.description === undefined ? row.description : patch.description,
    steps: steps ?? row.steps,
    variables: patch.variables === undefined ? row.variables : (patch.variables ?? {}),
    updatedAt: nowIso(),
  };
  await ctx.db
    .update(pipelines)
    .set({ name: next.name, description: next.description, steps: next.steps, variables: next.variables, updatedAt: next.updatedAt })
    .where(and(inOrg(pipelines, row.orgId, eq(pipelines.pipelineId, row.pipelineId))));
  return toPipelineOut(next);
}

/** Deletes a pipeline (editor+); refused while a run is active. Its run history is kept. */
export async function deletePipeline(ctx: Ctx, pipelineId: string, idLoc?: (string | number)[]): Promise<void> {
  const row = await findPipeline(ctx.db, ctx.actor, pipelineId, idLoc);
  assertRole(ctx.actor, "editor");
  if (row.state === "running" || row.state === "pending_approval") throw conflict("pipeline is running; stop it before deleting it");
  await ctx.db.delete(pipelines).where(inOrg(pipelines, row.orgId, eq(pipelines.pipelineId, row.pipelineId)));
}

/** One entry of a pipeline run's `history`: what happened at one step. */
export interface StepRecord {
  step_index: number;
  name: string;
  type: "action" | "approval";
  action_id?: string;
  execution_id?: string | null;
  run_id?: string | null;
  /** pending | pending_approval | running | success | failed | cancelled | rejected | approved */
  status: string;
  started_at: string;
  finished_at?: string | null;
  decided_by?: string | null;
  message?: string | null;
}

/** Public shape of a pipeline run (`fleet_run_id` in the fleet document). */
export function toPipelineRunOut(r: PipelineRunRow) {
  return {
    pipeline_run_id: r.pipelineRunId,
    pipeline_id: r.pipelineId,
    status: r.status,
    current_step: r.currentStep,
    env: r.env ?? {},
    trigger_type: r.triggerType,
    history: r.history as StepRecord[],
    invoked_by: r.invokedBy,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** `{state, current_step, current_run_id, runs}`: the pipeline's state and its latest runs (newest first, at most `limit`). */
export async function pipelineStatus(db: Db, pipeline: PipelineRow, limit = 20) {
  const runs = await db.select().from(pipelineRuns).where(inOrg(pipelineRuns, pipeline.orgId, eq(pipelineRuns.pipelineId, pipeline.pipelineId))).orderBy(desc(pipelineRuns.pipelineRunId)).limit(limit);
  return { state: pipeline.state, current_step: pipeline.currentStep, current_run_id: pipeline.currentRunId, runs: runs.map(toPipelineRunOut) };
}

