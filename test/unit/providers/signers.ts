/**
 * Independent signers for every webhook provider, shared by the unit verifier matrix and the
 * route matrix (test/routes/triggers/providers-matrix.test.ts). Signatures come from each
 * provider's own npm library (stripe, @octokit/webhooks-methods, standardwebhooks, svix) or,
 * for providers without a JavaScript library, from `crypto.subtle` HMAC written here — never
 * from src/core/crypto or src/providers, which are the code under test.
 */
import { sign as octokitSign } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";

const enc = new TextEncoder();
const stripeLib = new Stripe("sk_test_matrix");

/** HMAC with Web Crypto directly (independent of src/core/crypto). */
export async function subtleHmac(hash: "SHA-1" | "SHA-256" | "SHA-512", key: string | Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data)));
}
export const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
export const b64Of = (b: Uint8Array) => btoa(String.fromCharCode(...b));

/** What a delivery is made of: its id (the provider's delivery/event id), timestamp, route key. */
export interface DeliverySpec {
  id: string;
  /** Unix seconds the signature is made for (ignored by providers without a window). */
  ts: number;
  routeKey: string;
}

/** One provider's signing scheme, as the provider (not Switchyard) defines it. */
export interface ProviderCase {
  /** Label of the describe block (svix is standard_webhooks under svix-* headers). */
  label: string;
  provider: string;
  /** True when the signature carries a timestamp checked within ±300 s. */
  windowed: boolean;
  /** True when the provider-id path routes by a route key found in the delivery. */
  routed: boolean;
  /** A fresh secret in the provider's own format. */
  newSecret(): string;
  /** The connection secrets that verify deliveries signed with `secret`. */
  secrets(secret: string): Record<string, unknown>;
  /** trigger_config needed by the provider (generic webhook: header/algorithm/encoding/prefix). */
  config?: Record<string, unknown>;
  /** The body of a delivery. `secret` is only used by Microsoft Graph, whose clientState travels in the body. */
  body(d: DeliverySpec, secret: string): string;
  /** Headers of the delivery of `body`, signed with `secret`. */
  sign(secret: string, body: string, d: DeliverySpec): Promise<Record<string, string>>;
  /** The signature text Switchyard must compare (the bytes handed to the constant-time primitive). */
  received(headers: Record<string, string>, body: string): string;
  /** A body that differs from `body` after signing (Graph: another clientState, see README). */
  tamper(body: string): string;
  /** The event type the provider puts in this delivery. */
  eventType: string;
}

const json = (v: unknown) => JSON.stringify(v);
const uniq = () => crypto.randomUUID().replaceAll("-", "");

const standardLike = (label: string, lib: "standardwebhooks" | "svix", prefix: "webhook" | "svix"): ProviderCase => ({
  label,
  provider: "standard_webhooks",
  windowed: true,
  routed: false,
  newSecret: () => `whsec_${b64Of(crypto.getRandomValues(new Uint8Array(24)))}`,
  secrets: (s) => ({ signing_secret: s }),
  body: (d) => json({ type: "invoice.paid", data: { id: d.id } }),
  async sign(secret, body, d) {
    const when = new Date(d.ts * 1000);
    const sig = lib === "svix" ? new SvixWebhook(secret).sign(d.id, when, body) : new StandardWebhook(secret).sign(d.id, when, body);
    return { "content-type": "application/json", [`${prefix}-id`]: d.id, [`${prefix}-timestamp`]: String(d.ts), [`${prefix}-signature`]: sig };
  },
  received: (h) => h[`${prefix}-signature`]!.split(",")[1]!,
  tamper: (b) => b.replace("invoice.paid", "invoice.void"),
  eventType: "invoice.paid",
});

