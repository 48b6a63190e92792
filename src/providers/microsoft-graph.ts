import { safeEqual } from "../core/crypto";
import { bodyHashKey, isObject, parseBody, str } from "./body";
import type { ProviderScheme } from "./types";

/**
 * Microsoft Graph change notifications. Subscription validation: `?validationToken=…` is
 * echoed as `text/plain` 200 before anything else (Graph signs nothing there). Notifications
 * `{value:[{subscriptionId, clientState, changeType, …}]}` are verified by comparing every
 * item's `clientState` in constant time with the connection's `client_state` (or
 * `signing_secret`). Dedup = SHA-256 of the body (Graph has no delivery id); type =
 * `changeType` of the first item; route key = its `subscriptionId`.
 */
export const microsoftGraph: ProviderScheme = {
  keyProblem(keys) {
    return keys.clientState || keys.signingSecret
      ? null
      : { secret: "secrets.client_state", msg: "secrets.client_state (or secrets.signing_secret) must be a non-empty string equal to the Graph subscription's clientState" };
  },
  preHandshake(req) {
    const token = req.query.validationToken;
    return token === undefined ? null : { status: 200, contentType: "text/plain", body: token };
  },
  async verify(req, keys) {
    const expected = keys.clientState ?? keys.signingSecret ?? "";
    const items = notifications(req);
    if (!items || items.length === 0) return { ok: false, reason: "body is not a Microsoft Graph notification: expected {\"value\": [ … ]}" };
    for (const item of items) {
      const cs = str(item.clientState);
      if (!cs || !safeEqual(cs, expected)) {
        return { ok: false, reason: "clientState does not match: every notification's clientState must equal the connection's secrets.client_state" };
      }
    }
    return { ok: true };
  },
  async describe(req) {
    const items = notifications(req) ?? [];
    const { jsonError } = parseBody(req);
    return {
      dedupKey: await bodyHashKey(req),
      eventType: str(items[0]?.changeType),
      routeKey: str(items[0]?.subscriptionId),
      jsonError: jsonError ?? undefined,
    };
  },
};

function notifications(req: Parameters<ProviderScheme["describe"]>[0]): Record<string, unknown>[] | null {
  const value = parseBody(req).json?.value;
  return Array.isArray(value) ? value.filter(isObject) : null;
}
