import { hmac, safeEqual, toBase64, toHex, type HmacAlg } from "../core/crypto";
import { bodyHashKey, header, parseBody, str } from "./body";
import type { ProviderScheme } from "./types";

/** trigger_config of the generic `webhook` provider, with its defaults. */
export interface GenericWebhookConfig {
  /** Default: "X-Signature". */
  signature_header: string;
  /** Default: "sha256". */
  algorithm: "sha1" | "sha256" | "sha512";
  /** Default: "hex". */
  encoding: "hex" | "base64";
  /** Text before the signature in the header, e.g. "sha256=". Default: "". */
  prefix: string;
}

const ALG: Record<GenericWebhookConfig["algorithm"], HmacAlg> = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" };

/** Reads the generic webhook settings out of a trigger_config, filling defaults. */
export function genericConfig(config: Record<string, unknown>): GenericWebhookConfig {
  const algorithm = config.algorithm === "sha1" || config.algorithm === "sha512" ? config.algorithm : "sha256";
  return {
    signature_header: typeof config.signature_header === "string" && config.signature_header ? config.signature_header : "X-Signature",
    algorithm,
    encoding: config.encoding === "base64" ? "base64" : "hex",
    prefix: typeof config.prefix === "string" ? config.prefix : "",
  };
}

/**
 * Any sender. With a connection `signing_secret`: HMAC of the raw body in the configured
 * header / algorithm / encoding / prefix. Without one: no verification — the unguessable
 * trigger URL is the secret. Dedup = `Idempotency-Key` or `X-Request-Id`, else SHA-256 of
 * the body; type = `X-Event-Type` header, else JSON `type` or `event`.
 */
export const genericWebhook: ProviderScheme = {
  keyProblem: () => null,
  async verify(req, keys) {
    if (!keys.signingSecret) return { ok: true };
    const cfg = genericConfig(keys.config);
    const got = header(req, cfg.signature_header.toLowerCase());
    if (!got) return { ok: false, reason: `${cfg.signature_header} header is missing; this trigger's connection has a signing_secret, so deliveries must be signed` };
    if (!got.startsWith(cfg.prefix)) return { ok: false, reason: `${cfg.signature_header} must start with '${cfg.prefix}'` };
    const mac = await hmac(ALG[cfg.algorithm], keys.signingSecret, req.raw);
    const expected = cfg.encoding === "hex" ? toHex(mac) : toBase64(mac);
    const sig = got.slice(cfg.prefix.length).trim();
    if (!safeEqual(cfg.encoding === "hex" ? sig.toLowerCase() : sig, expected)) {
      return { ok: false, reason: `signature does not match: ${cfg.signature_header} is not ${cfg.prefix}<${cfg.encoding} HMAC-${cfg.algorithm.toUpperCase()} of the body> under the connection's signing_secret` };
    }
    return { ok: true };
  },
  async describe(req) {
    const idem = header(req, "idempotency-key", "x-request-id");
    const { json } = parseBody(req);
    return {
      dedupKey: idem ? `idem:${idem}` : await bodyHashKey(req),
      eventType: header(req, "x-event-type") ?? str(json?.type) ?? str(json?.event),
      routeKey: null,
    };
  },
};
