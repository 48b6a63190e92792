import { sign as githubSign } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { verifyDelivery } from "../../../src/providers/registry";
import type { InboundRequest } from "../../../src/providers/types";
import { b64Of, hexOf, subtleHmac } from "./signers";

const enc = new TextEncoder();
const reqOf = (text: string, headers: Record<string, string> = {}, query: Record<string, string> = {}): InboundRequest => ({
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  query,
  raw: enc.encode(text),
  text,
});

describe("Slack verifier", () => {
  // Slack's documented example ("Verifying requests from Slack", api.slack.com/authentication/verifying-requests-from-slack):
  // signing secret 8f742231b10e8888abcd99yyyzzz85a5, timestamp 1531420618, the slash-command body below,
  // expected signature v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503.
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const headers = {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": "1531420618",
    "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
  };

  it("accepts Slack's published example vector and reads the slash command", async () => {
    const v = await verifyDelivery("slack", reqOf(body, headers), { signingSecret: secret, config: {} }, new Date(1531420618_000 + 30_000));
    expect(v.ok).toBe(true);
    expect(v.eventType).toBe("slash_command");
    expect(v.routeKey).toBe("T1DC2JH3J");
    expect(v.dedupKey).toBe("slack:trigger:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
  });

  it("refuses the same vector 6 minutes later (outside the 5-minute window)", async () => {
    const v = await verifyDelivery("slack", reqOf(body, headers), { signingSecret: secret, config: {} }, new Date(1531420618_000 + 360_000));
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/5-minute window/);
  });

  it("refuses a tampered body", async () => {
    const v = await verifyDelivery("slack", reqOf(body.replace("roadrunner", "coyote"), headers), { signingSecret: secret, config: {} }, new Date(1531420618_000));
    expect(v).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not match/) });
  });
});

describe("GitHub verifier (signed with @octokit/webhooks-methods)", () => {
  const payload = JSON.stringify({ zen: "Design for failure.", hook_id: 1, repository: { full_name: "octocat/hello" } });
  it("accepts a valid signature and answers ping", async () => {
    const sig = await githubSign("gh-secret", payload);
    const v = await verifyDelivery("github", reqOf(payload, { "x-hub-signature-256": sig, "x-github-event": "ping", "x-github-delivery": "d-1" }), { signingSecret: "gh-secret", config: {} }, new Date());
    expect(v.ok).toBe(true);
    expect(v.dedupKey).toBe("github:d-1");
    expect(v.routeKey).toBe("octocat/hello");
    expect(v.ok && v.handshake?.status).toBe(200);
  });
  it("accepts GitHub's documented example (docs.github.com 'Validating webhook deliveries')", async () => {
    // secret "It's a Secret to Everybody", payload "Hello, World!" → the published signature below.
    const sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(await githubSign("It's a Secret to Everybody", "Hello, World!")).toBe(sig);
    const v = await verifyDelivery("github", reqOf("Hello, World!", { "x-hub-signature-256": sig }), { signingSecret: "It's a Secret to Everybody", config: {} }, new Date());
    expect(v.ok).toBe(true);
  });
  it("refuses another secret", async () => {
    const sig = await githubSign("other", payload);
    const v = await verifyDelivery("github", reqOf(payload, { "x-hub-signature-256": sig }), { signingSecret: "gh-secret", config: {} }, new Date());
    expect(v.ok).toBe(false);
  });
});

describe("Stripe verifier (signed with the stripe library)", () => {
  const stripe = new Stripe("sk_test_123");
  const secret = "whsec_test_secret";
  const payload = JSON.stringify({ id: "evt_1", object: "event", type: "customer.created", data: { object: {} } });
  it("accepts a fresh signature, reads id and type", async () => {
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret });
    const v = await verifyDelivery("stripe", reqOf(payload, { "stripe-signature": header }), { signingSecret: secret, config: {} }, new Date());
    expect(v).toMatchObject({ ok: true, dedupKey: "stripe:evt_1", eventType: "customer.created" });
  });
  it("accepts when any of several v1 signatures matches", async () => {
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret });
    const mixed = header.replace("v1=", `v1=${"0".repeat(64)},v1=`);
    const v = await verifyDelivery("stripe", reqOf(payload, { "stripe-signature": mixed }), { signingSecret: secret, config: {} }, new Date());
    expect(v.ok).toBe(true);
  });
  it("refuses a signature older than 300 s", async () => {
    const timestamp = Math.floor(Date.now() / 1000) - 301;
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp });
    const v = await verifyDelivery("stripe", reqOf(payload, { "stripe-signature": header }), { signingSecret: secret, config: {} }, new Date());
    expect(v).toMatchObject({ ok: false, reason: expect.stringMatching(/5-minute window/) });
  });
});

