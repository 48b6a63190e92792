import { hmac, safeEqual, toHex } from "../core/crypto";
import { bodyHashKey, concatBytes, header, parseBody, str, timestampProblem } from "./body";
import { needsSigningSecret } from "./secrets";
import type { ProviderScheme } from "./types";

/** Stripe's default tolerance, in seconds. */
export const STRIPE_TOLERANCE_SECONDS = 300;

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, each v1 an HMAC-SHA256 of
 * `${t}.${raw body}` under the endpoint secret (`whsec_…`, used as-is). Any v1 may match
 * (Stripe sends several while a secret is being rolled). `t` must be within 300 s.
 * Dedup = the event `id`; type = `type`; route key = `account` (Connect).
 */
export const stripe: ProviderScheme = {
  keyProblem: needsSigningSecret,
  async verify(req, keys, now) {
    const h = header(req, "stripe-signature");
    if (!h) return { ok: false, reason: "Stripe-Signature header is missing" };
    let t: string | null = null;
    const v1: string[] = [];
    for (const part of h.split(",")) {
      const i = part.indexOf("=");
      const k = part.slice(0, i).trim();
      const v = part.slice(i + 1).trim();
      if (k === "t") t = v;
      else if (k === "v1") v1.push(v.toLowerCase());
    }
    if (!t || v1.length === 0) return { ok: false, reason: "Stripe-Signature must carry t=<timestamp> and at least one v1=<signature>" };
    const expected = toHex(await hmac("SHA-256", keys.signingSecret ?? "", concatBytes(`${t}.`, req.raw)));
    let match = false;
    for (const s of v1) if (safeEqual(s, expected)) match = true;
    if (!match) return { ok: false, reason: "signature does not match: no v1 in Stripe-Signature is the HMAC-SHA256 of `${t}.${body}` under the connection's signing_secret (whsec_…)" };
    const stale = timestampProblem("Stripe-Signature timestamp t", t, now, STRIPE_TOLERANCE_SECONDS);
    return stale ? { ok: false, reason: stale } : { ok: true };
  },
  async describe(req) {
    const { json, jsonError } = parseBody(req);
    const id = str(json?.id);
    return {
      dedupKey: id ? `stripe:${id}` : await bodyHashKey(req),
      eventType: str(json?.type),
      routeKey: str(json?.account),
      jsonError: jsonError ?? undefined,
    };
  },
};
