/**
 * What a webhook provider needs from a connection's secrets, in one place: the verifiers
 * (registry.verifyDelivery refuses keys with a problem before any Web Crypto call), trigger
 * creation and connection updates all ask the same functions, so a secret accepted at
 * create time is one the verifier can use.
 */
import type { KeyProblem, VerifyKeys } from "./types";

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/** The verification keys in a connection's decrypted secrets: non-empty strings only. */
export function keysFromSecrets(secrets: Record<string, unknown>, config: Record<string, unknown>): VerifyKeys {
  return { config, signingSecret: text(secrets.signing_secret), clientState: text(secrets.client_state) };
}

/** True when the keys hold any secret at all (what provider-id routing requires of a candidate). */
export const hasSecret = (keys: VerifyKeys): boolean => Boolean(keys.signingSecret || keys.clientState);

/** HMAC providers (GitHub, Stripe, Slack, Shopify, Typeform): a non-empty `secrets.signing_secret`. */
export function needsSigningSecret(keys: VerifyKeys): KeyProblem | null {
  return keys.signingSecret ? null : { secret: "secrets.signing_secret", msg: "secrets.signing_secret must be a non-empty string (the provider's webhook signing secret)" };
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Standard Webhooks / Svix: `whsec_<base64 key>` or the base64 key alone; the key must decode
 * to at least one byte (an empty HMAC key makes Web Crypto throw).
 */
export function standardKeyProblem(secret: string | undefined): KeyProblem | null {
  const problem = { secret: "secrets.signing_secret", msg: "secrets.signing_secret must be a Standard Webhooks key: whsec_<non-empty base64> (or the base64 key without the whsec_ prefix)" };
  if (!secret) return problem;
  const b64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!B64.test(b64) || b64.length % 4 === 1) return problem;
  try {
    return atob(b64).length > 0 ? null : problem;
  } catch {
    return problem;
  }
}
