import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConnectionSecrets } from "../../../src/services/connection-secrets";
import { api, db, makeTenant } from "../../fixtures";

const SIGNING = "whsec_c2VjcmV0LXZhbHVlLW5ldmVyLXNob3du";
const TOKEN = "ghp_neverEverShowThisTokenInResponses";

describe("connections", () => {
  it("seals secrets, shows only their key names, and replaces them wholesale on update", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/connections`;
    const c = await api("POST", base, { token: t.tokens.admin, body: { provider_id: "stripe", name: "Stripe live", secrets: { signing_secret: SIGNING, api_token: TOKEN } } });
    expect(c.status).toBe(201);
    expect(c.body).toEqual({ connection_id: expect.any(String), org_id: t.orgId, provider_id: "stripe", name: "Stripe live", secret_keys: ["api_token", "signing_secret"], created_at: expect.any(String), updated_at: expect.any(String) });
    const id = c.body.connection_id;
    const texts = [JSON.stringify(c.body)];
    texts.push(JSON.stringify((await api("GET", `${base}/${id}`, { token: t.tokens.viewer })).body));
    texts.push(JSON.stringify((await api("GET", base, { token: t.tokens.viewer })).body));
    const u = await api("PUT", `${base}/${id}`, { token: t.tokens.admin, body: { secrets: { signing_secret: `${SIGNING}2` } } });
    expect(u.status).toBe(200);
    expect(u.body).toEqual(expect.objectContaining({ name: "Stripe live", provider_id: "stripe", secret_keys: ["signing_secret"] }));
    texts.push(JSON.stringify(u.body));
    for (const text of texts) {
      expect(text).not.toContain(SIGNING);
      expect(text).not.toContain(TOKEN);
    }
    const opened = await loadConnectionSecrets(db(), env.ENCRYPTION_KEY, t.orgId, id);
    expect(opened.secrets).toEqual({ signing_secret: `${SIGNING}2` });

    const renamed = await api("PATCH", `${base}/${id}`, { token: t.tokens.admin, body: { name: "Stripe" } });
    expect(renamed.body.secret_keys).toEqual(["signing_secret"]);
    expect((await loadConnectionSecrets(db(), env.ENCRYPTION_KEY, t.orgId, id)).secrets).toEqual({ signing_secret: `${SIGNING}2` });
    expect((await api("DELETE", `${base}/${id}`, { token: t.tokens.admin })).status).toBe(204);
    expect((await api("GET", `${base}/${id}`, { token: t.tokens.viewer })).status).toBe(404);
  });

  it("requires admin to write, lets viewers read, 404s other tenants, 422s bad bodies", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const base = `/v1/orgs/${a.orgId}/connections`;
    const body = { provider_id: "github", name: "gh", secrets: { signing_secret: "s" } };
    expect((await api("POST", base, { token: a.tokens.editor, body })).status).toBe(403);
    const c = await api("POST", base, { token: a.tokens.admin, body });
    expect((await api("GET", `${base}/${c.body.connection_id}`, { token: a.tokens.viewer })).status).toBe(200);
    expect((await api("PUT", `${base}/${c.body.connection_id}`, { token: a.tokens.editor, body: { name: "x" } })).status).toBe(403);
    expect((await api("DELETE", `${base}/${c.body.connection_id}`, { token: a.tokens.editor })).status).toBe(403);
    expect((await api("GET", `${base}/${c.body.connection_id}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", `/v1/orgs/${b.orgId}/connections/${c.body.connection_id}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("PUT", `/v1/orgs/${b.orgId}/connections/${c.body.connection_id}`, { token: b.tokens.admin, body: { name: "x" } })).status).toBe(404);
    expect((await api("DELETE", `/v1/orgs/${b.orgId}/connections/${c.body.connection_id}`, { token: b.tokens.admin })).status).toBe(404);
    for (const [bad, field] of [[{ ...body, secrets: "nope" }, "secrets"], [{ ...body, provider_id: "Bad Id" }, "provider_id"], [{ name: "x", secrets: {} }, "provider_id"]] as const) {
      const r = await api("POST", base, { token: a.tokens.admin, body: bad });
      expect(r.status).toBe(422);
      expect(r.body.detail[0].loc).toEqual(["body", field]);
    }
  });

  it("refuses (422 at body.secrets) secrets that would leave an attached signed trigger without a usable secret, and a provider change while triggers use it (409)", async () => {
    const t = await makeTenant("rotate");
    const base = `/v1/orgs/${t.orgId}/connections`;
    const c = await api("POST", base, { token: t.tokens.admin, body: { provider_id: "github", name: "gh", secrets: { signing_secret: "one" } } });
    const id = c.body.connection_id;
    const trig = await api("POST", `/projects/${t.appId}/triggers`, { token: t.tokens.admin, body: { provider_id: "github", trigger_id: "on_any_event", connection_id: id } });
    expect(trig.status).toBe(201);
    for (const secrets of [{ client_state: "x" }, { signing_secret: "" }, {}]) {
      const r = await api("PUT", `${base}/${id}`, { token: t.tokens.admin, body: { secrets } });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.detail[0]).toMatchObject({ loc: ["body", "secrets"], msg: expect.stringMatching(/secrets\.signing_secret/) });
      expect(r.body.detail[0].msg).toContain(trig.body.project_trigger_id);
    }
    expect((await loadConnectionSecrets(db(), env.ENCRYPTION_KEY, t.orgId, id)).secrets).toEqual({ signing_secret: "one" });
    expect((await api("PUT", `${base}/${id}`, { token: t.tokens.admin, body: { secrets: { signing_secret: "two" } } })).status).toBe(200);
    const moved = await api("PATCH", `${base}/${id}`, { token: t.tokens.admin, body: { provider_id: "stripe" } });
    expect(moved.status).toBe(409);
    expect(moved.body.detail[0].msg).toMatch(/provider_id/);
    // Unattached connections may hold anything.
    const free = await api("POST", base, { token: t.tokens.admin, body: { provider_id: "github", name: "api", secrets: { signing_secret: "s" } } });
    expect((await api("PUT", `${base}/${free.body.connection_id}`, { token: t.tokens.admin, body: { provider_id: "http", secrets: { bearer_token: "b" } } })).status).toBe(200);
  });
});
