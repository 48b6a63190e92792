import { hmac, safeEqual, toBase64 } from "../core/crypto";
import { bodyHashKey, dig, header, parseBody, str } from "./body";
import { needsSigningSecret } from "./secrets";
import type { ProviderScheme } from "./types";

/**
 * Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>`.
 * Dedup = `event_id`, type = `event_type`, route key = `form_response.form_id`.
 */
export const typeform: ProviderScheme = {
  keyProblem: needsSigningSecret,
  async verify(req, keys) {
    const sig = header(req, "typeform-signature");
    if (!sig) return { ok: false, reason: "Typeform-Signature header is missing; set a secret on the Typeform webhook" };
    const expected = `sha256=${toBase64(await hmac("SHA-256", keys.signingSecret ?? "", req.raw))}`;
    if (!safeEqual(sig.trim(), expected)) {
      return { ok: false, reason: "signature does not match: Typeform-Signature is not sha256=<base64 HMAC-SHA256 of the body> under the webhook secret" };
    }
    return { ok: true };
  },
  async describe(req) {
    const { json, jsonError } = parseBody(req);
    const id = str(json?.event_id);
    return {
      dedupKey: id ? `typeform:${id}` : await bodyHashKey(req),
      eventType: str(json?.event_type),
      routeKey: str(dig(json, "form_response", "form_id")),
      jsonError: jsonError ?? undefined,
    };
  },
};
