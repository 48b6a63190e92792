import { describe, expect, it } from "vitest";
import { ADMIN, api, makeTenant } from "../../fixtures";

describe("orgs", () => {
  it("lets the operator create, read, rename and delete an org", async () => {
    const created = await api("POST", "/v1/orgs", { token: ADMIN, body: { name: "globex", extra: "ignored" } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ org_id: expect.any(String), name: "globex", created_at: expect.any(String), updated_at: expect.any(String) });
    const id = created.body.org_id;

    expect((await api("GET", `/v1/orgs/${id}`, { token: ADMIN })).body.name).toBe("globex");
    const put = await api("PUT", `/v1/orgs/${id}`, { token: ADMIN, body: { name: "globex2" } });
    expect(put.status).toBe(200);
    expect(put.body.name).toBe("globex2");
    const patch = await api("PATCH", `/v1/orgs/${id}`, { token: ADMIN, body: {} });
    expect(patch.body.name).toBe("globex2");

    expect((await api("DELETE", `/v1/orgs/${id}`, { token: ADMIN })).status).toBe(204);
    expect((await api("GET", `/v1/orgs/${id}`, { token: ADMIN })).status).toBe(404);
  });

  it("refuses org creation to org tokens (403) and deletion of their own org (403)", async () => {
    const t = await makeTenant();
    expect((await api("POST", "/v1/orgs", { token: t.tokens.admin, body: { name: "x" } })).status).toBe(403);
    expect((await api("DELETE", `/v1/orgs/${t.orgId}`, { token: t.tokens.admin })).status).toBe(403);
  });

  it("lists every org for the operator and only its own org for an org token", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const mine = await api("GET", "/v1/orgs", { token: a.tokens.viewer });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({ total: 1, has_more: false, next_cursor: null, orgs: [expect.objectContaining({ org_id: a.orgId, name: "a" })] });
    const all = await api("GET", "/v1/orgs?limit=200", { token: ADMIN });
    const ids = all.body.orgs.map((o: { org_id: string }) => o.org_id);
    expect(ids).toEqual(expect.arrayContaining([a.orgId, b.orgId]));
    expect(all.body.total).toBeGreaterThanOrEqual(2);
  });

  it("pages with limit and next_cursor without repeating or skipping", async () => {
    for (let i = 0; i < 3; i++) await makeTenant(`p${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    let total = 0;
    do {
      const page: any = await api("GET", `/v1/orgs?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: ADMIN });
      expect(page.status).toBe(200);
      expect(page.body.orgs.length).toBeLessThanOrEqual(2);
      total = page.body.total;
      seen.push(...page.body.orgs.map((o: { org_id: string }) => o.org_id));
      cursor = page.body.next_cursor;
      expect(page.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);
  });

  it("answers 422 in the FastAPI shape for bad limits, cursors and names", async () => {
    for (const q of ["limit=0", "limit=201", "limit=abc"]) {
      const r = await api("GET", `/v1/orgs?${q}`, { token: ADMIN });
      expect(r.status, q).toBe(422);
      expect(r.body.detail[0].loc).toEqual(["query", "limit"]);
      expect(r.body.detail[0]).toEqual(expect.objectContaining({ msg: expect.any(String), type: expect.any(String) }));
    }
    const cur = await api("GET", "/v1/orgs?cursor=nope", { token: ADMIN });
    expect(cur.status).toBe(422);
    expect(cur.body.detail[0].loc).toEqual(["query", "cursor"]);
    const missing = await api("POST", "/v1/orgs", { token: ADMIN, body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0].loc).toEqual(["body", "name"]);
    const blank = await api("POST", "/v1/orgs", { token: ADMIN, body: { name: "  " } });
    expect(blank.status).toBe(422);
    const broken = await api("POST", "/v1/orgs", { token: ADMIN, body: "{not json" });
    expect(broken.status).toBe(422);
  });

  it("hides other orgs: 404 for another tenant's org id", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    expect((await api("GET", `/v1/orgs/${a.orgId}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("PUT", `/v1/orgs/${a.orgId}`, { token: b.tokens.admin, body: { name: "pwned" } })).status).toBe(404);
    expect((await api("DELETE", `/v1/orgs/${a.orgId}`, { token: b.tokens.admin })).status).toBe(404);
  });

  it("lets only admins rename their org", async () => {
    const t = await makeTenant();
    expect((await api("PUT", `/v1/orgs/${t.orgId}`, { token: t.tokens.editor, body: { name: "x" } })).status).toBe(403);
    expect((await api("PUT", `/v1/orgs/${t.orgId}`, { token: t.tokens.admin, body: { name: "x" } })).status).toBe(200);
  });

  it("deleting an org revokes its keys", async () => {
    const t = await makeTenant();
    expect((await api("DELETE", `/v1/orgs/${t.orgId}`, { token: ADMIN })).status).toBe(204);
    expect((await api("GET", "/v1/orgs", { token: t.tokens.admin })).status).toBe(401);
  });
});