/** Every webhook provider Switchyard verifies, with its own signing scheme. */
export const PROVIDERS: ProviderCase[] = [
  {
    label: "github",
    provider: "github",
    windowed: false,
    routed: true,
    newSecret: () => `gh-${uniq()}`,
    secrets: (s) => ({ signing_secret: s }),
    body: (d) => json({ ref: "refs/heads/main", repository: { full_name: d.routeKey } }),
    sign: async (secret, body, d) => ({ "content-type": "application/json", "x-github-event": "push", "x-github-delivery": d.id, "x-hub-signature-256": await octokitSign(secret, body) }),
    received: (h) => h["x-hub-signature-256"]!,
    tamper: (b) => b.replace("main", "evil"),
    eventType: "push",
  },
  {
    label: "stripe",
    provider: "stripe",
    windowed: true,
    routed: true,
    newSecret: () => `whsec_${uniq()}`,
    secrets: (s) => ({ signing_secret: s }),
    body: (d) => json({ id: d.id, object: "event", type: "customer.created", account: d.routeKey, data: { object: {} } }),
    sign: async (secret, body, d) => ({
      "content-type": "application/json",
      "stripe-signature": await stripeLib.webhooks.generateTestHeaderStringAsync({ payload: body, secret, timestamp: d.ts }),
    }),
    received: (h) => /v1=([0-9a-f]+)/.exec(h["stripe-signature"]!)![1]!,
    tamper: (b) => b.replace("customer.created", "customer.deleted"),
    eventType: "customer.created",
  },
  {
    // Slack has no signing library for workerd; its scheme (api.slack.com "Verifying requests
    // from Slack") is written here with crypto.subtle. The unit file also checks Slack's vector.
    label: "slack",
    provider: "slack",
    windowed: true,
    routed: true,
    newSecret: () => hexOf(crypto.getRandomValues(new Uint8Array(16))),
    secrets: (s) => ({ signing_secret: s }),
    body: (d) => json({ type: "event_callback", event_id: d.id, team_id: d.routeKey, event: { type: "app_mention", text: "hi" } }),
    sign: async (secret, body, d) => ({
      "content-type": "application/json",
      "x-slack-request-timestamp": String(d.ts),
      "x-slack-signature": `v0=${hexOf(await subtleHmac("SHA-256", secret, `v0:${d.ts}:${body}`))}`,
    }),
    received: (h) => h["x-slack-signature"]!,
    tamper: (b) => b.replace('"hi"', '"bye"'),
    eventType: "app_mention",
  },
  {
    // shopify.dev "Verify webhooks": base64 HMAC-SHA256 of the raw body under the client secret.
    label: "shopify",
    provider: "shopify",
    windowed: false,
    routed: true,
    newSecret: () => `shpss_${uniq()}`,
    secrets: (s) => ({ signing_secret: s }),
    body: () => json({ id: 820982911946154500, total_price: "10.00" }),
    sign: async (secret, body, d) => ({
      "content-type": "application/json",
      "x-shopify-topic": "orders/create",
      "x-shopify-webhook-id": d.id,
      "x-shopify-shop-domain": d.routeKey,
      "x-shopify-hmac-sha256": b64Of(await subtleHmac("SHA-256", secret, body)),
    }),
    received: (h) => h["x-shopify-hmac-sha256"]!,
    tamper: (b) => b.replace("10.00", "0.01"),
    eventType: "orders/create",
  },
  {
    // Typeform "Secure your webhooks": `sha256=` + base64 HMAC-SHA256 of the raw body.
    label: "typeform",
    provider: "typeform",
    windowed: false,
    routed: true,
    newSecret: () => `tf-${uniq()}`,
    secrets: (s) => ({ signing_secret: s }),
    body: (d) => json({ event_id: d.id, event_type: "form_response", form_response: { form_id: d.routeKey, answers: [{ text: "yes" }] } }),
    sign: async (secret, body) => ({ "content-type": "application/json", "typeform-signature": `sha256=${b64Of(await subtleHmac("SHA-256", secret, body))}` }),
    received: (h) => h["typeform-signature"]!,
    tamper: (b) => b.replace('"yes"', '"no"'),
    eventType: "form_response",
  },
  {
    // Microsoft Graph signs nothing: each notification carries the subscription's clientState.
    label: "microsoft_graph",
    provider: "microsoft_graph",
    windowed: false,
    routed: true,
    newSecret: () => `cs-${uniq()}`,
    secrets: (s) => ({ client_state: s }),
    body: (d, secret) => json({ value: [{ subscriptionId: d.routeKey, clientState: secret, changeType: "created", resource: `me/messages/${d.id}` }] }),
    sign: async () => ({ "content-type": "application/json" }),
    received: (_h, body) => (JSON.parse(body) as { value: { clientState: string }[] }).value[0]!.clientState,
    tamper: (b) => b.replace(/"clientState":"[^"]*"/, '"clientState":"forged"'),
    eventType: "created",
  },
  standardLike("standard_webhooks", "standardwebhooks", "webhook"),
  standardLike("svix", "svix", "svix"),
  {
    label: "webhook (generic HMAC)",
    provider: "webhook",
    windowed: false,
    routed: false,
    newSecret: () => `gen-${uniq()}`,
    secrets: (s) => ({ signing_secret: s }),
    config: { signature_header: "X-Hook-Sig", algorithm: "sha512", encoding: "hex", prefix: "sha512=" },
    body: (d) => json({ type: "order.created", order: d.id }),
    sign: async (secret, body, d) => ({
      "content-type": "application/json",
      "idempotency-key": d.id,
      "x-hook-sig": `sha512=${hexOf(await subtleHmac("SHA-512", secret, body))}`,
    }),
    received: (h) => h["x-hook-sig"]!.slice("sha512=".length),
    tamper: (b) => b.replace("order.created", "order.refunded"),
    eventType: "order.created",
  },
];
