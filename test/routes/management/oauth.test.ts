import { env, SELF } from "cloudflare:test";
import { decodeJwt, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, db, makeTenant, type Tenant } from "../../fixtures";
import { users } from "../../../src/db/schema";
import { hashPassword } from "../../../src/core/crypto";
import { nowIso, uuidv7 } from "../../../src/core/ids";

async function tokenRequest(body: Record<string, string>, opts: { json?: boolean; headers?: Record<string, string> } = {}) {
  const res = await SELF.fetch("http://sy.test/v1/oauth/token", {
    method: "POST",
    headers: { "content-type": opts.json ? "application/json" : "application/x-www-form-urlencoded", ...(opts.headers ?? {}) },
    body: opts.json ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

async function makeUser(t: Tenant, role = "editor") {
  const email = `p${crypto.randomUUID()}@example.com`;
  const password = "a very long password";
  const r = await api("POST", `/v1/orgs/${t.orgId}/users`, { token: t.tokens.admin, body: { email, name: "Pat", role, password } });
  expect(r.status).toBe(201);
  return { email, password, userId: r.body.user_id as string };
}

describe("POST /v1/oauth/token", () => {
  it("password grant (form) issues a bearer JWT that authenticates management calls as the user", async () => {
    const t = await makeTenant();
    const u = await makeUser(t);
    const r = await tokenRequest({ grant_type: "password", username: u.email.toUpperCase(), password: u.password });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ access_token: expect.any(String), token_type: "bearer", expires_in: 3600 });
    expect(r.headers.get("cache-control")).toBe("no-store");
    const claims = decodeJwt(r.body.access_token);
    expect(claims).toEqual(expect.objectContaining({ sub: u.userId, org_id: t.orgId, role: "editor", kind: "user", email: u.email, name: "Pat" }));

    const jwt = r.body.access_token as string;
    expect((await api("GET", `/v1/orgs/${t.orgId}/workspaces`, { token: jwt })).status).toBe(200);
    const created = await api("POST", `/v1/orgs/${t.orgId}/workspaces`, { token: jwt, body: { name: "from-jwt" } });
    expect(created.status).toBe(201);
    // Editor role from the token: admin-only routes are refused; other orgs are invisible.
    expect((await api("GET", `/v1/orgs/${t.orgId}/api-keys`, { token: jwt })).status).toBe(403);
    const other = await makeTenant("other");
    expect((await api("GET", `/v1/orgs/${other.orgId}`, { token: jwt })).status).toBe(404);
    // The audit log names the user as the actor.
    const log = await api("GET", `/v1/orgs/${t.orgId}/audit-log?action=workspace.create`, { token: t.tokens.viewer });
    expect(log.body.entries[0]).toEqual(expect.objectContaining({ actor_type: "user", actor_id: u.userId, target_id: created.body.workspace_id }));
  });

  it("password grant accepts JSON too", async () => {
    const t = await makeTenant();
    const u = await makeUser(t, "viewer");
    const r = await tokenRequest({ grant_type: "password", username: u.email, password: u.password }, { json: true });
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token).role).toBe("viewer");
  });

  it("client_credentials grant (body or HTTP Basic) issues a token with the API key's role", async () => {
    const t = await makeTenant();
    const k = await api("POST", `/v1/orgs/${t.orgId}/api-keys`, { token: t.tokens.admin, body: { name: "svc", role: "runner" } });
    const r = await tokenRequest({ grant_type: "client_credentials", client_id: k.body.key_id, client_secret: k.body.token });
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token)).toEqual(expect.objectContaining({ sub: k.body.key_id, org_id: t.orgId, role: "runner", kind: "api_key" }));
    expect((await api("GET", `/v1/orgs/${t.orgId}`, { token: r.body.access_token })).status).toBe(200);
    expect((await api("POST", `/v1/orgs/${t.orgId}/workspaces`, { token: r.body.access_token, body: { name: "x" } })).status).toBe(403);

    const basic = btoa(`${encodeURIComponent(k.body.key_id)}:${encodeURIComponent(k.body.token)}`);
    const rb = await tokenRequest({ grant_type: "client_credentials" }, { headers: { authorization: `Basic ${basic}` } });
    expect(rb.status).toBe(200);

    // A revoked key can no longer obtain tokens.
    await api("DELETE", `/v1/orgs/${t.orgId}/api-keys/${k.body.key_id}`, { token: t.tokens.admin });
    const revoked = await tokenRequest({ grant_type: "client_credentials", client_id: k.body.key_id, client_secret: k.body.token });
    expect(revoked.status).toBe(400);
    expect(revoked.body.error).toBe("invalid_client");
  });

  it("answers RFC 6749 errors with 400 {error, error_description}", async () => {
    const t = await makeTenant();
    const u = await makeUser(t);
    const k = await api("POST", `/v1/orgs/${t.orgId}/api-keys`, { token: t.tokens.admin, body: { name: "svc", role: "viewer" } });
    const other = await api("POST", `/v1/orgs/${t.orgId}/api-keys`, { token: t.tokens.admin, body: { name: "svc2", role: "viewer" } });
    const cases: [Record<string, string>, string][] = [
      [{ grant_type: "password", username: u.email, password: "wrong password!" }, "invalid_grant"],
      [{ grant_type: "password", username: "nobody@example.com", password: u.password }, "invalid_grant"],
      [{ grant_type: "password", username: u.email }, "invalid_request"],
      [{ username: u.email, password: u.password }, "invalid_request"],
      [{ grant_type: "authorization_code", code: "x" }, "unsupported_grant_type"],
      [{ grant_type: "client_credentials", client_id: k.body.key_id, client_secret: "sy_nope" }, "invalid_client"],
      [{ grant_type: "client_credentials", client_id: other.body.key_id, client_secret: k.body.token }, "invalid_client"],
      [{ grant_type: "client_credentials", client_id: k.body.key_id }, "invalid_request"],
    ];
    for (const [body, error] of cases) {
      const r = await tokenRequest(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toEqual({ error, error_description: expect.any(String) });
    }
    // Unknown user and wrong password are indistinguishable.
    const a = await tokenRequest(cases[0]![0]);
    const b = await tokenRequest(cases[1]![0]);
    expect(a.body).toEqual(b.body);
    const badJson = await tokenRequest({ grant_type: 42 as unknown as string }, { json: true });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toBe("invalid_request");
    for (const [type, body] of [["application/json", "{broken"], ["application/json", "[1]"], ["text/plain", "grant_type=password"]]) {
      const res = await SELF.fetch("http://sy.test/v1/oauth/token", { method: "POST", headers: { "content-type": type! }, body });
      expect(res.status, `${type} ${body}`).toBe(400);
      expect(await res.json()).toEqual({ error: "invalid_request", error_description: expect.any(String) });
    }
  });

  it("a tampered, foreign-signed or expired token gets 401", async () => {
    const t = await makeTenant();
    const u = await makeUser(t, "admin");
    const jwt = (await tokenRequest({ grant_type: "password", username: u.email, password: u.password })).body.access_token as string;
    const path = `/v1/orgs/${t.orgId}`;
    expect((await api("GET", path, { token: jwt })).status).toBe(200);

    const [h, p, s] = jwt.split(".");
    const flipped = s!.slice(0, -2) + (s!.slice(-2) === "AA" ? "BB" : "AA");
    expect((await api("GET", path, { token: `${h}.${p}.${flipped}` })).status).toBe(401);
    // Payload tampering: claim another org with the original signature.
    const forged = btoa(JSON.stringify({ ...decodeJwt(jwt), role: "admin", org_id: "someone-else" })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    expect((await api("GET", path, { token: `${h}.${forged}.${s}` })).status).toBe(401);

    const claims = { sub: u.userId, org_id: t.orgId, role: "admin", kind: "user" };
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("switchyard").setExpirationTime("1h").sign(new TextEncoder().encode("not-the-secret"));
    expect((await api("GET", path, { token: foreign })).status).toBe(401);
    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("switchyard")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(env.JWT_SECRET));
    expect((await api("GET", path, { token: expired })).status).toBe(401);
    const unsigned = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${p}.`;
    expect((await api("GET", path, { token: unsigned })).status).toBe(401);
  });
});

describe("token endpoint abuse limits", () => {
  afterEach(() => vi.restoreAllMocks());
  const ip = () => `203.0.113.${Math.floor(Math.random() * 250)}-${crypto.randomUUID().slice(0, 8)}`;

  it("caps the body at 16 KiB with an RFC 6749 answer", async () => {
    const big = "a".repeat(16 * 1024 + 1);
    const res = await SELF.fetch("http://sy.test/v1/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `grant_type=password&username=x&password=${big}` });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "invalid_request", error_description: expect.stringMatching(/16384 bytes/) });
    const chunked = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(`grant_type=password&password=${big}`)); c.close(); } });
    const res2 = await SELF.fetch("http://sy.test/v1/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: chunked });
    expect(res2.status).toBe(413);
  });

  it("blocks a username after 10 failures in 15 minutes with 429 + Retry-After, before any password hash; correct logins are not counted", async () => {
    const t = await makeTenant();
    const u = await makeUser(t);
    const headers = { "cf-connecting-ip": ip() };
    for (let i = 0; i < 9; i++) expect((await tokenRequest({ grant_type: "password", username: u.email, password: `wrong ${i}` }, { headers })).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await tokenRequest({ grant_type: "password", username: u.email, password: u.password }, { headers })).status).toBe(200);
    expect((await tokenRequest({ grant_type: "password", username: u.email, password: "wrong 9" }, { headers })).status).toBe(400);
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    // From another address too: the per-user limit holds across addresses.
    const blocked = await tokenRequest({ grant_type: "password", username: u.email.toUpperCase(), password: u.password }, { headers: { "cf-connecting-ip": ip() } });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ error: "invalid_request", error_description: expect.stringMatching(/too many failed attempts/) });
    const after = Number(blocked.headers.get("retry-after"));
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(900);
    expect(derive).not.toHaveBeenCalled();
    // Another user is not affected.
    const v = await makeUser(t);
    expect((await tokenRequest({ grant_type: "password", username: v.email, password: v.password }, { headers })).status).toBe(200);
  });

  it("blocks an address after 50 failures in 15 minutes, whatever the client_id", async () => {
    const headers = { "cf-connecting-ip": ip() };
    for (let i = 0; i < 50; i++) {
      const r = await tokenRequest({ grant_type: "client_credentials", client_id: crypto.randomUUID(), client_secret: "sy_nope" }, { headers });
      expect(r.status).toBe(400);
    }
    const r = await tokenRequest({ grant_type: "client_credentials", client_id: crypto.randomUUID(), client_secret: "sy_nope" }, { headers });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    // Another address still gets its answer.
    expect((await tokenRequest({ grant_type: "client_credentials", client_id: crypto.randomUUID(), client_secret: "sy_nope" }, { headers: { "cf-connecting-ip": ip() } })).status).toBe(400);
  });

  it("a username in several orgs logs into the org whose password verifies; two matches need org_id", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const email = `multi${crypto.randomUUID()}@example.com`;
    const t = nowIso();
    const put = async (orgId: string, password: string) => {
      const userId = uuidv7();
      await db().insert(users).values({ userId, orgId, email, name: "M", role: "viewer", passwordHash: await hashPassword(password), createdAt: t, updatedAt: t });
      return userId;
    };
    const ua = await put(a.orgId, "password of org a");
    await put(b.orgId, "password of org b");
    const headers = { "cf-connecting-ip": ip() };
    const ra = await tokenRequest({ grant_type: "password", username: email, password: "password of org a" }, { headers });
    expect(ra.status).toBe(200);
    expect(decodeJwt(ra.body.access_token)).toEqual(expect.objectContaining({ sub: ua, org_id: a.orgId }));
    const rb = await tokenRequest({ grant_type: "password", username: email, password: "password of org b" }, { headers });
    expect(decodeJwt(rb.body.access_token).org_id).toBe(b.orgId);
    const c = await makeTenant("c");
    await put(c.orgId, "password of org a");
    const ambiguous = await tokenRequest({ grant_type: "password", username: email, password: "password of org a" }, { headers });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body).toEqual({ error: "invalid_request", error_description: expect.stringMatching(/org_id/) });
    const chosen = await tokenRequest({ grant_type: "password", username: email, password: "password of org a", org_id: c.orgId }, { headers });
    expect(chosen.status).toBe(200);
    expect(decodeJwt(chosen.body.access_token).org_id).toBe(c.orgId);
    const wrongOrg = await tokenRequest({ grant_type: "password", username: email, password: "password of org a", org_id: b.orgId }, { headers });
    expect(wrongOrg.body).toEqual({ error: "invalid_grant", error_description: "invalid username or password" });
  });
});
