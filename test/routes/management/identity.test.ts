import { describe, expect, it } from "vitest";
import { ADMIN_ACTOR_ID } from "../../../src/core/actor";
import { SYSTEM_ACTOR } from "../../../src/core/context";
import { ADMIN, api, makeTenant } from "../../fixtures";

describe("api keys", () => {
  it("shows the token once, never its hash, and the token works", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/api-keys`;
    const c = await api("POST", base, { token: t.tokens.admin, body: { name: "ci", role: "runner" } });
    expect(c.status).toBe(201);
    expect(c.body).toEqual(expect.objectContaining({ key_id: expect.any(String), name: "ci", role: "runner", token: expect.stringMatching(/^sy_/), created_at: expect.any(String) }));
    expect(c.body.token_hash).toBeUndefined();
    const token = c.body.token as string;
    const secretPart = token.split("_").pop()!;

    const g = await api("GET", `${base}/${c.body.key_id}`, { token: t.tokens.admin });
    expect(g.body).toEqual({ key_id: c.body.key_id, org_id: t.orgId, name: "ci", role: "runner", created_at: expect.any(String), updated_at: expect.any(String), revoked_at: null, last_used_at: null });
    const l = await api("GET", base, { token: t.tokens.admin });
    expect(l.body.total).toBe(5);
    for (const text of [JSON.stringify(g.body), JSON.stringify(l.body)]) {
      expect(text).not.toContain(secretPart);
      expect(text).not.toContain("token");
    }
    // The new key authenticates with its role: runner reads, cannot create workspaces.
    expect((await api("GET", `/v1/orgs/${t.orgId}`, { token })).status).toBe(200);
    expect((await api("POST", `/v1/orgs/${t.orgId}/workspaces`, { token, body: { name: "x" } })).status).toBe(403);
  });

  it("revokes on DELETE: the key then gets 401 and stays listed with revoked_at", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/api-keys`;
    const c = await api("POST", base, { token: t.tokens.admin, body: { name: "tmp", role: "admin" } });
    expect((await api("GET", `/v1/orgs/${t.orgId}`, { token: c.body.token })).status).toBe(200);
    expect((await api("DELETE", `${base}/${c.body.key_id}`, { token: t.tokens.admin })).status).toBe(204);
    const after = await api("GET", `/v1/orgs/${t.orgId}`, { token: c.body.token });
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect((await api("GET", `${base}/${c.body.key_id}`, { token: t.tokens.admin })).body.revoked_at).toEqual(expect.any(String));
    expect((await api("DELETE", `${base}/${c.body.key_id}`, { token: t.tokens.admin })).status).toBe(204); // idempotent
  });

  it("changes name and role with PUT/PATCH; the role applies on the next request", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/api-keys`;
    const c = await api("POST", base, { token: t.tokens.admin, body: { name: "k", role: "viewer" } });
    expect((await api("POST", `/v1/orgs/${t.orgId}/workspaces`, { token: c.body.token, body: { name: "x" } })).status).toBe(403);
    const u = await api("PATCH", `${base}/${c.body.key_id}`, { token: t.tokens.admin, body: { role: "editor" } });
    expect(u.body).toEqual(expect.objectContaining({ name: "k", role: "editor" }));
    expect((await api("POST", `/v1/orgs/${t.orgId}/workspaces`, { token: c.body.token, body: { name: "x" } })).status).toBe(201);
  });

  it("is admin-only (403 for editors), 404 across tenants, 422 on a bad role", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const base = `/v1/orgs/${a.orgId}/api-keys`;
    expect((await api("POST", base, { token: a.tokens.editor, body: { name: "x", role: "viewer" } })).status).toBe(403);
    expect((await api("GET", base, { token: a.tokens.editor })).status).toBe(403);
    expect((await api("GET", base, { token: b.tokens.admin })).status).toBe(404);
    const keyId = (await api("GET", base, { token: a.tokens.admin })).body.api_keys[0].key_id;
    expect((await api("GET", `${base}/${keyId}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("DELETE", `${base}/${keyId}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("DELETE", `/v1/orgs/${b.orgId}/api-keys/${keyId}`, { token: b.tokens.admin })).status).toBe(404);
    const bad = await api("POST", base, { token: a.tokens.admin, body: { name: "x", role: "owner" } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(["body", "role"]);
  });
});

describe("users", () => {
  const alice = { email: "Alice@Example.com", name: "Alice", role: "editor", password: "correct horse battery" };

  it("creates, reads, lists, updates and deletes without ever returning the password", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/users`;
    const email = `u${crypto.randomUUID()}@example.com`;
    const c = await api("POST", base, { token: t.tokens.admin, body: { ...alice, email } });
    expect(c.status).toBe(201);
    expect(c.body).toEqual({ user_id: expect.any(String), org_id: t.orgId, email, name: "Alice", role: "editor", created_at: expect.any(String), updated_at: expect.any(String) });
    const texts = [JSON.stringify(c.body)];
    texts.push(JSON.stringify((await api("GET", `${base}/${c.body.user_id}`, { token: t.tokens.admin })).body));
    texts.push(JSON.stringify((await api("GET", base, { token: t.tokens.admin })).body));
    const u = await api("PUT", `${base}/${c.body.user_id}`, { token: t.tokens.admin, body: { role: "viewer", password: "another long password" } });
    expect(u.body).toEqual(expect.objectContaining({ role: "viewer", name: "Alice", email }));
    texts.push(JSON.stringify(u.body));
    for (const text of texts) {
      expect(text).not.toContain(alice.password);
      expect(text).not.toContain("another long password");
      expect(text).not.toContain("pbkdf2");
    }
    expect((await api("DELETE", `${base}/${c.body.user_id}`, { token: t.tokens.admin })).status).toBe(204);
    expect((await api("GET", `${base}/${c.body.user_id}`, { token: t.tokens.admin })).status).toBe(404);
  });

  it("keeps emails unique across orgs (409), case-insensitively", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const email = `dup${crypto.randomUUID()}@example.com`;
    expect((await api("POST", `/v1/orgs/${a.orgId}/users`, { token: a.tokens.admin, body: { ...alice, email } })).status).toBe(201);
    const dup = await api("POST", `/v1/orgs/${b.orgId}/users`, { token: b.tokens.admin, body: { ...alice, email: email.toUpperCase() } });
    expect(dup.status).toBe(409);
    expect(dup.body.detail[0].type).toBe("conflict");
    const other = await api("POST", `/v1/orgs/${b.orgId}/users`, { token: b.tokens.admin, body: { ...alice, email: `x${email}` } });
    const clash = await api("PATCH", `/v1/orgs/${b.orgId}/users/${other.body.user_id}`, { token: b.tokens.admin, body: { email } });
    expect(clash.status).toBe(409);
  });

  it("validates email, password and role; admin only; 404 across tenants", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const base = `/v1/orgs/${a.orgId}/users`;
    for (const [body, field] of [[{ ...alice, email: "nope" }, "email"], [{ ...alice, password: "short" }, "password"], [{ ...alice, role: "root" }, "role"]] as const) {
      const r = await api("POST", base, { token: a.tokens.admin, body });
      expect(r.status).toBe(422);
      expect(r.body.detail[0].loc).toEqual(["body", field]);
    }
    expect((await api("POST", base, { token: a.tokens.editor, body: alice })).status).toBe(403);
    expect((await api("GET", base, { token: a.tokens.viewer })).status).toBe(403);
    const u = await api("POST", base, { token: a.tokens.admin, body: { ...alice, email: `z${crypto.randomUUID()}@example.com` } });
    expect((await api("GET", `${base}/${u.body.user_id}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("PUT", `/v1/orgs/${b.orgId}/users/${u.body.user_id}`, { token: b.tokens.admin, body: { name: "x" } })).status).toBe(404);
    expect((await api("DELETE", `/v1/orgs/${b.orgId}/users/${u.body.user_id}`, { token: b.tokens.admin })).status).toBe(404);
  });
});

describe("admin and system identities", () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it("a trigger created with the admin token has a UUID created_by (the documented admin identity)", async () => {
    const t = await makeTenant();
    const res = await api("POST", `/projects/${t.appId}/triggers`, { token: ADMIN, body: { provider_id: "webhook", trigger_id: "on_any_event" } });
    expect(res.status).toBe(201);
    expect(res.body.created_by).toMatch(UUID);
    expect(res.body.created_by).toBe(ADMIN_ACTOR_ID);
    expect(SYSTEM_ACTOR.id).toMatch(UUID);
    expect(SYSTEM_ACTOR.id).not.toBe(ADMIN_ACTOR_ID);
  });
});
