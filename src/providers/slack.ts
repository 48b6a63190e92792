import { hmac, safeEqual, toHex } from "../core/crypto";
import { bodyHashKey, concatBytes, dig, header, parseBody, str, timestampProblem } from "./body";
import { needsSigningSecret } from "./secrets";
import type { Described, ProviderScheme } from "./types";

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + ts + ":" + raw body)>` with
 * `X-Slack-Request-Timestamp` within 5 minutes. `url_verification` is answered with
 * `{"challenge": …}` after verification. Dedup = `event_id` (Events API); Slack's retries
 * (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`) carry the same event_id, so they dedupe
 * to the original. Slash commands and interactivity (`payload=` forms) dedupe on
 * `trigger_id`. Route key: `team_id` (or `team.id`, else `api_app_id`).
 */
export const slack: ProviderScheme = {
  keyProblem: needsSigningSecret,
  async verify(req, keys, now) {
    const ts = header(req, "x-slack-request-timestamp");
    const sig = header(req, "x-slack-signature");
    if (!sig) return { ok: false, reason: "X-Slack-Signature header is missing" };
    const stale = timestampProblem("X-Slack-Request-Timestamp", ts, now);
    if (stale) return { ok: false, reason: stale };
    const expected = `v0=${toHex(await hmac("SHA-256", keys.signingSecret ?? "", concatBytes(`v0:${ts}:`, req.raw)))}`;
    if (!safeEqual(sig.toLowerCase(), expected)) {
      return { ok: false, reason: "signature does not match: X-Slack-Signature is not v0=HMAC-SHA256 of `v0:${timestamp}:${body}` under the app's signing secret" };
    }
    return { ok: true };
  },
  async describe(req): Promise<Described> {
    const { json, form, jsonError } = parseBody(req);
    if (form && !form.has("payload")) {
      // Slash command: fields only.
      const trig = form.get("trigger_id");
      return {
        dedupKey: trig ? `slack:trigger:${trig}` : await bodyHashKey(req),
        eventType: "slash_command",
        routeKey: form.get("team_id") || form.get("api_app_id") || null,
      };
    }
    const type = str(json?.type);
    if (type === "url_verification") {
      return {
        dedupKey: await bodyHashKey(req),
        eventType: type,
        routeKey: null,
        handshake: { status: 200, contentType: "application/json", body: JSON.stringify({ challenge: str(json?.challenge) ?? "" }) },
      };
    }
    const eventId = str(json?.event_id);
    const trig = str(json?.trigger_id);
    return {
      dedupKey: eventId ? `slack:${eventId}` : trig ? `slack:trigger:${trig}` : await bodyHashKey(req),
      eventType: type === "event_callback" ? (str(dig(json, "event", "type")) ?? type) : type,
      routeKey: str(json?.team_id) ?? str(dig(json, "team", "id")) ?? str(json?.api_app_id),
      jsonError: form ? undefined : (jsonError ?? undefined),
    };
  },
};
