import { describe, expect, it } from "vitest";
import { ActionOut } from "../../../src/faces/actions/schema";
import { api, makeEndpoint, makeTenant } from "../../fixtures";
import { actionsPath, createAction, makeTrigger } from "./helpers";

const DOC_FIELDS = [
  "action_id", "workspace_id", "app_id", "endpoint_id", "name", "description", "namespace_id", "thread_mode", "thread_id", "thread_id_template",
  "payload", "action_type", "schedule_type", "cron_expression", "scheduled_at", "timezone", "max_retries", "retry_delay_seconds", "is_enabled",
  "is_running", "next_run_at", "last_run_at", "last_run_status", "last_execution_id", "total_runs", "successful_runs", "failed_runs", "created_by",
  "created_at", "updated_at", "trigger_ids", "filter", "approval_required", "manual_inputs_schema", "headers_template", "entity_type", "owner",
];

describe("actions CRUD", () => {
  it("creates an action with every documented field and defaults", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { description: "tell the team" });
    for (const f of DOC_FIELDS) expect(a).toHaveProperty(f);
    expect(ActionOut.safeParse(a).success).toBe(true);
    expect(a).toMatchObject({
      workspace_id: t.workspaceId, app_id: t.appId, name: "notify", description: "tell the team", namespace_id: "ns-1", thread_mode: "new_each_run",
      payload: {}, action_type: "trigger", schedule_type: null, max_retries: 0, retry_delay_seconds: 60, is_enabled: true, is_running: false,
      next_run_at: null, total_runs: 0, successful_runs: 0, failed_runs: 0, trigger_ids: [], filter: null, approval_required: false,
    });
  });

  it("gets, updates partially, enables/disables and deletes", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { payload: { text: "hi" } });
    const path = `${actionsPath(t)}/${a.action_id}`;
    expect((await api("GET", path, { token: t.tokens.viewer })).body).toEqual(a);
    const up = await api("PUT", path, { token: t.tokens.editor, body: { description: "changed" } });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ description: "changed", name: "notify", payload: { text: "hi" } });
    expect((await api("POST", `${path}/disable`, { token: t.tokens.editor })).body.is_enabled).toBe(false);
    expect((await api("POST", `${path}/enable`, { token: t.tokens.editor })).body.is_enabled).toBe(true);
    const del = await api("DELETE", path, { token: t.tokens.editor });
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    expect((await api("GET", path, { token: t.tokens.viewer })).status).toBe(404);
  });

  it("lists with search, limit and cursor pagination", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.example.com/x");
    for (let i = 0; i < 5; i++) await createAction(t, { name: `job ${i}`, endpoint_id: ep, description: i === 3 ? "special one" : null });
    const p1 = await api("GET", `${actionsPath(t)}?limit=2`, { token: t.tokens.viewer });
    expect(p1.body).toMatchObject({ total: 5, has_more: true });
    expect(p1.body.actions.map((a: any) => a.name)).toEqual(["job 4", "job 3"]);
    const p2 = await api("GET", `${actionsPath(t)}?limit=2&cursor=${p1.body.next_cursor}`, { token: t.tokens.viewer });
    expect(p2.body.actions.map((a: any) => a.name)).toEqual(["job 2", "job 1"]);
    const p3 = await api("GET", `${actionsPath(t)}?limit=2&cursor=${p2.body.next_cursor}`, { token: t.tokens.viewer });
    expect(p3.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(p3.body.actions).toHaveLength(1);
    const s = await api("GET", `${actionsPath(t)}?search=special`, { token: t.tokens.viewer });
    expect(s.body.total).toBe(1);
    expect(s.body.actions[0].name).toBe("job 3");
    expect((await api("GET", `${actionsPath(t)}?search=job%201`, { token: t.tokens.viewer })).body.total).toBe(1);
  });

  it.each([0, 201])("answers 422 for limit=%i", async (limit) => {
    const t = await makeTenant();
    const r = await api("GET", `${actionsPath(t)}?limit=${limit}`, { token: t.tokens.viewer });
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({ loc: ["query", "limit"] });
    expect(r.body.detail[0]).toHaveProperty("msg");
    expect(r.body.detail[0]).toHaveProperty("type");
  });

  it.each(["name", "endpoint_id", "namespace_id"])("answers 422 when %s is missing", async (field) => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.example.com/x");
    const body: Record<string, unknown> = { name: "n", endpoint_id: ep, namespace_id: "ns" };
    delete body[field];
    const r = await api("POST", actionsPath(t), { token: t.tokens.editor, body });
    expect(r.status).toBe(422);
    expect(r.body.detail.map((d: any) => d.loc)).toContainEqual(["body", field]);
  });

  it("refuses an endpoint of another app with 422", async () => {
    const t = await makeTenant();
    const other = await makeTenant("other");
    const foreign = await makeEndpoint(other, "https://receiver.example.com/x");
    const r = await api("POST", actionsPath(t), { token: t.tokens.editor, body: { name: "n", endpoint_id: foreign, namespace_id: "ns" } });
    expect(r.status).toBe(422);
    expect(r.body.detail[0].loc).toEqual(["body", "endpoint_id"]);
  });

  it.each([
    [{ schedule_type: "cron", cron_expression: "61 * * * *" }, ["body", "cron_expression"]],
    [{ schedule_type: "cron", cron_expression: "* * *" }, ["body", "cron_expression"]],
    [{ schedule_type: "cron", cron_expression: "0 9 * * *", timezone: "Mars/Olympus" }, ["body", "timezone"]],
    [{ schedule_type: "once", scheduled_at: "2001-01-01T00:00:00Z" }, ["body", "scheduled_at"]],
    [{ schedule_type: "once" }, ["body", "scheduled_at"]],
    [{ thread_mode: "fixed" }, ["body", "thread_id"]],
    [{ filter: { body: { amount: { $gtx: 3 } } } }, ["body", "filter", "body", "amount", "$gtx"]],
    [{ manual_inputs_schema: { type: "strange" } }, ["body", "manual_inputs_schema"]],
    [{ payload: { text: "{{ event.body | nosuchfilter }}" } }, ["body", "payload", "text"]],
    [{ trigger_ids: ["00000000-0000-7000-8000-000000000000"] }, ["body", "trigger_ids", 0]],
    [{ thread_mode: "sometimes" }, ["body", "thread_mode"]],
  ])("answers 422 for invalid config %j", async (extra, loc) => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.example.com/x");
    const r = await api("POST", actionsPath(t), { token: t.tokens.editor, body: { name: "n", endpoint_id: ep, namespace_id: "ns", ...extra } });
    expect(r.status).toBe(422);
    expect(r.body.detail[0].loc).toEqual(loc);
    expect(typeof r.body.detail[0].msg).toBe("string");
  });

  it("accepts trigger_ids of the same app and a cron schedule with next_run_at", async () => {
    const t = await makeTenant();
    const trig = await makeTrigger(t);
    const a = await createAction(t, { trigger_ids: [trig], schedule_type: "cron", cron_expression: "0 9 * * *", timezone: "Europe/Paris" });
    expect(a.trigger_ids).toEqual([trig]);
    expect(a.action_type).toBe("scheduled");
    expect(a.next_run_at).toMatch(/T0[78]:00:00\.000Z$/);
    const off = await api("POST", `${actionsPath(t)}/${a.action_id}/disable`, { token: t.tokens.editor });
    expect(off.body.next_run_at).toBeNull();
    const on = await api("POST", `${actionsPath(t)}/${a.action_id}/enable`, { token: t.tokens.editor });
    expect(on.body.next_run_at).toBe(a.next_run_at);
  });

  it("hides other tenants' actions (404) and refuses writes by viewers (403)", async () => {
    const t = await makeTenant();
    const other = await makeTenant("other");
    const a = await createAction(t);
    const path = `${actionsPath(t)}/${a.action_id}`;
    expect((await api("GET", path, { token: other.tokens.admin })).status).toBe(404);
    expect((await api("GET", actionsPath(t), { token: other.tokens.admin })).status).toBe(404);
    // right org, wrong app in the path
    const wrongApp = `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${other.appId}/actions/${a.action_id}`;
    expect((await api("GET", wrongApp, { token: t.tokens.admin })).status).toBe(404);
    expect((await api("PUT", path, { token: t.tokens.viewer, body: { name: "x" } })).status).toBe(403);
    expect((await api("DELETE", path, { token: t.tokens.runner })).status).toBe(403);
    expect((await api("POST", `${path}/trigger`, { token: t.tokens.viewer })).status).toBe(403);
    expect((await api("POST", actionsPath(t), { token: t.tokens.viewer, body: { name: "n", endpoint_id: a.endpoint_id, namespace_id: "n" } })).status).toBe(403);
  });

  it("answers malformed JSON with a FastAPI-style 422 and documents every route in /openapi.json", async () => {
    const t = await makeTenant();
    const bad = await api("POST", actionsPath(t), { token: t.tokens.editor, body: "{not json", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc[0]).toBe("body");
    const doc = await api("GET", "/openapi.json");
    const base = "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/actions";
    expect(Object.keys(doc.body.paths[base])).toEqual(expect.arrayContaining(["get", "post"]));
    expect(Object.keys(doc.body.paths[`${base}/{action_id}`])).toEqual(expect.arrayContaining(["get", "put", "delete"]));
    for (const p of ["enable", "disable", "trigger", "runs", "runs/{run_id}"]) expect(doc.body.paths[`${base}/{action_id}/${p}`]).toBeTruthy();
  });
});
