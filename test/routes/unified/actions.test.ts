import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, executions } from "../../../src/db/schema";
import { ADMIN, api, db, makeEndpoint, makeTenant } from "../../fixtures";
import { makeAction } from "../durable/helpers";

// The queue is the platform boundary: tests capture tasks and drive the handlers themselves,
// so the pool's background consumer never races them.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const post = (token: string, body: unknown) => api("POST", "/api/v2/actions", { token, body });
const MISSING = "0193a5c8-0000-7000-8000-00000000dead";

async function world() {
  const tenant = await makeTenant();
  const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
  const task = await makeAction(tenant, ep, { name: "task-a" });
  const pipe = await api("POST", "/api/v2/pipelines", { token: tenant.tokens.editor, body: { name: "p", app_id: tenant.appId, steps: [{ name: "gate", type: "approval" }] } });
  return { tenant, ep, task, pipeline: pipe.body.pipeline_id as string };
}

const ACTIONS = ["status", "create", "update", "run", "stop", "reset", "delete", "approve", "reject"];
const PIPELINE_ONLY = ["reset", "delete", "approve", "reject"];

describe("POST /api/v2/actions — request validation", () => {
  it.each(PIPELINE_ONLY)("%s is refused for type task with a 422 naming `type`", async (action) => {
    const { tenant, task } = await world();
    const res = await post(tenant.tokens.admin, { action, type: "task", version: 1, target: [task], message: "m" });
    expect(res.status).toBe(422);
    expect(res.body.detail[0]).toMatchObject({ loc: ["body", "type"], msg: `type 'task' is not supported for action '${action}'; supported: pipeline` });
  });

  it("names action, type, version, target, settings and message problems", async () => {
    const { tenant, pipeline } = await world();
    const t = tenant.tokens.admin;
    const cases: [unknown, (string | number)[], RegExp][] = [
      [{ type: "pipeline", version: 1, target: [pipeline] }, ["body", "action"], /action is required/],
      [{ action: "clone", type: "pipeline", version: 1, target: [pipeline] }, ["body", "action"], /action 'clone' is not supported/],
      [{ action: "run", type: "fleet", version: 1, target: [pipeline] }, ["body", "type"], /type 'fleet' is not supported/],
      [{ action: "run", version: 1, target: [pipeline] }, ["body", "type"], /type is required/],
      [{ action: "run", type: "pipeline", version: 2, target: [pipeline] }, ["body", "version"], /version must be 1/],
      [{ action: "run", type: "pipeline", target: [pipeline] }, ["body", "version"], /version must be 1/],
      [{ action: "run", type: "pipeline", version: "1", target: [pipeline] }, ["body", "version"], /version must be 1/],
      [{ action: "run", type: "pipeline", version: 1, target: pipeline }, ["body", "target"], /target must be an array of ids for 'run'/],
      [{ action: "run", type: "pipeline", version: 1 }, ["body", "target"], /target must be an array/],
      [{ action: "run", type: "pipeline", version: 1, target: [] }, ["body", "target"], /1 to 100 ids/],
      [{ action: "run", type: "pipeline", version: 1, target: [pipeline, pipeline] }, ["body", "target", 1], /twice/],
      [{ action: "run", type: "pipeline", version: 1, target: [1] }, ["body", "target"], /target must be an id string/],
      [{ action: "update", type: "pipeline", version: 1, target: [pipeline], settings: { name: "x" } }, ["body", "target"], /single id string/],
      [{ action: "update", type: "pipeline", version: 1, target: pipeline }, ["body", "settings"], /at least one field/],
      [{ action: "create", type: "pipeline", version: 1, target: [pipeline], settings: {} }, ["body", "target"], /create takes no target/],
      [{ action: "create", type: "task", version: 1 }, ["body", "settings"], /create needs settings/],
      [{ action: "reject", type: "pipeline", version: 1, target: [pipeline] }, ["body", "message"], /reject needs a message/],
      [{ action: "reject", type: "pipeline", version: 1, target: [pipeline], message: "  " }, ["body", "message"], /reject needs a message/],
      [{ action: "run", type: "pipeline", version: 1, target: [pipeline], settings: "x" }, ["body", "settings"], /settings must be a JSON object/],
      [{ action: "run", type: "pipeline", version: 1, target: [pipeline], settings: { env: { A: 1 } } }, ["body", "settings", "env", "A"], /must be a string/],
      [{ action: "create", type: "pipeline", version: 1, settings: { name: "x", app_id: tenant.appId, steps: [] } }, ["body", "settings", "steps"], /at least one step/],
      [{ action: "create", type: "task", version: 1, settings: { name: "x" } }, ["body", "settings", "app_id"], /app_id is required/],
      [{ action: "update", type: "pipeline", version: 1, target: pipeline, settings: { nme: "typo" } }, ["body", "settings"], /nothing to update/],
    ];
    for (const [body, loc, msg] of cases) {
      const res = await post(t, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail[0].loc, JSON.stringify(body)).toEqual(loc);
      expect(res.body.detail[0].msg, JSON.stringify(body)).toMatch(msg);
    }
    const unknown = await post(t, { action: "run", type: "pipeline", version: 1, targets: [pipeline] });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(unknown.body.detail)).toMatch(/targets/);
    const notJson = await api("POST", "/api/v2/actions", { token: t, body: "{nope", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(422);
  });

  it("checks roles before doing anything and needs a token", async () => {
    const { tenant, pipeline, task } = await world();
    expect((await post(tenant.tokens.viewer, { action: "run", type: "pipeline", version: 1, target: [pipeline] })).status).toBe(403);
    expect((await post(tenant.tokens.runner, { action: "delete", type: "pipeline", version: 1, target: [pipeline] })).status).toBe(403);
    expect((await post(tenant.tokens.runner, { action: "update", type: "task", version: 1, target: task, settings: { name: "n" } })).status).toBe(403);
    expect((await post(tenant.tokens.viewer, { action: "status", type: "task", version: 1, target: [task] })).status).toBe(200);
    expect((await api("POST", "/api/v2/actions", { body: { action: "status", type: "task", version: 1, target: [task] } })).status).toBe(401);
  });
});

describe("POST /api/v2/actions — every supported action × type", () => {
  it("task: create, update, status, run, stop", async () => {
    const { tenant, ep } = await world();
    const t = tenant.tokens.editor;
    const created = await post(t, { action: "create", type: "task", version: 1, settings: { app_id: tenant.appId, name: "notify", endpoint_id: ep, namespace_id: "ops", payload: { hi: "{{ inputs.who }}" } } });
    expect(created.status).toBe(200);
    const id = created.body.results[0].data.action_id as string;
    expect(created.body).toMatchObject({ action: "create", type: "task", version: 1, results: [{ target: id, ok: true, status: 201, data: { name: "notify", app_id: tenant.appId } }] });
    const badEp = await post(t, { action: "create", type: "task", version: 1, settings: { app_id: tenant.appId, name: "n", endpoint_id: MISSING, namespace_id: "ops" } });
    expect(badEp.status).toBe(422);
    expect(badEp.body.detail[0].loc).toEqual(["body", "endpoint_id"]);
    const updated = await post(t, { action: "update", type: "task", version: 1, target: id, settings: { name: "notify-2" } });
    expect(updated.status).toBe(200);
    expect(updated.body.results[0].data.name).toBe("notify-2");
    const badUpdate = await post(t, { action: "update", type: "task", version: 1, target: id, settings: { max_retries: "x" } });
    expect(badUpdate.status).toBe(422);
    expect(badUpdate.body.detail[0].loc).toEqual(["body", "settings", "max_retries"]);
    const send = vi.spyOn(env.TASKS, "send");
    const run = await post(tenant.tokens.runner, { action: "run", type: "task", version: 1, target: [id], settings: { inputs: { who: "ops" } } });
    expect(run.status).toBe(200);
    expect(run.body.results[0]).toMatchObject({ target: id, ok: true, status: 200, data: { action_id: id, status: "pending" } });
    expect(send).toHaveBeenCalled();
    const status = await post(tenant.tokens.viewer, { action: "status", type: "task", version: 1, target: [id] });
    expect(status.body.results[0].data).toMatchObject({ task: { action_id: id }, state: "running", runs: [{ status: "pending" }] });
    const stop = await post(tenant.tokens.runner, { action: "stop", type: "task", version: 1, target: [id] });
    expect(stop.status).toBe(200);
    expect(stop.body.results[0].data.cancelled_execution_ids).toEqual([run.body.results[0].data.execution_id]);
    const exec = (await db().select().from(executions).where(eq(executions.executionId, run.body.results[0].data.execution_id)))[0]!;
    expect(exec.status).toBe("cancelled");
    const again = await post(tenant.tokens.runner, { action: "stop", type: "task", version: 1, target: [id] });
    expect(again.status).toBe(409);
    expect(again.body.results[0].error.code).toBe("conflict");
  });

  it("pipeline: create, update, status, run, approve, reject, stop, reset, delete", async () => {
    const { tenant } = await world();
    const t = tenant.tokens.editor;
    const created = await post(t, { action: "create", type: "pipeline", version: 1, settings: { name: "gates", app_id: tenant.appId, steps: [{ name: "g1", type: "approval" }, { name: "g2", type: "approval" }] } });
    expect(created.status).toBe(200);
    const id = created.body.results[0].data.pipeline_id as string;
    expect((await post(t, { action: "update", type: "pipeline", version: 1, target: id, settings: { description: "two gates" } })).body.results[0].data.description).toBe("two gates");
    expect((await post(t, { action: "run", type: "pipeline", version: 1, target: [id] })).status).toBe(200);
    expect((await post(t, { action: "approve", type: "pipeline", version: 1, target: [id] })).status).toBe(200);
    const rej = await post(t, { action: "reject", type: "pipeline", version: 1, target: [id], message: "no" });
    expect(rej.status).toBe(200);
    let st = await post(t, { action: "status", type: "pipeline", version: 1, target: [id] });
    expect(st.body.results[0].data).toMatchObject({ state: "failed", current_step: 1, pipeline: { pipeline_id: id, _id: id } });
    expect((await post(t, { action: "run", type: "pipeline", version: 1, target: [id] })).status).toBe(200);
    expect((await post(t, { action: "stop", type: "pipeline", version: 1, target: [id] })).status).toBe(200);
    expect((await post(t, { action: "reset", type: "pipeline", version: 1, target: [id] })).status).toBe(200);
    st = await post(t, { action: "status", type: "pipeline", version: 1, target: [id] });
    expect(st.body.results[0].data).toMatchObject({ state: "idle", current_step: null });
    expect(st.body.results[0].data.runs).toHaveLength(2);
    const del = await post(t, { action: "delete", type: "pipeline", version: 1, target: [id] });
    expect(del.body.results[0]).toMatchObject({ ok: true, status: 200, data: { pipeline_id: id, deleted: true } });
    const gone = await post(t, { action: "status", type: "pipeline", version: 1, target: [id] });
    expect(gone.status).toBe(404);
    expect(gone.body.results[0]).toMatchObject({ ok: false, status: 404, error: { code: "not_found", message: "pipeline not found" } });
  });

  it("batches report each target: 207 when mixed, other tenants' ids are not found, and the call is audited", async () => {
    const { tenant, pipeline } = await world();
    const other = await world();
    const res = await post(tenant.tokens.editor, { action: "status", type: "pipeline", version: 1, target: [pipeline, MISSING, other.pipeline] });
    expect(res.status).toBe(207);
    expect(res.body.results.map((r: { target: string; ok: boolean; status: number }) => [r.target, r.ok, r.status])).toEqual([
      [pipeline, true, 200],
      [MISSING, false, 404],
      [other.pipeline, false, 404],
    ]);
    const run = await post(tenant.tokens.editor, { action: "run", type: "pipeline", version: 1, target: [pipeline, MISSING] });
    expect(run.status).toBe(207);
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.orgId, tenant.orgId), eq(auditLog.action, "run.pipeline")));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ targetType: "pipeline", targetId: `${pipeline},${MISSING}`, statusCode: 207 });
    // The admin token acts across orgs; its call is audited in the target's org.
    expect((await post(ADMIN, { action: "status", type: "pipeline", version: 1, target: [MISSING, pipeline] })).status).toBe(207);
    const byAdmin = await db().select().from(auditLog).where(and(eq(auditLog.orgId, tenant.orgId), eq(auditLog.action, "status.pipeline"), eq(auditLog.actorType, "superuser")));
    expect(byAdmin).toHaveLength(1);
    expect(byAdmin[0]!.targetId).toBe(`${MISSING},${pipeline}`);
  });
});
