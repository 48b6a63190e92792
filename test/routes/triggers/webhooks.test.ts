import { env } from "cloudflare:test";
import { sign as githubSign } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { readBodyLimited } from "../../../src/faces/triggers/inbound";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { makeTenant, type Tenant } from "../../fixtures";
import { eventsOf, makeTrigger, post } from "./helpers";

let t: Tenant;
let send: MockInstance;
const stripe = new Stripe("sk_test_unused");

beforeAll(async () => {
  t = await makeTenant("hooks");
});
beforeEach(() => {
  send = vi.spyOn(env.TASKS, "send");
});
afterEach(() => {
  vi.restoreAllMocks();
});

const routeTasks = () => send.mock.calls.map((c) => c[0]).filter((m: any) => m.kind === "event.route");

describe("POST /v1/webhooks/{project_trigger_id}", () => {
  it("GitHub: stores a verified delivery and enqueues exactly one event.route", async () => {
    const id = await makeTrigger(t, "github", { signing_secret: "gh" });
    const body = JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "acme/api" } });
    const headers = { "content-type": "application/json", "x-hub-signature-256": await githubSign("gh", body), "x-github-delivery": "d-1", "x-github-event": "push" };
    const res = await post(`/v1/webhooks/${id}`, body, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ event_id: expect.any(String), duplicate: false });
    const rows = await eventsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ eventId: res.body.event_id, body, eventType: "push", providerId: "github", appId: t.appId, orgId: t.orgId });
    expect(rows[0]!.headers["x-hub-signature-256"]).toBe(headers["x-hub-signature-256"]);
    expect(routeTasks()).toEqual([{ v: 1, kind: "event.route", event_id: res.body.event_id }]);
  });

  it("GitHub ping is answered 200 and not stored", async () => {
    const id = await makeTrigger(t, "github", { signing_secret: "gh" });
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const res = await post(`/v1/webhooks/${id}`, body, { "x-hub-signature-256": await githubSign("gh", body), "x-github-event": "ping", "x-github-delivery": "p-1" });
    expect(res.status).toBe(200);
    expect(await eventsOf(id)).toHaveLength(0);
  });

  it("refuses a bad signature with 401 invalid_signature and stores nothing", async () => {
    const id = await makeTrigger(t, "github", { signing_secret: "gh" });
    const body = "{}";
    const res = await post(`/v1/webhooks/${id}`, body, { "x-hub-signature-256": await githubSign("wrong", body), "x-github-delivery": "d-2" });
    expect(res.status).toBe(401);
    expect(res.body.detail[0]).toMatchObject({ type: "invalid_signature", msg: expect.stringMatching(/signature does not match/) });
    expect(await eventsOf(id)).toHaveLength(0);
    expect(routeTasks()).toHaveLength(0);
  });

  it("Stripe: refuses a stale timestamp (401) and accepts a fresh one", async () => {
    const secret = "whsec_route_test";
    const id = await makeTrigger(t, "stripe", { signing_secret: secret });
    const payload = JSON.stringify({ id: "evt_stale_1", type: "customer.created", data: { object: {} } });
    const stale = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp: Math.floor(Date.now() / 1000) - 600 });
    const r1 = await post(`/v1/webhooks/${id}`, payload, { "stripe-signature": stale });
    expect(r1.status).toBe(401);
    expect(r1.body.detail[0].msg).toMatch(/5-minute window/);
    const fresh = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret });
    const r2 = await post(`/v1/webhooks/${id}`, payload, { "stripe-signature": fresh });
    expect(r2.status).toBe(200);
    expect((await eventsOf(id))[0]!.dedupKey).toBe("stripe:evt_stale_1");
  });

  it("Stripe: a replayed delivery answers the ORIGINAL event id and stores nothing new", async () => {
    const secret = "whsec_replay";
    const id = await makeTrigger(t, "stripe", { signing_secret: secret });
    const payload = JSON.stringify({ id: "evt_replay_1", type: "payment_intent.succeeded" });
    const first = await post(`/v1/webhooks/${id}`, payload, { "stripe-signature": await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret }) });
    // Stripe retries re-sign with a new timestamp; the event id stays.
    const again = await post(`/v1/webhooks/${id}`, payload, { "stripe-signature": await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp: Math.floor(Date.now() / 1000) - 5 }) });
    expect(first.body.duplicate).toBe(false);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ event_id: first.body.event_id, duplicate: true });
    expect(await eventsOf(id)).toHaveLength(1);
    expect(routeTasks()).toHaveLength(1);
  });

  it("10 concurrent identical deliveries store exactly one row and enqueue once", async () => {
    const secret = `whsec_${btoa("concurrent-standard-webhooks-key")}`;
    const id = await makeTrigger(t, "standard_webhooks", { signing_secret: secret });
    const payload = JSON.stringify({ type: "invoice.paid" });
    const now = new Date();
    const headers = { "webhook-id": "msg_conc", "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": new StandardWebhook(secret).sign("msg_conc", now, payload) };
    const results = await Promise.all(Array.from({ length: 10 }, () => post(`/v1/webhooks/${id}`, payload, headers)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.body.event_id)).size).toBe(1);
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await eventsOf(id)).toHaveLength(1);
    expect(routeTasks()).toHaveLength(1);
  });

  it("Svix headers verify against the same trigger", async () => {
    const secret = `whsec_${btoa("svix-standard-webhooks-key-32byt")}`;
    const id = await makeTrigger(t, "standard_webhooks", { signing_secret: secret });
    const payload = JSON.stringify({ type: "user.created" });
    const now = new Date();
    const res = await post(`/v1/webhooks/${id}`, payload, { "svix-id": "msg_svix", "svix-timestamp": String(Math.floor(now.getTime() / 1000)), "svix-signature": new SvixWebhook(secret).sign("msg_svix", now, payload) });
    expect(res.status).toBe(200);
    expect((await eventsOf(id))[0]!.eventType).toBe("user.created");
  });

  it("413 for a body over MAX_BODY_BYTES, by Content-Length and by actual bytes", async () => {
    const id = await makeTrigger(t, "webhook", null);
    const big = "x".repeat(1_048_577);
    const r1 = await post(`/v1/webhooks/${id}`, big);
    expect(r1.status).toBe(413);
    expect(r1.body.detail[0].type).toBe("payload_too_large");
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new TextEncoder().encode("y".repeat(400_000)));
        c.close();
      },
    });
    const r2 = await post(`/v1/webhooks/${id}`, stream);
    expect(r2.status).toBe(413);
    expect(await eventsOf(id)).toHaveLength(0);
  });

  it("a Content-Length within the limit is read whole, and a body longer than it says is still refused over the limit", async () => {
    const ok = await readBodyLimited(new Request("http://sy.test/x", { method: "POST", body: "abc", headers: { "content-length": "3" } }), 10);
    expect(new TextDecoder().decode(ok)).toBe("abc");
    const lying = new Request("http://sy.test/x", { method: "POST", body: "y".repeat(2_000), headers: { "content-length": "10" } });
    await expect(readBodyLimited(lying, 1_000)).rejects.toMatchObject({ code: "payload_too_large" });
  });

  it("404 for unknown triggers, unknown ids and non-webhook triggers", async () => {
    expect((await post("/v1/webhooks/018f0000-0000-7000-8000-000000000000", "{}")).status).toBe(404);
    const nope = await post("/v1/webhooks/not-a-provider", "{}");
    expect(nope.status).toBe(404);
    expect(nope.body.detail[0].type).toBe("not_found");
    const poll = await makeTrigger(t, "http", null, { triggerId: "poll", config: { url: "https://example.com/x" } });
    expect((await post(`/v1/webhooks/${poll}`, "{}")).status).toBe(404);
  });

  it("409 trigger_disabled for a disabled trigger: nothing stored, nothing enqueued", async () => {
    const id = await makeTrigger(t, "webhook", null, { enable: false });
    const res = await post(`/v1/webhooks/${id}`, '{"a":1}', { "content-type": "application/json" });
    expect(res.status).toBe(409);
    expect(res.body.detail[0].type).toBe("trigger_disabled");
    expect(await eventsOf(id)).toHaveLength(0);
    expect(routeTasks()).toHaveLength(0);
  });

  it("401 with an actionable message when a signed provider has no connection secret", async () => {
    const id = await makeTrigger(t, "stripe", null);
    const res = await post(`/v1/webhooks/${id}`, "{}", { "stripe-signature": "t=1,v1=00" });
    expect(res.status).toBe(401);
    expect(res.body.detail[0].msg).toMatch(/attach a connection with secrets\.signing_secret/);
  });

  it("422 json_invalid for a signed Stripe delivery whose body is not JSON", async () => {
    const secret = "whsec_badjson";
    const id = await makeTrigger(t, "stripe", { signing_secret: secret });
    const payload = "{not json";
    const res = await post(`/v1/webhooks/${id}`, payload, { "stripe-signature": await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret }) });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].type).toBe("json_invalid");
  });

  it("generic webhook without a secret: any content type, dedup on Idempotency-Key", async () => {
    const id = await makeTrigger(t, "webhook", null);
    const a = await post(`/v1/webhooks/${id}`, "plain text body", { "content-type": "text/plain", "idempotency-key": "k1" });
    const b = await post(`/v1/webhooks/${id}`, "different body", { "content-type": "text/plain", "idempotency-key": "k1" });
    expect(a.status).toBe(200);
    expect(b.body).toEqual({ event_id: a.body.event_id, duplicate: true });
    const form = await post(`/v1/webhooks/${id}`, "a=1&b=2", { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(200);
    expect(await eventsOf(id)).toHaveLength(2);
  });

  it("a specific trigger stores other event types as 'unmatched' without routing them", async () => {
    const id = await makeTrigger(t, "github", { signing_secret: "gh" }, { triggerId: "on_push" });
    const body = JSON.stringify({ action: "opened" });
    const res = await post(`/v1/webhooks/${id}`, body, { "x-hub-signature-256": await githubSign("gh", body), "x-github-event": "pull_request", "x-github-delivery": "pr-1" });
    expect(res.status).toBe(200);
    expect((await eventsOf(id))[0]!.status).toBe("unmatched");
    expect(routeTasks()).toHaveLength(0);
  });
});
