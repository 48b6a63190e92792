/**
 * Trust of `POST /v1/webhooks/{provider_id}`: who can be reached by provider id, what the reply
 * reveals, and that one candidate's broken secret or a crowd of another org's triggers never
 * changes another tenant's answer. Rows that the API now refuses to create (unusable secrets,
 * more wildcards than the cap) are written straight into D1 with `insertTrigger`.
 */
import { env } from "cloudflare:test";
import { sign as githubSign } from "@octokit/webhooks-methods";
import { eq } from "drizzle-orm";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { connections } from "../../../src/db/schema";
import { db, makeConnection, makeTenant } from "../../fixtures";
import { eventsOf, insertTrigger, makeTrigger, post } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

const utf8 = new TextEncoder();
/** Hex HMAC-SHA256 with Web Crypto, written independently of src/core/crypto. */
async function hmacHex(secret: string, body: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return Array.from(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8.encode(body))), (x) => x.toString(16).padStart(2, "0")).join("");
}
const ghHeaders = async (secret: string, body: string, delivery: string) => ({
  "content-type": "application/json",
  "x-hub-signature-256": await githubSign(secret, body),
  "x-github-event": "push",
  "x-github-delivery": delivery,
});
const randomKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));

describe("generic provider id (/v1/webhooks/webhook)", () => {
  it("never reaches an unsigned generic trigger (404, nothing stored, its id not named); its own UUID URL still does", async () => {
    const victim = await makeTenant("unsigned-victim");
    const id = await makeTrigger(victim, "webhook", null);
    // A legacy generic trigger whose connection has no signing_secret is unsigned too.
    const legacy = await insertTrigger(victim, "webhook", { connectionId: await makeConnection(victim, "webhook", { note: "no secret" }) });
    const body = JSON.stringify({ type: "order.created" });
    const res = await post("/v1/webhooks/webhook", body, { "content-type": "application/json", "idempotency-key": "unsigned-1" });
    expect(res.status, JSON.stringify(res.body)).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain(id);
    expect(JSON.stringify(res.body)).not.toContain(legacy);
    expect(await eventsOf(id)).toHaveLength(0);
    expect(await eventsOf(legacy)).toHaveLength(0);
    const direct = await post(`/v1/webhooks/${id}`, body, { "content-type": "application/json", "idempotency-key": "unsigned-1" });
    expect(direct.status).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it("reaches a signed generic trigger, and the reply names its event ids but no project_trigger_id", async () => {
    const owner = await makeTenant("signed-generic");
    const id = await makeTrigger(owner, "webhook", { signing_secret: "generic-secret" });
    const body = JSON.stringify({ type: "invoice.paid", n: 1 });
    const res = await post("/v1/webhooks/webhook", body, { "content-type": "application/json", "x-signature": await hmacHex("generic-secret", body) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [stored] = await eventsOf(id);
    expect(res.body).toEqual({ event_id: stored!.eventId, duplicate: false, events: [{ event_id: stored!.eventId, duplicate: false }] });
    expect(JSON.stringify(res.body)).not.toContain(id);
  });

  it("a refused provider-routed delivery does not reveal another tenant's signature settings", async () => {
    const owner = await makeTenant("generic-config");
    const id = await makeTrigger(owner, "webhook", { signing_secret: "cfg-secret" }, { config: { signature_header: "X-Acme-Private-Sig", prefix: "acme-private=" } });
    const body = JSON.stringify({ type: "probe" });
    const res = await post("/v1/webhooks/webhook", body, { "content-type": "application/json", "x-signature": "00" });
    expect(res.status).toBe(401);
    const text = JSON.stringify(res.body);
    expect(res.body.detail[0].type).toBe("invalid_signature");
    expect(text).not.toMatch(/x-acme-private-sig|acme-private=/i);
    expect(text).not.toContain(id);
  });
});

describe("provider-id routing is isolated per candidate", () => {
  it("another org's GitHub trigger whose connection holds only client_state does not turn a delivery into a 500", async () => {
    const broken = await makeTenant("gh-broken");
    await insertTrigger(broken, "github", { connectionId: await makeConnection(broken, "github", { client_state: "not-a-signing-secret" }), ageMs: 60_000 });
    const victim = await makeTenant("gh-victim");
    const id = await makeTrigger(victim, "github", { signing_secret: "gh-victim" }, { routeKey: "7001" });
    const body = JSON.stringify({ installation: { id: 7001 }, ref: "refs/heads/main" });
    const res = await post("/v1/webhooks/github", body, await ghHeaders("gh-victim", body, "iso-1"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it("another org's Standard Webhooks trigger whose secret is `whsec_` with nothing after it does not break a delivery", async () => {
    const broken = await makeTenant("sw-broken");
    await insertTrigger(broken, "standard_webhooks", { connectionId: await makeConnection(broken, "standard_webhooks", { signing_secret: "whsec_" }), ageMs: 60_000 });
    const victim = await makeTenant("sw-victim");
    const secret = `whsec_${randomKey()}`;
    const id = await makeTrigger(victim, "standard_webhooks", { signing_secret: secret });
    const payload = JSON.stringify({ type: "invoice.paid", data: { id: "inv_1" } });
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const signature = new StandardWebhook(secret).sign("msg_iso_1", at, payload);
    const res = await post("/v1/webhooks/standard_webhooks", payload, {
      "content-type": "application/json",
      "webhook-id": "msg_iso_1",
      "webhook-timestamp": String(at.getTime() / 1000),
      "webhook-signature": signature,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it("a connection whose secrets cannot be decrypted fails only its own trigger, and never makes a generic trigger unsigned", async () => {
    const broken = await makeTenant("undecryptable");
    const conn = await makeConnection(broken, "webhook", { signing_secret: "was-set" });
    await db().update(connections).set({ secretsEnc: "v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA==" }).where(eq(connections.connectionId, conn));
    const generic = await insertTrigger(broken, "webhook", { connectionId: conn });
    const unsigned = await post(`/v1/webhooks/${generic}`, "{}", { "content-type": "application/json" });
    expect(unsigned.status, JSON.stringify(unsigned.body)).toBe(401);
    expect(unsigned.body.detail[0].msg).toMatch(/could not be decrypted/);
    expect(await eventsOf(generic)).toHaveLength(0);

    const ghConn = await makeConnection(broken, "github", { signing_secret: "x" });
    await db().update(connections).set({ secretsEnc: "garbage" }).where(eq(connections.connectionId, ghConn));
    await insertTrigger(broken, "github", { connectionId: ghConn, ageMs: 60_000 });
    const victim = await makeTenant("undecryptable-victim");
    const id = await makeTrigger(victim, "github", { signing_secret: "gh-v2" }, { routeKey: "7002" });
    const body = JSON.stringify({ installation: { id: 7002 } });
    const res = await post("/v1/webhooks/github", body, await ghHeaders("gh-v2", body, "iso-2"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it("the trigger-UUID path answers 401 with a reason (never 500) when the connection's secret is unusable", async () => {
    const t = await makeTenant("uuid-unusable");
    const gh = await insertTrigger(t, "github", { connectionId: await makeConnection(t, "github", { client_state: "only" }) });
    const body = JSON.stringify({ ref: "x" });
    const a = await post(`/v1/webhooks/${gh}`, body, await ghHeaders("anything", body, "uuid-1"));
    expect(a.status, JSON.stringify(a.body)).toBe(401);
    expect(a.body.detail[0]).toMatchObject({ type: "invalid_signature", msg: expect.stringMatching(/secrets\.signing_secret/) });
    const sw = await insertTrigger(t, "standard_webhooks", { connectionId: await makeConnection(t, "standard_webhooks", { signing_secret: "whsec_" }) });
    const b = await post(`/v1/webhooks/${sw}`, "{}", { "webhook-id": "m1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" });
    expect(b.status, JSON.stringify(b.body)).toBe(401);
    expect(b.body.detail[0].msg).toMatch(/whsec_/);
  });

  it("a failing candidate is logged without its secret", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken = await makeTenant("logged");
    const conn = await makeConnection(broken, "github", { signing_secret: "s" });
    await db().update(connections).set({ secretsEnc: "garbage" }).where(eq(connections.connectionId, conn));
    const bad = await insertTrigger(broken, "github", { connectionId: conn, routeKey: "7004" });
    const body = JSON.stringify({ installation: { id: 7004 } });
    const res = await post("/v1/webhooks/github", body, await ghHeaders("s", body, "log-1"));
    expect(res.status).toBe(401);
    const lines = log.mock.calls.map((c) => String(c[0]));
    expect(lines.some((l) => l.includes(bad))).toBe(true);
    for (const l of lines) expect(l).not.toContain(env.ENCRYPTION_KEY);
  });
});
