import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, pipelineRuns } from "../../../src/db/schema";
import { handleRunDeliver } from "../../../src/services/delivery";
import { handlePipelineAdvance } from "../../../src/services/pipeline-engine";
import { api, db, makeEndpoint, makeTenant } from "../../fixtures";
import { makeAction, sentBodies, upstreamHandler } from "../durable/helpers";

// The queue is the platform boundary: the test drives the handlers itself.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

async function fleet() {
  const tenant = await makeTenant();
  const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
  const a = await makeAction(tenant, ep, { name: "vessel-1", payload: { vessel: 1, target: "{{ env.DEPLOY_TARGET }}", tier: "{{ env.TIER }}" } });
  const b = await makeAction(tenant, ep, { name: "vessel-2", payload: { vessel: 2, target: "{{ env.DEPLOY_TARGET }}" } });
  const p = await api("POST", "/api/v2/pipelines", {
    token: tenant.tokens.editor,
    body: { name: "fleet", app_id: tenant.appId, steps: [{ name: "one", action_id: a }, { name: "two", action_id: b }], variables: { DEPLOY_TARGET: "staging", TIER: "gold" } },
  });
  return { tenant, fleetId: p.body.pipeline_id as string };
}

const trigger = (fleetId: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  api("POST", `/v1/fleets/${fleetId}/trigger`, { token, body, headers });

describe("POST /v1/fleets/{fleet_id}/trigger", () => {
  it("201 with the documented ids; env overrides reach every vessel's templates", async () => {
    const { tenant, fleetId } = await fleet();
    const got: unknown[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("receiver.test", async (req) => (got.push(await req.json()), new Response("ok"))));
    const send = vi.spyOn(env.TASKS, "send");
    const res = await trigger(fleetId, tenant.tokens.runner, { env: { DEPLOY_TARGET: "prod" } }, { "x-request-id": "req-123" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ request: { id: "req-123" }, data: { fleet_id: fleetId, project_id: tenant.appId, org_id: tenant.orgId, fleet_run_id: expect.any(String) } });
    const run = (await db().select().from(pipelineRuns).where(eq(pipelineRuns.pipelineRunId, res.body.data.fleet_run_id)))[0]!;
    expect(run).toMatchObject({ triggerType: "fleet", env: { DEPLOY_TARGET: "prod", TIER: "gold" } });
    for (let i = 0; ; ) {
      const tasks = sentBodies(send).slice(i);
      if (!tasks.length) break;
      i += tasks.length;
      for (const t of tasks) {
        if (t.kind === "run.deliver") await handleRunDeliver(env, t as never);
        if (t.kind === "pipeline.advance") await handlePipelineAdvance(env, t as never);
      }
    }
    expect(got).toEqual([{ vessel: 1, target: "prod", tier: "gold" }, { vessel: 2, target: "prod" }]);
    const audit = await db().select().from(auditLog).where(eq(auditLog.orgId, tenant.orgId));
    expect(audit.find((r) => r.action === "fleet.trigger")).toMatchObject({ targetId: fleetId, statusCode: 201 });
  });

  it("400 with data null for any body that is not exactly {env: {NAME: string}}", async () => {
    const { tenant, fleetId } = await fleet();
    const bodies: unknown[] = [{}, { env: "x" }, { env: [] }, { env: { A: 1 } }, { env: { A: "1" }, extra: true }, [], "{not json", { variables: {} }];
    for (const body of bodies) {
      const res = await trigger(fleetId, tenant.tokens.admin, body, { "content-type": "application/json" });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toEqual({ request: { id: expect.any(String) }, data: null });
      expect(res.headers.get("x-error-message")).toBeTruthy();
    }
    expect((await trigger(fleetId, tenant.tokens.admin, { env: {} })).status).toBe(201);
  });

  it("400 for unknown fleets and other tenants' fleets; 401 without a valid key; 403 for viewers", async () => {
    const { tenant, fleetId } = await fleet();
    const other = await makeTenant("other");
    const foreign = await trigger(fleetId, other.tokens.admin, { env: {} });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toEqual({ request: { id: expect.any(String) }, data: null });
    expect((await trigger("0193a5c8-0000-7000-8000-00000000dead", tenant.tokens.admin, { env: {} })).status).toBe(400);
    expect((await trigger("not-a-uuid", tenant.tokens.admin, { env: {} })).status).toBe(400);
    const none = await trigger(fleetId, undefined, { env: {} });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ request: { id: expect.any(String) }, data: null });
    expect((await trigger(fleetId, "sy_nope", { env: {} })).status).toBe(401);
    expect((await trigger(fleetId, tenant.tokens.viewer, { env: {} })).status).toBe(403);
    expect(await db().select().from(pipelineRuns).where(eq(pipelineRuns.pipelineId, fleetId))).toHaveLength(0);
  });
});
