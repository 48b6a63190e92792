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
    "Schedules a run of the fleet (pipeline) now. API key required (runner role or higher). Body exactly {\"env\": {\"NAME\": \"value\"}} (string values, at most 100); each step's templates see them as `env` (over the pipeline's variables). Errors answer with data null; a fixed reason (never request input) is in the X-Error-Message header.",
  request: { params: z.object({ fleet_id: z.string() }), body: { required: true, content: { "application/json": { schema: FleetTriggerIn } } } },
  responses: {
    201: { description: "Scheduled", content: { "application/json": { schema: FleetRunOut } } },
    400: { description: "Malformed body, unknown fleet (or another org's)", content: { "application/json": { schema: Envelope } } },
    401: { description: "Missing or invalid API key", content: { "application/json": { schema: Envelope } } },
    403: { description: "The key's role may not run fleets", content: { "application/json": { schema: Envelope } } },
  },
});

/**
 * The documented error envelope. The `X-Error-Message` header carries only `reason`, one of the
 * fixed, input-free strings of this module (never the path id or body keys: request input in a
 * header can break the response or inject headers); `detail`, which may quote input, is logged.
 */
function refuse(c: Context<AppEnv>, status: 400 | 401 | 403, reason: string, detail?: string) {
  c.header("x-error-message", reason);
  if (status === 401) c.header("WWW-Authenticate", 'Bearer realm="switchyard"');
  if (detail) console.log(JSON.stringify({ level: "info", request_id: c.get("requestId"), face: "fleets", status, reason, detail }));
  return c.json({ request: { id: c.get("requestId") }, data: null }, status);
}

/** Fixed header reasons for domain refusals, by error code. */
const REASON_BY_CODE: Partial<Record<AppError["code"], string>> = {
  not_found: "fleet not found",
  conflict: "the fleet cannot start in its current state",
  validation_error: "the fleet's pipeline refused the run",
};

/**
 * Why `body` is not exactly `{"env": {NAME: "value", …}}`, or null. `reason` is a fixed
 * string (safe for a header); `detail` names the offending keys.
 */
export function fleetBodyProblem(body: unknown): { reason: string; detail: string } | null {
  const fixed = (reason: string, detail = reason) => ({ reason, detail });
  if (typeof body !== "object" || body === null || Array.isArray(body)) return fixed('body must be a JSON object {"env": {...}}');
  const extra = Object.keys(body).filter((k) => k !== "env");
  if (extra.length) return fixed('unknown field(s) in the body; the body is exactly {"env": {...}}', `unknown field(s) ${extra.join(", ")}`);
  const e = (body as { env?: unknown }).env;
  if (typeof e !== "object" || e === null || Array.isArray(e)) return fixed('"env" must be an object of string values');
  const entries = Object.entries(e);
  if (entries.length > MAX_ENV_VARS) return fixed(`"env" may hold at most ${MAX_ENV_VARS} variables`);
  for (const [k, v] of entries) {
    if (!k || k.length > 256) return fixed("env variable names must be 1-256 characters", `env name of length ${k.length}`);
    if (typeof v !== "string") return fixed("every env value must be a string", `env.${k} is ${v === null ? "null" : typeof v}`);
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
    return refuse(c, 403, "the key's role may not run fleets (runner or higher needed)", (err as Error).message);
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return refuse(c, 400, "body is not valid JSON");
  }
  const problem = fleetBodyProblem(body);
  if (problem) return refuse(c, 400, problem.reason, problem.detail);
  const overrides = (body as { env: Record<string, string> }).env;
  try {
    c.set("audit", { orgId: fleet.orgId, action: "fleet.trigger", targetType: "fleet", targetId: fleetId, details: { env_keys: Object.keys(overrides) } });
    const run = (await runPipelineOp(c.env, fleet.pipelineId, { op: "start", pipelineId: fleet.pipelineId, orgId: fleet.orgId, triggerType: "fleet", overrides, invokedBy: actor.id })) as { pipeline_run_id: string };
    return c.json({ request: { id: c.get("requestId") }, data: { fleet_id: fleet.pipelineId, project_id: fleet.appId, org_id: fleet.orgId, fleet_run_id: run.pipeline_run_id } }, 201);
  } catch (err) {
    if (err instanceof AppError) return refuse(c, 400, REASON_BY_CODE[err.code] ?? "the fleet run was refused", `${err.code}: ${err.message}`);
    throw err;
  }
});
