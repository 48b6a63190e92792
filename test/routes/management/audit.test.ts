import { describe, expect, it } from "vitest";
import { ADMIN_ACTOR_ID } from "../../../src/core/actor";
import { ADMIN, api, makeTenant } from "../../fixtures";

describe("audit log", () => {
  it("records a management write with actor, action, target, result and status code", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/endpoints`;
    const created = await api("POST", base, { token: t.tokens.editor, body: { name: "e", url: "https://example.com/h" } });
    expect(created.status).toBe(201);
    const log = await api("GET", `/v1/orgs/${t.orgId}/audit-log`, { token: t.tokens.viewer });
    expect(log.status).toBe(200);
    expect(log.body).toEqual(expect.objectContaining({ total: 1, has_more: false, next_cursor: null }));
    const keys = await api("GET", `/v1/orgs/${t.orgId}/api-keys`, { token: t.tokens.admin });
    const editorKey = keys.body.api_keys.find((k: any) => k.role === "editor").key_id;
    expect(log.body.entries[0]).toEqual(expect.objectContaining({
      org_id: t.orgId, actor_type: "api_key", actor_id: editorKey, action: "endpoint.create", target_type: "endpoint",
      target_id: created.body.endpoint_id, result: "success", status_code: 201, created_at: expect.any(String),
    }));
  });

  it("records refused writes as failures, and filters by action, actor and target", async () => {
    const t = await makeTenant();
    const ws = `/v1/orgs/${t.orgId}/workspaces`;
    await api("POST", ws, { token: t.tokens.viewer, body: { name: "x" } }); // 403
    const ok = await api("POST", ws, { token: ADMIN, body: { name: "y" } });
    await api("PUT", `${ws}/${ok.body.workspace_id}`, { token: ADMIN, body: { name: "z" } });

    const all = await api("GET", `/v1/orgs/${t.orgId}/audit-log`, { token: t.tokens.viewer });
    expect(all.body.total).toBe(3);
    expect(all.body.entries.map((e: any) => [e.action, e.result, e.status_code])).toEqual([
      ["workspace.update", "success", 200],
      ["workspace.create", "success", 201],
      ["workspace.create", "failure", 403],
    ]);
    const q = async (s: string) => (await api("GET", `/v1/orgs/${t.orgId}/audit-log?${s}`, { token: t.tokens.viewer })).body.entries;
    expect((await q("action=workspace.update")).length).toBe(1);
    expect((await q(`actor_id=${ADMIN_ACTOR_ID}`)).map((e: any) => e.actor_type)).toEqual(["superuser", "superuser"]);
    expect((await q(`target_id=${ok.body.workspace_id}`)).map((e: any) => e.action)).toEqual(["workspace.update", "workspace.create"]);
    const page = await api("GET", `/v1/orgs/${t.orgId}/audit-log?limit=1`, { token: t.tokens.viewer });
    expect(page.body).toEqual(expect.objectContaining({ has_more: true, next_cursor: expect.any(String) }));
    expect(page.body.entries.length).toBe(1);
  });

  it("records org creation by the operator under the new org", async () => {
    const org = await api("POST", "/v1/orgs", { token: ADMIN, body: { name: "audited" } });
    const log = await api("GET", `/v1/orgs/${org.body.org_id}/audit-log`, { token: ADMIN });
    expect(log.body.entries[0]).toEqual(expect.objectContaining({ action: "org.create", actor_type: "superuser", target_id: org.body.org_id, status_code: 201 }));
  });

  it("hides other tenants' logs (404) and validates limits (422)", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    expect((await api("GET", `/v1/orgs/${a.orgId}/audit-log`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", `/v1/orgs/${a.orgId}/audit-log?limit=0`, { token: a.tokens.viewer })).status).toBe(422);
    expect((await api("GET", `/v1/orgs/${a.orgId}/audit-log?limit=201`, { token: a.tokens.viewer })).status).toBe(422);
  });
});

describe("OpenAPI document", () => {
  it("documents every management route", async () => {
    const doc = (await api("GET", "/openapi.json")).body;
    const paths = doc.paths as Record<string, Record<string, unknown>>;
    const expectOps = (p: string, methods: string[]) => expect(Object.keys(paths[p] ?? {}).sort(), p).toEqual(expect.arrayContaining(methods));
    const crud = ["delete", "get", "patch", "put"];
    expectOps("/v1/orgs", ["get", "post"]);
    expectOps("/v1/orgs/{org_id}", crud);
    expectOps("/v1/orgs/{org_id}/workspaces", ["get", "post"]);
    expectOps("/v1/orgs/{org_id}/workspaces/{workspace_id}", crud);
    expectOps("/v1/orgs/{org_id}/workspaces/{workspace_id}/apps", ["get", "post"]);
    expectOps("/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}", crud);
    expectOps("/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/endpoints", ["get", "post"]);
    expectOps("/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/endpoints/{endpoint_id}", crud);
    expectOps("/v1/orgs/{org_id}/api-keys", ["get", "post"]);
    expectOps("/v1/orgs/{org_id}/api-keys/{key_id}", crud);
    expectOps("/v1/orgs/{org_id}/users", ["get", "post"]);
    expectOps("/v1/orgs/{org_id}/users/{user_id}", crud);
    expectOps("/v1/orgs/{org_id}/connections", ["get", "post"]);
    expectOps("/v1/orgs/{org_id}/connections/{connection_id}", crud);
    expectOps("/v1/orgs/{org_id}/events", ["get"]);
    expectOps("/v1/orgs/{org_id}/events/{event_id}", ["get"]);
    expectOps("/v1/orgs/{org_id}/events/{event_id}/replay", ["post"]);
    expectOps("/v1/orgs/{org_id}/audit-log", ["get"]);
    expectOps("/v1/oauth/token", ["post"]);
    const endpointCreate = paths["/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/endpoints"]!.post as any;
    expect(endpointCreate.responses["201"].content["application/json"].schema).toBeDefined();
    expect(endpointCreate.responses["422"]).toBeDefined();
    expect(doc.components.schemas.TokenRequest).toBeDefined();
    expect(doc.components.securitySchemes.oauth2.flows.password.tokenUrl).toBe("/v1/oauth/token");
  });
});
