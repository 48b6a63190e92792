/**
 * Shared shapes of the provider layer. Everything here is pure data: no Hono, no D1.
 * A verifier sees the request as parts (lower-cased headers, query, raw bytes, text)
 * so that the same code serves HTTP ingestion, the deprecated key endpoints and tests.
 */

/** The parts of an inbound webhook request a verifier may look at. */
export interface InboundRequest {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** The body exactly as received (signatures are computed over these bytes). */
  raw: Uint8Array;
  /** `raw` decoded as UTF-8 (what is stored in the event). */
  text: string;
}

/** Secrets and settings a verifier checks a request against (from the trigger's connection and config). */
export interface VerifyKeys {
  /** The connection's `secrets.signing_secret`. */
  signingSecret?: string;
  /** The connection's `secrets.client_state` (Microsoft Graph). */
  clientState?: string;
  /** The trigger's `trigger_config` (generic webhook: signature header, algorithm, encoding, prefix). */
  config: Record<string, unknown>;
}

/** An answer the provider expects instead of `{event_id}` (challenge, ping, validation token). */
export interface Handshake {
  status: number;
  contentType: "application/json" | "text/plain";
  body: string;
}

/** What a provider reads out of a delivery without any secret. */
export interface Described {
  /** Same delivery ⇒ same key: retries and redeliveries dedupe on it. */
  dedupKey: string;
  eventType: string | null;
  /** The provider's own tenant identifier used by `/v1/webhooks/{provider_id}` routing. */
  routeKey: string | null;
  /** Set for handshakes that must be answered after verification and never stored. */
  handshake?: Handshake;
  /** Set when the provider needs JSON fields but the body is not valid JSON. */
  jsonError?: string;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** The full verdict of `verifyDelivery`. */
export type Verdict =
  | ({ ok: true; reason: null } & Described)
  | { ok: false; reason: string; dedupKey: null; eventType: null; routeKey: null };

/** Why a trigger's keys cannot verify any delivery: the secret (`secrets.<name>`) missing or malformed, and what it must be. */
export interface KeyProblem {
  secret: string;
  msg: string;
}

/** One provider's inbound scheme. */
export interface ProviderScheme {
  /**
   * Null when `keys` hold a secret this scheme can verify with; otherwise what is missing.
   * A scheme whose deliveries may be unsigned (the generic webhook) reports no problem for
   * missing keys. `verify` is only called with keys that have no problem.
   */
  keyProblem(keys: VerifyKeys): KeyProblem | null;
  /** Answered before any verification (Microsoft Graph `validationToken`); null otherwise. */
  preHandshake?(req: InboundRequest): Handshake | null;
  /** Checks the signature (and timestamp window) with `keys` at time `now`. */
  verify(req: InboundRequest, keys: VerifyKeys, now: Date): Promise<SignatureCheck>;
  /** Reads dedup key, event type, route key and handshakes out of the delivery. */
  describe(req: InboundRequest): Promise<Described>;
}

export type TriggerType = "webhook" | "polling" | "scheduled";

/** One catalog entry, exactly the documented fields (samples are served separately). */
export interface CatalogTrigger {
  trigger_type: TriggerType;
  provider_id: string;
  trigger_id: string;
  trigger_name: string;
  description: string;
  instructions: string | null;
  icon: string;
  tags: string[];
  version: string;
  webhook_requires_verification: boolean;
  can_get_test_samples: boolean;
}
