import { github } from "./github";
import { genericWebhook } from "./generic-webhook";
import { microsoftGraph } from "./microsoft-graph";
import { shopify } from "./shopify";
import { slack } from "./slack";
import { standardWebhooks } from "./standard-webhooks";
import { stripe } from "./stripe";
import { typeform } from "./typeform";
import { keysFromSecrets, needsSigningSecret } from "./secrets";
import type { InboundRequest, KeyProblem, ProviderScheme, Verdict, VerifyKeys } from "./types";

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
 * What a connection holding `secrets` lacks to be attached to a webhook trigger of
 * `providerId`, or null when it is usable (also null for providers that receive no webhooks:
 * polling and scheduled connections carry credentials, not signing secrets). A connection
 * on a generic `webhook` trigger exists to sign its deliveries, so it needs a signing_secret.
 */
export function connectionSecretProblem(providerId: string, secrets: Record<string, unknown>): KeyProblem | null {
  const scheme = schemeOf(providerId);
  if (!scheme) return null;
  const keys = keysFromSecrets(secrets, {});
  return providerId === "webhook" ? needsSigningSecret(keys) : scheme.keyProblem(keys);
}

/**
 * Verifies one delivery for `providerId` with `keys` at `now` and, when it verifies, reads
 * its dedup key, event type and route key. Pure apart from Web Crypto; never throws for bad
 * input or an unusable secret (both are a failed verdict with a reason a person can act on;
 * the secret is checked with the scheme's `keyProblem` before any Web Crypto call).
 */
export async function verifyDelivery(providerId: string, req: InboundRequest, keys: VerifyKeys, now: Date): Promise<Verdict> {
  const fail = (reason: string): Verdict => ({ ok: false, reason, dedupKey: null, eventType: null, routeKey: null });
  const scheme = schemeOf(providerId);
  if (!scheme) return fail(`provider '${providerId}' does not receive webhooks`);
  const problem = scheme.keyProblem(keys);
  if (problem) {
    return fail(
      keys.signingSecret || keys.clientState
        ? `this trigger's connection cannot verify ${providerId} deliveries: ${problem.msg}`
        : `provider '${providerId}' requires a signature: attach a connection with ${problem.secret}${providerId === "microsoft_graph" ? " (or secrets.signing_secret)" : ""} to this trigger`,
    );
  }
  const check = await scheme.verify(req, keys, now);
  if (!check.ok) return fail(check.reason);
  return { ok: true, reason: null, ...(await scheme.describe(req)) };
}
