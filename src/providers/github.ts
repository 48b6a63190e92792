import { hmac, safeEqual, toHex } from "../core/crypto";
import { bodyHashKey, dig, header, parseBody, str } from "./body";
import { needsSigningSecret } from "./secrets";
import type { ProviderScheme } from "./types";

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`, delivery id in
 * `X-GitHub-Delivery` (kept by GitHub's redeliveries, so they dedupe), event type in
 * `X-GitHub-Event`; `ping` is answered 200 and not stored. Route key: `installation.id`,
 * else `repository.full_name`.
 */
export const github: ProviderScheme = {
  keyProblem: needsSigningSecret,
  async verify(req, keys) {
    const sig = header(req, "x-hub-signature-256");
    if (!sig) return { ok: false, reason: "X-Hub-Signature-256 header is missing; set a secret on the GitHub webhook" };
    const expected = `sha256=${toHex(await hmac("SHA-256", keys.signingSecret ?? "", req.raw))}`;
    if (!safeEqual(sig.toLowerCase(), expected)) {
      return { ok: false, reason: "signature does not match: X-Hub-Signature-256 is not the HMAC-SHA256 of the body under the connection's signing_secret" };
    }
    return { ok: true };
  },
  async describe(req) {
    const { json } = parseBody(req);
    const eventType = header(req, "x-github-event");
    const routeKey = str(dig(json, "installation", "id")) ?? str(dig(json, "repository", "full_name"));
    const delivery = header(req, "x-github-delivery");
    return {
      dedupKey: delivery ? `github:${delivery}` : await bodyHashKey(req),
      eventType,
      routeKey,
      handshake: eventType === "ping" ? { status: 200, contentType: "application/json", body: JSON.stringify({ ok: true, event: "ping" }) } : undefined,
    };
  },
};
