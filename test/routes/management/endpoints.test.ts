import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { decryptSecret } from "../../../src/core/crypto";
import { endpoints } from "../../../src/db/schema";
import { api, db, makeTenant, type Tenant } from "../../fixtures";

const base = (t: Tenant) => `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/endpoints`;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("endpoints", () => {
  it("creates with defaults and never returns the secret (create, get, list, update)", async () => {
    const t = await makeTenant();
    const c = await api("POST", base(t), { token: t.tokens.editor, body: { name: "recv", url: "https://example.com/hook", secret: SECRET } });
    expect(c.status).toBe(201);
    expect(c.body).toEqual({
      endpoint_id: expect.any(String), org_id: t.orgId, workspace_id: t.workspaceId, app_id: t.appId, name: "recv", url: "https://example.com/hook",
      method: "POST", headers: {}, timeout_seconds: 30, has_secret: true, created_at: expect.any(String), updated_at: expect.any(String),
      circuit_breaker: { enabled: true, failure_threshold: 20, failing_for_seconds: 86400, probe_interval_seconds: 60 },
      rate_limit: null, max_concurrency: null, ordering: "none",
      circuit: { state: "closed", reason: null, changed_at: null, consecutive_failures: 0, failing_since: null, next_probe_at: null, last_failure: null },
    });
    const id = c.body.endpoint_id;
    const texts = [JSON.stringify(c.body)];
    texts.push(JSON.stringify((await api("GET", `${base(t)}/${id}`, { token: t.tokens.viewer })).body));
    texts.push(JSON.stringify((await api("GET", base(t), { token: t.tokens.viewer })).body));
    const u = await api("PUT", `${base(t)}/${id}`, { token: t.tokens.editor, body: { timeout_seconds: 10 } });
    expect(u.body).toEqual(expect.objectContaining({ timeout_seconds: 10, has_secret: true, name: "recv" }));
    texts.push(JSON.stringify(u.body));
    for (const text of texts) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain("secret_enc");
      expect(text).not.toContain("v1.");
    }
    // Encrypted at rest: the column holds ciphertext that opens to the secret.
    const row = (await db().select().from(endpoints).where(eq(endpoints.endpointId, id)))[0]!;
    expect(row.secretEnc).not.toContain(SECRET);
    expect(await decryptSecret(env.ENCRYPTION_KEY, row.secretEnc!)).toBe(SECRET);
  });

  it('generates a whsec_ secret on "generate" and shows it exactly once', async () => {
    const t = await makeTenant();
    const c = await api("POST", base(t), { token: t.tokens.editor, body: { name: "gen", url: "https://example.com/h", secret: "generate" } });
    expect(c.status).toBe(201);
    expect(c.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(c.body.has_secret).toBe(true);
    const generated = c.body.secret as string;
    const g = await api("GET", `${base(t)}/${c.body.endpoint_id}`, { token: t.tokens.viewer });
    expect(g.body.secret).toBeUndefined();
    expect(JSON.stringify(g.body)).not.toContain(generated);
    const row = (await db().select().from(endpoints).where(eq(endpoints.endpointId, c.body.endpoint_id)))[0]!;
    expect(await decryptSecret(env.ENCRYPTION_KEY, row.secretEnc!)).toBe(generated);

    const rotated = await api("PATCH", `${base(t)}/${c.body.endpoint_id}`, { token: t.tokens.editor, body: { secret: "generate" } });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(generated);
    const removed = await api("PATCH", `${base(t)}/${c.body.endpoint_id}`, { token: t.tokens.editor, body: { secret: null } });
    expect(removed.body.has_secret).toBe(false);
    expect(removed.body.secret).toBeUndefined();
  });

  it("keeps method, headers and timeout and lets PUT change only what it names", async () => {
    const t = await makeTenant();
    const c = await api("POST", base(t), { token: t.tokens.editor, body: { name: "e", url: "https://example.com/a", method: "PUT", headers: { "X-Team": "core" }, timeout_seconds: 120 } });
    expect(c.body).toEqual(expect.objectContaining({ method: "PUT", headers: { "X-Team": "core" }, timeout_seconds: 120, has_secret: false }));
    const u = await api("PUT", `${base(t)}/${c.body.endpoint_id}`, { token: t.tokens.editor, body: { url: "https://example.org/b" } });
    expect(u.body).toEqual(expect.objectContaining({ method: "PUT", headers: { "X-Team": "core" }, timeout_seconds: 120, url: "https://example.org/b", name: "e" }));
  });

  it("refuses URLs the outbound policy forbids with 422 on body.url", async () => {
    const t = await makeTenant();
    // The test pool runs with OUTBOUND_ALLOW=loopback, so loopback passes and others do not.
    for (const url of ["http://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data", "http://[::ffff:192.168.0.1]/", "ftp://example.com/x", "not-a-url"]) {
      const r = await api("POST", base(t), { token: t.tokens.editor, body: { name: "bad", url } });
      expect(r.status, url).toBe(422);
      expect(r.body.detail[0].loc).toEqual(["body", "url"]);
      expect(r.body.detail[0].msg).toEqual(expect.any(String));
    }
    const ok = await api("POST", base(t), { token: t.tokens.editor, body: { name: "local", url: "http://127.0.0.1:9999/hook" } });
    expect(ok.status).toBe(201);
    const upd = await api("PUT", `${base(t)}/${ok.body.endpoint_id}`, { token: t.tokens.editor, body: { url: "http://192.168.1.10/" } });
    expect(upd.status).toBe(422);
    expect(upd.body.detail[0].loc).toEqual(["body", "url"]);
  });

  it("validates method, timeout and required fields", async () => {
    const t = await makeTenant();
    const cases: [unknown, string][] = [
      [{ url: "https://example.com" }, "name"],
      [{ name: "x" }, "url"],
      [{ name: "x", url: "https://example.com", timeout_seconds: 0 }, "timeout_seconds"],
      [{ name: "x", url: "https://example.com", timeout_seconds: 121 }, "timeout_seconds"],
      [{ name: "x", url: "https://example.com", method: "TRACE" }, "method"],
      [{ name: "x", url: "https://example.com", headers: { "bad header": "v" } }, "headers"],
    ];
    for (const [body, field] of cases) {
      const r = await api("POST", base(t), { token: t.tokens.editor, body });
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.detail[0].loc.slice(0, 2)).toEqual(["body", field]);
    }
  });

  it("answers 404 to another tenant and across apps, 403 to viewers", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const id = (await api("POST", base(a), { token: a.tokens.editor, body: { name: "e", url: "https://example.com" } })).body.endpoint_id;
    expect((await api("GET", `${base(a)}/${id}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("PUT", `${base(a)}/${id}`, { token: b.tokens.admin, body: { name: "x" } })).status).toBe(404);
    expect((await api("DELETE", `${base(a)}/${id}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", base(a), { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", `${base(b)}/${id}`, { token: b.tokens.admin })).status).toBe(404);
    // Another app of the same org.
    const app2 = (await api("POST", `/v1/orgs/${a.orgId}/workspaces/${a.workspaceId}/apps`, { token: a.tokens.editor, body: { name: "app2" } })).body.app_id;
    expect((await api("GET", `/v1/orgs/${a.orgId}/workspaces/${a.workspaceId}/apps/${app2}/endpoints/${id}`, { token: a.tokens.viewer })).status).toBe(404);
    expect((await api("POST", base(a), { token: a.tokens.viewer, body: { name: "e", url: "https://example.com" } })).status).toBe(403);
    expect((await api("DELETE", `${base(a)}/${id}`, { token: a.tokens.runner })).status).toBe(403);
    expect((await api("DELETE", `${base(a)}/${id}`, { token: a.tokens.editor })).status).toBe(204);
  });
});
