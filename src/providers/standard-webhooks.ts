import { fromBase64, hmac, safeEqual, toBase64 } from "../core/crypto";
import { bodyHashKey, concatBytes, header, parseBody, str, timestampProblem } from "./body";
import { standardKeyProblem } from "./secrets";
import type { ProviderScheme } from "./types";

/**
 * Standard Webhooks (and Svix, which uses the same scheme under `svix-*` header names):
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>`
 * (space-separated list, any may match), key = base64-decoded secret after `whsec_`,
 * `webhook-timestamp` within 300 s. Dedup = `webhook-id`; type = JSON `type`; no route key.
 */
export const standardWebhooks: ProviderScheme = {
  keyProblem: (keys) => standardKeyProblem(keys.signingSecret),
  async verify(req, keys, now) {
    const id = header(req, "webhook-id", "svix-id");
    const ts = header(req, "webhook-timestamp", "svix-timestamp");
    const sigs = header(req, "webhook-signature", "svix-signature");
    if (!id || !sigs) return { ok: false, reason: "webhook-id and webhook-signature headers (or svix-id / svix-signature) are required" };
    const stale = timestampProblem("webhook-timestamp", ts, now);
    if (stale) return { ok: false, reason: stale };
    const key = fromBase64((keys.signingSecret ?? "").replace(/^whsec_/, ""));
    const expected = toBase64(await hmac("SHA-256", key, concatBytes(`${id}.${ts}.`, req.raw)));
    for (const entry of sigs.split(" ")) {
      const [version, sig] = entry.split(",");
      if (version === "v1" && sig && safeEqual(sig, expected)) return { ok: true };
    }
    return { ok: false, reason: "signature does not match: no v1 entry of webhook-signature is the HMAC-SHA256 of `${id}.${timestamp}.${body}` under the whsec_ key" };
  },
  async describe(req) {
    const { json } = parseBody(req);
    const id = header(req, "webhook-id", "svix-id");
    return { dedupKey: id ? `whid:${id}` : await bodyHashKey(req), eventType: str(json?.type), routeKey: null };
  },
};
