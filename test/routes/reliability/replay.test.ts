/**
 * Replay protection for every provider: a replayed delivery id is deduplicated (200 with the
 * original event id, one row), and, where the provider signs a timestamp, a stale one is refused.
 * Signatures come from the providers' own libraries where they exist (stripe,
 * @octokit/webhooks-methods, standardwebhooks, svix); the others follow their published schemes.
 */
import { sign as githubSign } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { makeTenant } from "../../fixtures";
import { eventsOf, makeTrigger, post, shopifySig, slackHeaders, typeformSig } from "../triggers/helpers";

const SECRET = "replay-secret-0123456789";
const WHSEC = `whsec_${btoa("replay-standard-webhooks-key-012")}`;
const now = () => Math.floor(Date.now() / 1000);
const STALE = 60 * 60; // an hour old: outside every provider's window

type Signed = { body: string; headers: Record<string, string> };
interface Case {
  provider: string;
  /** Test label when it differs from the provider id. */
  label?: string;
  secret: string;
  /** One delivery, signed at Unix time `ts`, with delivery id `id`. */
  make: (id: string, ts: number) => Promise<Signed>;
  /** Whether the scheme signs a timestamp. */
  timestamped: boolean;
}

const stripe = new Stripe("sk_test_unused");
const CASES: Case[] = [
  {
    provider: "github", secret: SECRET, timestamped: false,
    make: async (id) => {
      const body = JSON.stringify({ action: "opened", n: 1 });
      return { body, headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": id, "x-hub-signature-256": await githubSign(SECRET, body) } };
    },
  },
  {
    provider: "stripe", secret: SECRET, timestamped: true,
    make: async (id, ts) => {
      const body = JSON.stringify({ id, type: "customer.created", data: { object: {} } });
      return { body, headers: { "content-type": "application/json", "stripe-signature": await stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret: SECRET, timestamp: ts }) } };
    },
  },
  {
    provider: "slack", secret: SECRET, timestamped: true,
    make: async (id, ts) => {
      const body = JSON.stringify({ type: "event_callback", team_id: "T1", event_id: id, event: { type: "message", text: "hi" } });
      return { body, headers: await slackHeaders(SECRET, body, ts) };
    },
  },
  {
    provider: "shopify", secret: SECRET, timestamped: false,
    make: async (id) => {
      const body = JSON.stringify({ id: 1, total: "9.99" });
      return { body, headers: { "content-type": "application/json", "x-shopify-topic": "orders/create", "x-shopify-webhook-id": id, "x-shopify-hmac-sha256": await shopifySig(SECRET, body) } };
    },
  },
  {
    provider: "typeform", secret: SECRET, timestamped: false,
    make: async (id) => {
      const body = JSON.stringify({ event_id: id, event_type: "form_response", form_response: { form_id: "F1" } });
      return { body, headers: { "content-type": "application/json", "typeform-signature": await typeformSig(SECRET, body) } };
    },
  },
  {
    provider: "standard_webhooks", secret: WHSEC, timestamped: true,
    make: async (id, ts) => {
      const body = JSON.stringify({ type: "invoice.paid" });
      const signature = new StandardWebhook(WHSEC).sign(id, new Date(ts * 1000), body);
      return { body, headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature } };
    },
  },
  {
    provider: "standard_webhooks", label: "svix headers", secret: WHSEC, timestamped: true,
    make: async (id, ts) => {
      const body = JSON.stringify({ type: "svix.event" });
      const signature = new SvixWebhook(WHSEC).sign(id, new Date(ts * 1000), body);
      return { body, headers: { "content-type": "application/json", "svix-id": id, "svix-timestamp": String(ts), "svix-signature": signature } };
    },
  },
];

describe("replay protection for every provider", () => {
  for (const c of CASES) {
    it(`${c.label ?? c.provider}: a replayed delivery id is deduplicated${c.timestamped ? " and a stale timestamp refused" : ""}`, async () => {
      const t = await makeTenant(`replay-${c.provider}`);
      const triggerId = await makeTrigger(t, c.provider, { signing_secret: c.secret });
      const delivery = await c.make(`dlv-${crypto.randomUUID()}`, now());
      const first = await post(`/v1/webhooks/${triggerId}`, delivery.body, delivery.headers);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const again = await post(`/v1/webhooks/${triggerId}`, delivery.body, delivery.headers);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ event_id: first.body.event_id, duplicate: true });
      expect(await eventsOf(triggerId)).toHaveLength(1);
      if (c.timestamped) {
        const stale = await c.make(`dlv-${crypto.randomUUID()}`, now() - STALE);
        const res = await post(`/v1/webhooks/${triggerId}`, stale.body, stale.headers);
        expect(res.status).toBe(401);
        expect(res.body.detail[0].type).toBe("invalid_signature");
        expect(await eventsOf(triggerId)).toHaveLength(1);
      }
    });
  }

  it("generic webhook: an Idempotency-Key replay is deduplicated", async () => {
    const t = await makeTenant("replay-generic");
    const triggerId = await makeTrigger(t, "webhook", null);
    const headers = { "content-type": "application/json", "idempotency-key": "key-1" };
    const first = await post(`/v1/webhooks/${triggerId}`, '{"a":1}', headers);
    const again = await post(`/v1/webhooks/${triggerId}`, '{"a":1}', headers);
    expect(again.body).toMatchObject({ event_id: first.body.event_id, duplicate: true });
    expect(await eventsOf(triggerId)).toHaveLength(1);
  });
});
