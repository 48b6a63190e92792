import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { assertOrg, assertRole } from "../../core/actor";
import { AppError } from "../../core/errors";
import { getDb } from "../../db/client";
import { createRouter, type AppEnv } from "../../http/router";
import { findPipeline } from "../../services/pipelines";
import { runPipelineOp } from "../../services/pipeline-engine";
import { resolveBearer } from "../../services/tokens";

/** The fleets face (seed 003): `POST /v1/fleets/{fleet_id}/trigger` — a fleet is a pipeline. */
export const fleetsRouter = createRouter();

/** Most env overrides one trigger may carry. */
export const MAX_ENV_VARS = 100;

const Envelope = z.object({ request: z.object({ id: z.string() }), data: z.unknown() });
const FleetRunOut = z
  .object({ request: z.object({ id: z.string() }), data: z.object({ fleet_id: z.string(), project_id: z.string(), org_id: z.string(), fleet_run_id: z.string() }) })
  .openapi("FleetTriggerOut");
const FleetTriggerIn = z
  .object({ env: z.record(z.string(), z.string()).openapi({ example: { DEPLOY_TARGET: "staging" } }) })
  .openapi("FleetTriggerIn");

const route = createRoute({
  method: "post",
  path: "/v1/fleets/{fleet_id}/trigger",
  tags: ["Fleets"],
  summary: "Trigger Fleet",
  description:
    "Schedules a run of the fleet (pipeline) now. API key required (runner role or higher). Body exactly {\"env\": {\"NAME\": \"value\"}} (string values, at most 100); each step's templates see them as `env` (over the pipeline's variables). Errors answer with data null; the reason is in the X-Error-Message header.",
  request: { params: z.object({ fleet_id: z.string() }), body: { required: true, content: { "application/json": { schema: FleetTriggerIn } } } },
  responses: {
    201: { description: "Scheduled", content: { "application/json": { schema: FleetRunOut } } },
    400: { description: "Malformed body, unknown fleet (or another org's)", content: { "application/json": { schema: Envelope } } },
    401: { description: "Missing or invalid API key", content: { "application/json": { schema: Envelope } } },
    403: { description: "The key's role may not run fleets", content: { "application/json": { schema: Envelope } } },
  },
});

/** The documented error envelope; the reason travels in a header so the body keeps the documented shape. */
function refuse(c: Context<AppEnv>, status: 400 | 401 | 403, reason: string) {
  c.header("x-error-message", reason);
  if (status === 401) c.header("WWW-Authenticate", 'Bearer realm="switchyard"');
  return c.json({ request: { id: c.get("requestId") }, data: null }, status);
}

/** Why `body` is not exactly `{"env": {NAME: "value", …}}`, or null. */
export function fleetBodyProblem(body: unknown): string | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return 'body must be a JSON object {"env": {...}}';
  const extra = Object.keys(body).filter((k) => k !== "env");
  if (extra.length) return `unknown field(s) ${extra.join(", ")}; the body is exactly {"env": {...}}`;
  const e = (body as { env?: unknown }).env;
  if (typeof e !== "object" || e === null || Array.isArray(e)) return '"env" must be an object of string values';
  const entries = Object.entries(e);
  if (entries.length > MAX_ENV_VARS) return `"env" may hold at most ${MAX_ENV_VARS} variables`;
  for (const [k, v] of entries) {
    if (!k || k.length > 256) return "env variable names must be 1-256 characters";
    if (typeof v !== "string") return `env.${k} must be a string`;
  }
  return null;
}

// Documented in /openapi.json, but the body is read raw (not by the route validator) so every
// refusal keeps the fleet envelope instead of the REST 422 shape.
fleetsRouter.openAPIRegistry.registerPath(route);
fleetsRouter.post("/v1/fleets/:fleet_id/trigger", async (c) => {
  const fleetId = c.req.param("fleet_id")!;
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  const db = getDb(c.env.DB);
  const actor = m ? await resolveBearer(c.env, db, m[1]!) : null;
  if (!actor) return refuse(c, 401, m ? "API key is invalid or revoked" : "missing Authorization: Bearer <API key>");
  c.set("actor", actor);
  c.set("audit", { orgId: actor.orgId ?? undefined, action: "fleet.trigger", targetType: "fleet", targetId: fleetId });
  // Tenancy before role: another org's fleet answers exactly like a nonexistent one (400),
  // and only a fleet of the caller's own org can get the 403. The reason never echoes the id.
  let fleet: Awaited<ReturnType<typeof findPipeline>>;
  try {
    fleet = await findPipeline(db, actor, fleetId);
    assertOrg(actor, fleet.orgId, "fleet");
  } catch (err) {
    if (err instanceof AppError) return refuse(c, 400, "fleet not found");
    throw err;
  }
  try {
    assertRole(actor, "runner");
  } catch (err) {
    return refuse(c, 403, (err as Error).message);
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return refuse(c, 400, "body is not valid JSON");
  }
  const problem = fleetBodyProblem(body);
  if (problem) return refuse(c, 400, problem);
  const overrides = (body as { env: Record<string, string> }).env;
  try {
    c.set("audit", { orgId: fleet.orgId, action: "fleet.trigger", targetType: "fleet", targetId: fleetId, details: { env_keys: Object.keys(overrides) } });
    const run = (await runPipelineOp(c.env, fleet.pipelineId, { op: "start", pipelineId: fleet.pipelineId, orgId: fleet.orgId, triggerType: "fleet", overrides, invokedBy: actor.id })) as { pipeline_run_id: string };
    return c.json({ request: { id: c.get("requestId") }, data: { fleet_id: fleet.pipelineId, project_id: fleet.appId, org_id: fleet.orgId, fleet_run_id: run.pipeline_run_id } }, 201);
  } catch (err) {
    if (err instanceof AppError) return refuse(c, 400, err.code === "not_found" ? "fleet not found" : err.message);
    throw err;
  }
});
