import { github } from "./github";
import { genericWebhook } from "./generic-webhook";
import { microsoftGraph } from "./microsoft-graph";
import { shopify } from "./shopify";
import { slack } from "./slack";
import { standardWebhooks } from "./standard-webhooks";
import { stripe } from "./stripe";
import { typeform } from "./typeform";
import type { InboundRequest, ProviderScheme, Verdict, VerifyKeys } from "./types";

/** Inbound verification scheme of each webhook provider (polling/scheduled providers have none). */
export const SCHEMES: Record<string, ProviderScheme> = {
  github,
  stripe,
  slack,
  shopify,
  typeform,
  microsoft_graph: microsoftGraph,
  standard_webhooks: standardWebhooks,
  webhook: genericWebhook,
};

/** The scheme of a webhook provider, or null when the provider does not receive webhooks. */
export const schemeOf = (providerId: string): ProviderScheme | null => (Object.hasOwn(SCHEMES, providerId) ? SCHEMES[providerId]! : null);

/**
 * Verifies one delivery for `providerId` with `keys` at `now` and, when it verifies, reads
 * its dedup key, event type and route key. Pure apart from Web Crypto; never throws for bad
 * input (a malformed request is a failed verdict with a reason a person can act on).
 */
export async function verifyDelivery(providerId: string, req: InboundRequest, keys: VerifyKeys, now: Date): Promise<Verdict> {
  const fail = (reason: string): Verdict => ({ ok: false, reason, dedupKey: null, eventType: null, routeKey: null });
  const scheme = schemeOf(providerId);
  if (!scheme) return fail(`provider '${providerId}' does not receive webhooks`);
  if (scheme.requiresSecret && !keys.signingSecret && !keys.clientState) {
    return fail(
      `provider '${providerId}' requires a signature: attach a connection with secrets.signing_secret${providerId === "microsoft_graph" ? " (or secrets.client_state)" : ""} to this trigger`,
    );
  }
  const check = await scheme.verify(req, keys, now);
  if (!check.ok) return fail(check.reason);
  return { ok: true, reason: null, ...(await scheme.describe(req)) };
}
