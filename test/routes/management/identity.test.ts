import { env } from "cloudflare:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getDb } from "../../../src/db/client";
import type { Env } from "../../../src/env";
import { issueJwt, resolveBearer } from "../../../src/services/tokens";
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

  it("keeps emails unique per org (409), case-insensitively; another org's email reveals nothing (201)", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const email = `dup${crypto.randomUUID()}@example.com`;
    expect((await api("POST", `/v1/orgs/${a.orgId}/users`, { token: a.tokens.admin, body: { ...alice, email } })).status).toBe(201);
    const sameOrg = await api("POST", `/v1/orgs/${a.orgId}/users`, { token: a.tokens.admin, body: { ...alice, email: email.toUpperCase() } });
    expect(sameOrg.status).toBe(409);
    expect(sameOrg.body.detail[0].type).toBe("conflict");
    const otherOrg = await api("POST", `/v1/orgs/${b.orgId}/users`, { token: b.tokens.admin, body: { ...alice, email: email.toUpperCase() } });
    expect(otherOrg.status).toBe(201);
    const other = await api("POST", `/v1/orgs/${a.orgId}/users`, { token: a.tokens.admin, body: { ...alice, email: `x${email}` } });
    const clash = await api("PATCH", `/v1/orgs/${a.orgId}/users/${other.body.user_id}`, { token: a.tokens.admin, body: { email } });
    expect(clash.status).toBe(409);
    const third = await makeTenant("c");
    const moved = await api("POST", `/v1/orgs/${third.orgId}/users`, { token: third.tokens.admin, body: { ...alice, email: `y${email}` } });
    expect((await api("PATCH", `/v1/orgs/${third.orgId}/users/${moved.body.user_id}`, { token: third.tokens.admin, body: { email } })).status).toBe(200);
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

describe("external identity provider tokens (JWKS_URL)", () => {
  // The Worker under SELF runs with wrangler.toml's empty JWKS_URL, so these call the
  // bearer resolver with a configured env; the JWKS itself is answered through fetch.
  const ISS = "https://idp.test/";
  const AUD = "switchyard-api";
  const now = () => Math.floor(Date.now() / 1000);

  async function idp(alg: "RS256" | "ES256" | "RS384", opts: { jwkAlg?: boolean } = {}) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: `k-${crypto.randomUUID()}`, use: "sig", ...(opts.jwkAlg ? { alg } : {}) };
    const url = `https://idp.test/${crypto.randomUUID()}/jwks.json`;
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const u = input instanceof Request ? input.url : String(input);
      if (u === url) return new Response(JSON.stringify({ keys: [jwk] }), { headers: { "content-type": "application/json" } });
      return new Response("not found", { status: 404 });
    });
    const cfg = { ...env, JWKS_URL: url, JWT_ISSUER: ISS, JWT_AUDIENCE: AUD } as Env;
    const sign = (claims: Record<string, unknown>, o: { exp?: number | null; iss?: string; aud?: string; alg?: string } = {}) => {
      const j = new SignJWT({ sub: "ext-user-1", org_id: "org-1", role: "editor", email: "e@idp.test", name: "Ext", ...claims })
        .setProtectedHeader({ alg: o.alg ?? alg, kid: jwk.kid })
        .setIssuer(o.iss ?? ISS)
        .setAudience(o.aud ?? AUD)
        .setIssuedAt();
      if (o.exp !== null) j.setExpirationTime(o.exp ?? now() + 600);
      return j.sign(privateKey);
    };
    return { cfg, sign, jwk, spy };
  }
  afterEach(() => vi.restoreAllMocks());
  const resolve = (cfg: Env, token: string) => resolveBearer(cfg, getDb(env.DB), token);

  it("accepts RS256 and ES256 tokens with exp, the configured iss and aud, as a person", async () => {
    for (const alg of ["RS256", "ES256"] as const) {
      const p = await idp(alg);
      const actor = await resolve(p.cfg, await p.sign({}));
      expect(actor, alg).toEqual({ kind: "user", id: "ext-user-1", orgId: "org-1", role: "editor", user: { id: "ext-user-1", email: "e@idp.test", name: "Ext" } });
      vi.restoreAllMocks();
    }
  });

  it("refuses algorithms outside the pinned list (RS384 on an RSA key that does not name its alg)", async () => {
    const p = await idp("RS384");
    expect(await resolve(p.cfg, await p.sign({}))).toBeNull();
  });

  it("requires exp", async () => {
    const p = await idp("RS256");
    expect(await resolve(p.cfg, await p.sign({}, { exp: null }))).toBeNull();
  });

  it("checks iss and aud when JWT_ISSUER / JWT_AUDIENCE are set, and not when they are empty", async () => {
    const p = await idp("ES256");
    expect(await resolve(p.cfg, await p.sign({}, { iss: "https://evil.test/" }))).toBeNull();
    expect(await resolve(p.cfg, await p.sign({}, { aud: "someone-else" }))).toBeNull();
    const open = { ...p.cfg, JWT_ISSUER: "", JWT_AUDIENCE: "" } as Env;
    expect((await resolve(open, await p.sign({}, { iss: "https://other-idp.test/", aud: "x" })))?.kind).toBe("user");
  });

  it("never takes kind (or any privilege claim besides org_id and role) from the provider", async () => {
    const p = await idp("RS256");
    const actor = await resolve(p.cfg, await p.sign({ kind: "api_key" }));
    expect(actor?.kind).toBe("user");
    const su = await resolve(p.cfg, await p.sign({ kind: "superuser", org_id: null }));
    expect(su).toBeNull();
  });

  it("refuses alg confusion: HS256 signed with the provider's public key, and alg none", async () => {
    const p = await idp("RS256");
    const pub = new TextEncoder().encode(JSON.stringify(p.jwk));
    const hs = await new SignJWT({ sub: "x", org_id: "org-1", role: "admin" }).setProtectedHeader({ alg: "HS256", kid: p.jwk.kid }).setIssuer(ISS).setAudience(AUD).setExpirationTime("5m").sign(pub);
    expect(await resolve(p.cfg, hs)).toBeNull();
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "x", org_id: "org-1", role: "admin", iss: ISS, aud: AUD, exp: now() + 600 })}.`;
    expect(await resolve(p.cfg, none)).toBeNull();
  });

  it("our own HS256 tokens keep working with JWKS_URL, JWT_ISSUER and JWT_AUDIENCE set", async () => {
    const p = await idp("RS256");
    const own = await issueJwt(p.cfg, { sub: "k1", org_id: "org-1", role: "runner", kind: "api_key" });
    expect(await resolve(p.cfg, own)).toEqual({ kind: "api_key", id: "k1", orgId: "org-1", role: "runner" });
  });
});
