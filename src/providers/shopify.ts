import { hmac, safeEqual, toBase64 } from "../core/crypto";
import { bodyHashKey, header } from "./body";
import { needsSigningSecret } from "./secrets";
import type { ProviderScheme } from "./types";

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(client secret, raw body)>`.
 * Dedup = `X-Shopify-Webhook-Id` (or `X-Shopify-Event-Id`), type = `X-Shopify-Topic`,
 * route key = `X-Shopify-Shop-Domain`.
 */
export const shopify: ProviderScheme = {
  keyProblem: needsSigningSecret,
  async verify(req, keys) {
    const sig = header(req, "x-shopify-hmac-sha256");
    if (!sig) return { ok: false, reason: "X-Shopify-Hmac-Sha256 header is missing" };
    const expected = toBase64(await hmac("SHA-256", keys.signingSecret ?? "", req.raw));
    if (!safeEqual(sig.trim(), expected)) {
      return { ok: false, reason: "signature does not match: X-Shopify-Hmac-Sha256 is not the base64 HMAC-SHA256 of the body under the app's client secret" };
    }
    return { ok: true };
  },
  async describe(req) {
    const id = header(req, "x-shopify-webhook-id", "x-shopify-event-id");
    return {
      dedupKey: id ? `shopify:${id}` : await bodyHashKey(req),
      eventType: header(req, "x-shopify-topic"),
      routeKey: header(req, "x-shopify-shop-domain"),
    };
  },
};
