/** Shared helpers of the trigger route tests: create triggers through the API, post deliveries, read stored events. */
import { SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { events, triggers } from "../../../src/db/schema";
import { api, db, makeConnection, type Tenant } from "../../fixtures";

// Signatures are computed here with Web Crypto directly, independently of src/core/crypto.
const utf8 = new TextEncoder();
async function hmac(alg: "SHA-256", key: string | Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? utf8.encode(key) : key, { name: "HMAC", hash: alg }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8.encode(data)));
}
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const toBase64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

/** Creates (and by default enables) a trigger through the API; a connection is made when `secrets` is given. */
export async function makeTrigger(
  t: Tenant,
  providerId: string,
  secrets: Record<string, unknown> | null,
  opts: { triggerId?: string; routeKey?: string; config?: Record<string, unknown>; enable?: boolean } = {},
): Promise<string> {
  const connection_id = secrets ? await makeConnection(t, providerId, secrets) : null;
  const res = await api("POST", `/projects/${t.appId}/triggers`, {
    token: t.tokens.editor,
    body: { provider_id: providerId, trigger_id: opts.triggerId ?? "on_any_event", connection_id, route_key: opts.routeKey, trigger_config: opts.config },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const id = res.body.project_trigger_id as string;
  if (opts.enable !== false) expect((await api("POST", `/triggers/${id}/enable`, { token: t.tokens.editor })).status).toBe(200);
  return id;
}

/**
 * Writes an ENABLED webhook trigger straight into D1, bypassing the API's create-time rules:
 * it models rows that exist from before a rule (or were written by a bug). `ageMs` makes it
 * older than triggers created through the API afterwards.
 */
export async function insertTrigger(
  t: Tenant,
  providerId: string,
  opts: { connectionId?: string | null; routeKey?: string | null; ageMs?: number; triggerId?: string; triggerType?: "webhook" | "polling" | "scheduled" } = {},
): Promise<string> {
  const at = Date.now() - (opts.ageMs ?? 0);
  const id = uuidv7(at);
  const iso = new Date(at).toISOString();
  await db()
    .insert(triggers)
    .values({
      projectTriggerId: id,
      orgId: t.orgId,
      projectId: t.appId,
      connectionId: opts.connectionId ?? null,
      providerId,
      triggerId: opts.triggerId ?? "on_any_event",
      triggerType: opts.triggerType ?? "webhook",
      webhookData: { webhook_url: `/v1/webhooks/${id}` },
      status: "ENABLED",
      routeKey: opts.routeKey ?? null,
      createdBy: "test",
      createdAt: iso,
      updatedAt: iso,
    });
  return id;
}

/** POSTs a raw body to a path of the Worker and returns status, parsed body and headers. */
export async function post(path: string, body: string | ReadableStream, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`http://sy.test${path}`, { method: "POST", headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* text reply */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Stored events of a trigger. */
export const eventsOf = (triggerId: string) => db().select().from(events).where(eq(events.projectTriggerId, triggerId));

/** Slack scheme (api.slack.com "Verifying requests from Slack"): v0=hex HMAC-SHA256 of `v0:${ts}:${body}`. */
export async function slackHeaders(secret: string, body: string, ts = Math.floor(Date.now() / 1000)): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    "x-slack-request-timestamp": String(ts),
    "x-slack-signature": `v0=${toHex(await hmac("SHA-256", secret, `v0:${ts}:${body}`))}`,
  };
}

/** Shopify scheme (shopify.dev "Verify webhooks"): base64 HMAC-SHA256 of the raw body. */
export const shopifySig = async (secret: string, body: string) => toBase64(await hmac("SHA-256", secret, body));

/** Typeform scheme (Typeform "Secure your webhooks"): `sha256=` + base64 HMAC-SHA256 of the raw body. */
export const typeformSig = async (secret: string, body: string) => `sha256=${toBase64(await hmac("SHA-256", secret, body))}`;
