import { fromBase64, hmac, toBase64 } from "./crypto";

/**
 * Outbound Standard Webhooks signing (https://www.standardwebhooks.com): the headers
 * `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`.
 *
 * Key: a `whsec_<base64>` secret is base64-decoded (the Standard Webhooks / Svix convention,
 * so receivers can use `new Webhook("whsec_…")`); any other secret is used as raw UTF-8
 * bytes (receivers use `new Webhook(secret, { format: "raw" })`).
 */

/** The HMAC key bytes for an endpoint secret (see module doc). */
export function signingKey(secret: string): Uint8Array {
  if (secret.startsWith("whsec_")) {
    try {
      return fromBase64(secret.slice("whsec_".length));
    } catch {
      /* not base64: fall back to the raw bytes */
    }
  }
  return new TextEncoder().encode(secret);
}

/**
 * The three Standard Webhooks headers for one request. Guarantees: the signature covers
 * exactly `id.timestamp.body` with the body string as sent; `timestamp` is Unix seconds.
 */
export async function standardWebhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Promise<Record<string, string>> {
  const ts = String(Math.floor(timestampSeconds));
  const mac = await hmac("SHA-256", signingKey(secret), `${id}.${ts}.${body}`);
  return { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${toBase64(mac)}` };
}
