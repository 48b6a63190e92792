import { describe, expect, it } from "vitest";
import { ADMIN, api, makeEndpoint, makeTenant } from "../../fixtures";

describe("workspaces", () => {
  it("creates, lists, reads, updates (PUT and PATCH) and deletes", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/workspaces`;
    const c = await api("POST", base, { token: t.tokens.editor, body: { name: "staging", unknown_field: 1 } });
    expect(c.status).toBe(201);
    expect(c.body).toEqual({ workspace_id: expect.any(String), org_id: t.orgId, name: "staging", created_at: expect.any(String), updated_at: expect.any(String) });
    const id = c.body.workspace_id;

    const list = await api("GET", base, { token: t.tokens.viewer });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    expect(list.body.workspaces.map((w: any) => w.workspace_id)).toEqual([id, t.workspaceId]); // newest first

    expect((await api("GET", `${base}/${id}`, { token: t.tokens.viewer })).body.name).toBe("staging");
    const put = await api("PUT", `${base}/${id}`, { token: t.tokens.editor, body: { name: "stage" } });
    expect(put.status).toBe(200);
    expect(put.body.name).toBe("stage");
    const patch = await api("PATCH", `${base}/${id}`, { token: t.tokens.editor, body: { name: "stage2" } });
    expect(patch.body).toEqual(expect.objectContaining({ workspace_id: id, name: "stage2" }));

    expect((await api("DELETE", `${base}/${id}`, { token: t.tokens.editor })).status).toBe(204);
    expect((await api("GET", `${base}/${id}`, { token: t.tokens.viewer })).status).toBe(404);
  });

  it("refuses writes to viewers and runners (403) but lets them read", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/workspaces`;
    for (const role of ["viewer", "runner"] as const) {
      expect((await api("POST", base, { token: t.tokens[role], body: { name: "x" } })).status).toBe(403);
      expect((await api("PUT", `${base}/${t.workspaceId}`, { token: t.tokens[role], body: { name: "x" } })).status).toBe(403);
      expect((await api("DELETE", `${base}/${t.workspaceId}`, { token: t.tokens[role] })).status).toBe(403);
      expect((await api("GET", `${base}/${t.workspaceId}`, { token: t.tokens[role] })).status).toBe(200);
    }
  });

  it("answers 404 to another tenant for every verb", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const ws = `/v1/orgs/${a.orgId}/workspaces`;
    expect((await api("GET", ws, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("POST", ws, { token: b.tokens.admin, body: { name: "x" } })).status).toBe(404);
    expect((await api("GET", `${ws}/${a.workspaceId}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("PUT", `${ws}/${a.workspaceId}`, { token: b.tokens.admin, body: { name: "x" } })).status).toBe(404);
    expect((await api("DELETE", `${ws}/${a.workspaceId}`, { token: b.tokens.admin })).status).toBe(404);
    // Org B's own path with org A's workspace id: still not found.
    expect((await api("GET", `/v1/orgs/${b.orgId}/workspaces/${a.workspaceId}`, { token: b.tokens.admin })).status).toBe(404);
  });

  it("refuses to delete a workspace that still has apps (409)", async () => {
    const t = await makeTenant();
    const r = await api("DELETE", `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}`, { token: t.tokens.editor });
    expect(r.status).toBe(409);
    expect(r.body.detail[0].msg).toMatch(/still has 1 app/);
  });

  it("validates bodies and pagination with 422", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/workspaces`;
    const missing = await api("POST", base, { token: t.tokens.editor, body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0]).toEqual(expect.objectContaining({ loc: ["body", "name"], type: expect.any(String), msg: expect.any(String) }));
    const wrongType = await api("POST", base, { token: t.tokens.editor, body: { name: 42 } });
    expect(wrongType.status).toBe(422);
    for (const q of ["limit=0", "limit=201"]) {
      const r = await api("GET", `${base}?${q}`, { token: t.tokens.viewer });
      expect(r.status).toBe(422);
      expect(r.body.detail[0].loc).toEqual(["query", "limit"]);
    }
  });

  it("404s the operator on an org that does not exist", async () => {
    expect((await api("POST", "/v1/orgs/00000000-0000-7000-8000-000000000000/workspaces", { token: ADMIN, body: { name: "x" } })).status).toBe(404);
  });
});

describe("apps", () => {
  it("creates, lists, reads, updates and deletes under a workspace", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps`;
    const c = await api("POST", base, { token: t.tokens.editor, body: { name: "billing" } });
    expect(c.status).toBe(201);
    expect(c.body).toEqual({ app_id: expect.any(String), workspace_id: t.workspaceId, org_id: t.orgId, name: "billing", created_at: expect.any(String), updated_at: expect.any(String) });
    const id = c.body.app_id;
    const list = await api("GET", `${base}?limit=1`, { token: t.tokens.viewer });
    expect(list.body).toEqual({ total: 2, has_more: true, next_cursor: expect.any(String), apps: [expect.objectContaining({ app_id: id })] });
    const next = await api("GET", `${base}?limit=1&cursor=${list.body.next_cursor}`, { token: t.tokens.viewer });
    expect(next.body).toEqual({ total: 2, has_more: false, next_cursor: null, apps: [expect.objectContaining({ app_id: t.appId })] });
    expect((await api("PATCH", `${base}/${id}`, { token: t.tokens.editor, body: { name: "billing2" } })).body.name).toBe("billing2");
    expect((await api("GET", `${base}/${id}`, { token: t.tokens.viewer })).body.name).toBe("billing2");
    expect((await api("DELETE", `${base}/${id}`, { token: t.tokens.editor })).status).toBe(204);
  });

  it("404s an app addressed through a workspace it does not belong to", async () => {
    const t = await makeTenant();
    const ws2 = (await api("POST", `/v1/orgs/${t.orgId}/workspaces`, { token: t.tokens.editor, body: { name: "other" } })).body.workspace_id;
    const wrong = `/v1/orgs/${t.orgId}/workspaces/${ws2}/apps/${t.appId}`;
    expect((await api("GET", wrong, { token: t.tokens.viewer })).status).toBe(404);
    expect((await api("PUT", wrong, { token: t.tokens.editor, body: { name: "x" } })).status).toBe(404);
    expect((await api("DELETE", wrong, { token: t.tokens.editor })).status).toBe(404);
    expect((await api("GET", `/v1/orgs/${t.orgId}/workspaces/${ws2}/apps`, { token: t.tokens.viewer })).body.total).toBe(0);
  });

  it("answers 404 to another tenant and 403 to viewers", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const base = `/v1/orgs/${a.orgId}/workspaces/${a.workspaceId}/apps`;
    expect((await api("GET", base, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", `${base}/${a.appId}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("POST", base, { token: b.tokens.admin, body: { name: "x" } })).status).toBe(404);
    expect((await api("GET", `/v1/orgs/${b.orgId}/workspaces/${b.workspaceId}/apps/${a.appId}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("POST", base, { token: a.tokens.viewer, body: { name: "x" } })).status).toBe(403);
    expect((await api("DELETE", `${base}/${a.appId}`, { token: a.tokens.viewer })).status).toBe(403);
  });

  it("refuses to delete an app that still has endpoints (409)", async () => {
    const t = await makeTenant();
    await makeEndpoint(t, "https://example.com/hook");
    const r = await api("DELETE", `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}`, { token: t.tokens.editor });
    expect(r.status).toBe(409);
    expect(r.body.detail[0].msg).toMatch(/1 endpoint/);
  });
});