describe("Standard Webhooks and Svix verifiers (signed with their libraries)", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const payload = JSON.stringify({ type: "invoice.paid", data: { id: 1 } });
  it("accepts standardwebhooks' signature", async () => {
    const now = new Date();
    const sig = new StandardWebhook(secret).sign("msg_1", now, payload);
    const ts = String(Math.floor(now.getTime() / 1000));
    const v = await verifyDelivery("standard_webhooks", reqOf(payload, { "webhook-id": "msg_1", "webhook-timestamp": ts, "webhook-signature": sig }), { signingSecret: secret, config: {} }, now);
    expect(v).toMatchObject({ ok: true, dedupKey: "whid:msg_1", eventType: "invoice.paid" });
  });
  it("accepts svix's signature under svix-* headers and refuses it when stale", async () => {
    const now = new Date();
    const sig = new SvixWebhook(secret).sign("msg_2", now, payload);
    const ts = String(Math.floor(now.getTime() / 1000));
    const req = reqOf(payload, { "svix-id": "msg_2", "svix-timestamp": ts, "svix-signature": sig });
    expect((await verifyDelivery("standard_webhooks", req, { signingSecret: secret, config: {} }, now)).ok).toBe(true);
    expect((await verifyDelivery("standard_webhooks", req, { signingSecret: secret, config: {} }, new Date(now.getTime() + 301_000))).ok).toBe(false);
  });
});

describe("Shopify, Typeform, Microsoft Graph and generic HMAC verifiers", () => {
  it("Shopify: base64 HMAC-SHA256 of the body (shopify.dev 'Verify webhooks' scheme)", async () => {
    const body = JSON.stringify({ id: 820982911946154500 });
    const sig = b64Of(await subtleHmac("SHA-256", "shpss_secret", body));
    const v = await verifyDelivery(
      "shopify",
      reqOf(body, { "x-shopify-hmac-sha256": sig, "x-shopify-topic": "orders/create", "x-shopify-webhook-id": "wh-1", "x-shopify-shop-domain": "shop.myshopify.com" }),
      { signingSecret: "shpss_secret", config: {} },
      new Date(),
    );
    expect(v).toMatchObject({ ok: true, dedupKey: "shopify:wh-1", eventType: "orders/create", routeKey: "shop.myshopify.com" });
  });
  it("Typeform: sha256=<base64 HMAC> (Typeform 'Secure your webhooks' scheme)", async () => {
    const body = JSON.stringify({ event_id: "LtWXD3crgy", event_type: "form_response", form_response: { form_id: "lT4Z3j" } });
    const sig = `sha256=${b64Of(await subtleHmac("SHA-256", "tf-secret", body))}`;
    const v = await verifyDelivery("typeform", reqOf(body, { "typeform-signature": sig }), { signingSecret: "tf-secret", config: {} }, new Date());
    expect(v).toMatchObject({ ok: true, dedupKey: "typeform:LtWXD3crgy", routeKey: "lT4Z3j" });
    const bad = await verifyDelivery("typeform", reqOf(body, { "typeform-signature": "sha256=AAAA" }), { signingSecret: "tf-secret", config: {} }, new Date());
    expect(bad.ok).toBe(false);
  });
  it("Microsoft Graph: clientState must match on every notification", async () => {
    const body = (cs: string) => JSON.stringify({ value: [{ subscriptionId: "sub-1", clientState: cs, changeType: "created" }] });
    const ok = await verifyDelivery("microsoft_graph", reqOf(body("s3cret")), { clientState: "s3cret", config: {} }, new Date());
    expect(ok).toMatchObject({ ok: true, routeKey: "sub-1", eventType: "created" });
    const bad = await verifyDelivery("microsoft_graph", reqOf(body("nope")), { clientState: "s3cret", config: {} }, new Date());
    expect(bad.ok).toBe(false);
  });
  it("generic webhook: configurable header/algorithm/encoding/prefix, and no secret means no check", async () => {
    const body = '{"type":"order.created"}';
    const sig = `sha512=${hexOf(await subtleHmac("SHA-512", "gen", body))}`;
    const config = { signature_header: "X-Hook-Sig", algorithm: "sha512", encoding: "hex", prefix: "sha512=" };
    expect((await verifyDelivery("webhook", reqOf(body, { "x-hook-sig": sig }), { signingSecret: "gen", config }, new Date())).ok).toBe(true);
    expect((await verifyDelivery("webhook", reqOf(body, { "x-hook-sig": sig }), { signingSecret: "other", config }, new Date())).ok).toBe(false);
    const open = await verifyDelivery("webhook", reqOf(body), { config: {} }, new Date());
    expect(open).toMatchObject({ ok: true, eventType: "order.created" });
    expect(open.dedupKey).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
  it("providers that require a signature refuse when no secret is attached", async () => {
    const v = await verifyDelivery("stripe", reqOf("{}"), { config: {} }, new Date());
    expect(v).toMatchObject({ ok: false, reason: expect.stringMatching(/secrets\.signing_secret/) });
  });
});
