/**
 * Ingestion from the outside, against the real `npm start` server: requests signed with the
 * providers' own npm libraries, stored once, replay-deduplicated, listed by the events API.
 */
import { sign as githubSign } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { beforeAll, describe, expect, it } from "vitest";
import { call, setupTenant, waitFor } from "./harness";

let t: Awaited<ReturnType<typeof setupTenant>>;

async function webhookTrigger(providerId: string, secrets: Record<string, unknown> | null, extra: Record<string, unknown> = {}) {
  let connection_id: string | null = null;
  if (secrets) {
    const conn = await call("POST", `/v1/orgs/${t.orgId}/connections`, { token: t.token, body: { provider_id: providerId, name: providerId, secrets } });
    expect(conn.status, JSON.stringify(conn.body)).toBe(201);
    connection_id = conn.body.connection_id;
  }
  const trig = await call("POST", `/projects/${t.appId}/triggers`, { token: t.token, body: { provider_id: providerId, trigger_id: "on_any_event", connection_id, ...extra } });
  expect(trig.status, JSON.stringify(trig.body)).toBeLessThan(300);
  expect(trig.body.status).toBe("DISABLED");
  const en = await call("POST", `/triggers/${trig.body.project_trigger_id}/enable`, { token: t.token });
  expect(en.status).toBe(200);
  return trig.body.project_trigger_id as string;
}

beforeAll(async () => {
  t = await setupTenant();
});

describe("webhook ingestion end to end", () => {
  it("GitHub: signed with @octokit/webhooks-methods, stored, replay answers the original id", async () => {
    const secret = "gh-secret-e2e";
    const id = await webhookTrigger("github", { signing_secret: secret });
    const body = JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "acme/api" } });
    const headers = { "x-hub-signature-256": await githubSign(secret, body), "x-github-delivery": "e2e-delivery-1", "x-github-event": "push" };
    const first = await call("POST", `/v1/webhooks/${id}`, { body, headers });
    expect(first.status).toBe(200);
    expect(first.body.duplicate).toBe(false);
    const again = await call("POST", `/v1/webhooks/${id}`, { body, headers });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ event_id: first.body.event_id, duplicate: true });
    const bad = await call("POST", `/v1/webhooks/${id}`, { body, headers: { ...headers, "x-hub-signature-256": await githubSign("wrong", body), "x-github-delivery": "e2e-2" } });
    expect(bad.status).toBe(401);
    // npm start acknowledges once its inbox object holds the event: GET answers at once…
    const held = await call("GET", `/v1/orgs/${t.orgId}/events/${first.body.event_id}`, { token: t.token });
    expect(held.status).toBe(200);
    // …and the list shows it once the inbox has flushed it to D1 (about 100 ms): exactly once.
    const list = await waitFor(async () => {
      const r = await call("GET", `/v1/orgs/${t.orgId}/events?trigger_id=${id}`, { token: t.token });
      return r.body.total > 0 && r;
    }, "the event to be stored", 10_000);
    expect(list.body.total).toBe(1);
    const ev = await call("GET", `/v1/orgs/${t.orgId}/events/${first.body.event_id}`, { token: t.token });
    expect(ev.body.body).toEqual(JSON.parse(body));
    expect(ev.body.event_type).toBe("push");
  });

  it("Stripe: signed with stripe.webhooks.generateTestHeaderString", async () => {
    const secret = "whsec_e2e_stripe_secret";
    const id = await webhookTrigger("stripe", { signing_secret: secret });
    const payload = JSON.stringify({ id: "evt_e2e_1", type: "payment_intent.succeeded", data: { object: { id: "pi_1" } } });
    const stripe = new Stripe("sk_test_unused");
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret });
    const res = await call("POST", `/v1/webhooks/${id}`, { body: payload, headers: { "stripe-signature": header } });
    expect(res.status).toBe(200);
    const stale = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect((await call("POST", `/v1/webhooks/${id}`, { body: payload, headers: { "stripe-signature": stale } })).status).toBe(401);
  });

  it("Standard Webhooks and Svix: signed with their libraries", async () => {
    const secret = `whsec_${btoa("e2e-standard-webhooks-secret-32b")}`;
    const id = await webhookTrigger("standard_webhooks", { signing_secret: secret });
    const payload = JSON.stringify({ type: "invoice.paid", amount: 10 });
    const now = new Date();
    const sig = new StandardWebhook(secret).sign("msg_e2e_1", now, payload);
    const headers = { "webhook-id": "msg_e2e_1", "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": sig };
    expect((await call("POST", `/v1/webhooks/${id}`, { body: payload, headers })).status).toBe(200);
    const svixSig = new SvixWebhook(secret).sign("msg_e2e_2", now, payload);
    const svixHeaders = { "svix-id": "msg_e2e_2", "svix-timestamp": String(Math.floor(now.getTime() / 1000)), "svix-signature": svixSig };
    const res = await call("POST", `/v1/webhooks/${id}`, { body: payload, headers: svixHeaders });
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(false);
  });

  it("refuses unknown triggers (404), oversized bodies (413) and disabled triggers", async () => {
    expect((await call("POST", "/v1/webhooks/018f0000-0000-7000-8000-000000000000", { body: "{}" })).status).toBe(404);
    const id = await webhookTrigger("webhook", null);
    expect((await call("POST", `/v1/webhooks/${id}`, { body: JSON.stringify({ big: "x".repeat(1_100_000) }) })).status).toBe(413);
    expect((await call("POST", `/triggers/${id}/disable`, { token: t.token })).status).toBe(200);
    const disabled = await call("POST", `/v1/webhooks/${id}`, { body: "{}" });
    expect(disabled.status).toBe(409);
    const list = await call("GET", `/v1/orgs/${t.orgId}/events?trigger_id=${id}`, { token: t.token });
    expect(list.body.total).toBe(0);
  });
});
