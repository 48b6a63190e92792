import { and, asc, eq, isNull, type SQL } from "drizzle-orm";
import { AppError, invalid } from "../core/errors";
import { eventIdFor, UUID_RE } from "../core/ids";
import type { Db } from "../db/client";
import { connections, events, triggers } from "../db/schema";
import { inOrg } from "../db/scope";
import type { Env } from "../env";
import { triggerEventFilter } from "../providers/catalog";
import { schemeOf, verifyDelivery } from "../providers/registry";
import { hasSecret, keysFromSecrets } from "../providers/secrets";
import type { Described, Handshake, InboundRequest, Verdict, VerifyKeys } from "../providers/types";
import type { Task } from "../queue/messages";
import { openSecrets } from "./connection-secrets";
import type { IngestedEvent } from "../engine/event-log";
import { fitsHandOff, handOff, ingestMode } from "./ingest-handoff";
import { cacheCandidate, cachedCandidate, forgetCandidate } from "./trigger-cache";

type TriggerRow = typeof triggers.$inferSelect;
/** A trigger with its connection's sealed secrets, read in one query. */
export interface Candidate {
  trigger: TriggerRow;
  secretsEnc: string | null;
}

/** What the HTTP face sends back. */
export type Reply = Handshake;

/**
 * Most provider-routed candidates verified per query (bounds CPU per request): up to 50 exact
 * `route_key` matches, then up to 50 wildcards (route_key unset), each oldest first. A
 * delivery that carries no route key is verified against at most 50 candidates, oldest first.
 */
export const MAX_CANDIDATES = 50;
/** Header names never stored with an event (credentials, not provider signatures). */
const DROP_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

const json = (status: number, body: unknown): Reply => ({ status, contentType: "application/json", body: JSON.stringify(body) });
const refuse = (code: "invalid_signature" | "trigger_disabled" | "not_found", msg: string, ctx?: Record<string, unknown>) =>
  new AppError(code, msg, [{ loc: code === "not_found" ? ["path", "webhook_id"] : [], msg, type: code, ...(ctx ? { ctx } : {}) }]);
const failed = (reason: string): Verdict => ({ ok: false, reason, dedupKey: null, eventType: null, routeKey: null });

const selectCandidates = (db: Db, where: SQL | undefined) =>
  db
    .select({ trigger: triggers, secretsEnc: connections.secretsEnc })
    .from(triggers)
    .leftJoin(connections, and(eq(connections.connectionId, triggers.connectionId), eq(connections.orgId, triggers.orgId)))
    .where(where);

/**
 * Provider-routed candidates: ENABLED webhook triggers of `providerId` that HAVE a connection
 * (a trigger without one has no secret to verify against, so it is reachable only by its
 * UUID), oldest first so a newer trigger never pushes an older one out of the limit.
 */
const selectRouted = (db: Db, providerId: string, routeKey: SQL | undefined) =>
  db
    .select({ trigger: triggers, secretsEnc: connections.secretsEnc })
    .from(triggers)
    .innerJoin(connections, and(eq(connections.connectionId, triggers.connectionId), eq(connections.orgId, triggers.orgId)))
    .where(and(eq(triggers.providerId, providerId), eq(triggers.status, "ENABLED"), eq(triggers.triggerType, "webhook"), routeKey))
    .orderBy(asc(triggers.projectTriggerId))
    .limit(MAX_CANDIDATES);

class SecretsUnreadable extends Error {}

/**
 * Decrypts a candidate's connection secrets into verification keys (only `config` when it has
 * no connection). Throws when the sealed secrets cannot be opened: an unreadable secret is
 * never treated as "no secret" (that would make a signed generic trigger unsigned).
 */
export async function keysOf(env: Env, c: Candidate): Promise<VerifyKeys> {
  const known = openedKeys.get(c);
  if (known) return known;
  const config = c.trigger.triggerConfig ?? {};
  if (!c.secretsEnc) return { config };
  try {
    const keys = keysFromSecrets(await openSecrets(env.ENCRYPTION_KEY, c.secretsEnc), config);
    openedKeys.set(c, keys);
    return keys;
  } catch (err) {
    throw new SecretsUnreadable(err instanceof Error ? `${err.name}: ${err.message}` : "unreadable");
  }
}

/**
 * Keys already decrypted, per candidate object: a candidate reused from the trigger cache
 * (≤ TTL_MS) is decrypted once, not on every delivery. Held weakly: gone with the candidate.
 */
const openedKeys = new WeakMap<Candidate, VerifyKeys>();

/**
 * A candidate's verdict; `internal` when it failed inside (decrypt, verifier fault) rather
 * than on the delivery, `unsigned` when a routed candidate turned out to hold no secret.
 */
interface Checked {
  verdict: Verdict;
  internal: boolean;
  unsigned?: boolean;
}

/**
 * Verifies a delivery against one candidate. Anything that throws (the secrets cannot be
 * decrypted, a verifier fault) is that candidate's failure only: logged with the trigger id
 * and the error's name and message (never a secret) and returned as a failed verdict. With
 * `routed`, a candidate whose keys hold no secret at all fails (provider-id routing never
 * selects a trigger it cannot verify).
 */
async function verifyCandidate(env: Env, c: Candidate, req: InboundRequest, now: Date, routed: boolean): Promise<Checked> {
  try {
    const keys = await keysOf(env, c);
    if (routed && !hasSecret(keys)) return { verdict: failed("this trigger's connection holds no signing secret"), internal: true, unsigned: true };
    return { verdict: await verifyDelivery(c.trigger.providerId, req, keys, now), internal: false };
  } catch (err) {
    const unreadable = err instanceof SecretsUnreadable;
    const error = (unreadable ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);
    console.error(
      JSON.stringify({ level: "error", msg: unreadable ? "connection secrets could not be decrypted" : "verifier failed", trigger: c.trigger.projectTriggerId, connection: c.trigger.connectionId, error }),
    );
    return {
      verdict: failed(
        unreadable
          ? "this trigger's connection secrets could not be decrypted (was ENCRYPTION_KEY changed?); an admin must save the connection's secrets again"
          : "this trigger's connection secret could not be used to verify the delivery; an admin must check the connection's secrets",
      ),
      internal: true,
    };
  }
}

/**
 * Handles `POST /v1/webhooks/{webhook_id}` after the size check: resolve → verify → dedup →
 * store → enqueue `event.route`. `webhook_id` is a trigger UUID (one D1 read joining the
 * connection, reused for a few seconds from the isolate cache — see trigger-cache.ts) or a
 * webhook provider id (see `ingestByProvider`). Errors are AppErrors (404, 401
 * invalid_signature, 409 trigger_disabled, 422 json_invalid); an unusable or undecryptable
 * secret is a 401 with a reason, never a 500. Never calls a Durable Object.
 */
export async function ingestWebhook(env: Env, db: Db, webhookId: string, req: InboundRequest, now: Date): Promise<Reply> {
  if (UUID_RE.test(webhookId)) {
    const id = webhookId.toLowerCase();
    const cached = cachedCandidate(id);
    if (cached) {
      try {
        return await ingestByTrigger(env, db, id, cached, req, now, true);
      } catch {
        // The cached row may be stale (secret rotated, trigger changed or disabled): decide
        // from a fresh read, so the answer is always the one D1 gives now.
        forgetCandidate(id);
      }
    }
    const c = (await selectCandidates(db, eq(triggers.projectTriggerId, id)).limit(1))[0];
    if (c && c.trigger.status === "ENABLED" && c.trigger.triggerType === "webhook") cacheCandidate(id, c);
    return ingestByTrigger(env, db, id, c, req, now, false);
  }
  return ingestByProvider(env, db, webhookId, req, now);
}

/**
 * `POST /v1/webhooks/{provider_id}`: routed by the provider's own identifier to ENABLED webhook
 * triggers of that provider that have a connection (a secret to verify against). Exact
 * `route_key` matches are read before wildcards (route_key unset), in separate queries, so
 * wildcards never crowd out exact matches; a delivery without a route key is checked against
 * every routable trigger of the provider. One event per trigger that verifies. Each
 * candidate is verified on its own (one candidate's failure never changes another's answer).
 * The reply names the event ids created and nothing else of any trigger; a refusal names a
 * candidate's reason only when it describes the delivery itself (every candidate gave it, and
 * it is not the generic provider, whose reasons quote a trigger's configuration).
 */
async function ingestByProvider(env: Env, db: Db, providerId: string, req: InboundRequest, now: Date): Promise<Reply> {
  const scheme = schemeOf(providerId);
  if (!scheme) throw refuse("not_found", `'${providerId}' is neither a trigger UUID nor a webhook provider id`);
  const pre = scheme.preHandshake?.(req);
  if (pre) return pre;
  const described = await scheme.describe(req);
  const rk = described.routeKey;
  let cands: Candidate[];
  if (rk) {
    const [exact, wild] = await db.batch([selectRouted(db, providerId, eq(triggers.routeKey, rk)), selectRouted(db, providerId, isNull(triggers.routeKey))]);
    cands = [...exact, ...wild];
  } else {
    cands = await selectRouted(db, providerId, undefined);
  }
  const verified: TriggerRow[] = [];
  const reasons = new Set<string>();
  let internal = false;
  let signed = 0;
  for (const c of cands) {
    const { verdict, internal: inside, unsigned } = await verifyCandidate(env, c, req, now, true);
    if (!unsigned) signed++;
    if (verdict.ok) verified.push(c.trigger);
    else {
      reasons.add(verdict.reason);
      internal ||= inside;
    }
  }
  // Candidates without a secret are not candidates: answer as if they did not exist.
  if (signed === 0) {
    throw refuse(
      "not_found",
      providerId === "webhook"
        ? "no enabled generic webhook trigger with a signing secret exists; a generic trigger without one is reachable only at its own webhook_url (/v1/webhooks/<project_trigger_id>)"
        : `no enabled ${providerId} trigger with a connection ${rk ? `has route_key '${rk}' (or none)` : "exists"}; create one with route_key set to the provider's id`,
    );
  }
  if (verified.length === 0) {
    const only = reasons.size === 1 && !internal && providerId !== "webhook" ? `: ${[...reasons][0]}` : "";
    throw refuse(
      "invalid_signature",
      `no ${providerId} trigger's secret verifies this delivery${only || "; check that the sender signs with the secret held in the connection's secrets, or post to the trigger's own webhook_url for a precise reason"}`,
    );
  }
  if (described.handshake) return described.handshake;
  const stored = await store(env, db, verified, described, req, now);
  return json(200, { event_id: stored[0]!.event_id, duplicate: stored[0]!.duplicate, events: stored.map((e) => ({ event_id: e.event_id, duplicate: e.duplicate })) });
}

/**
 * The trigger-UUID path once the trigger is known (from D1, or from the isolate cache when
 * `fromCache`): handshakes, verify, disabled check, store. With `fromCache`, the insert re-checks
 * in the same D1 batch that the trigger is still ENABLED and undoes itself if not (the caller
 * then retries from a fresh read).
 */
async function ingestByTrigger(env: Env, db: Db, webhookId: string, c: Candidate | undefined, req: InboundRequest, now: Date, fromCache: boolean): Promise<Reply> {
  const scheme = c && c.trigger.triggerType === "webhook" ? schemeOf(c.trigger.providerId) : null;
  if (!c || !scheme) throw refuse("not_found", `no webhook trigger ${webhookId}; check the webhook_url in the trigger's webhook_data`);
  const pre = scheme.preHandshake?.(req);
  if (pre) return pre;
  const { verdict } = await verifyCandidate(env, c, req, now, false);
  if (!verdict.ok) throw refuse("invalid_signature", verdict.reason);
  if (verdict.handshake) return verdict.handshake;
  if (c.trigger.status !== "ENABLED") {
    throw refuse("trigger_disabled", `trigger ${webhookId} is disabled; enable it (POST /triggers/${webhookId}/enable) — the delivery was not stored, so the provider will retry it`, {
      project_trigger_id: webhookId,
    });
  }
  const stored = await store(env, db, [c.trigger], verdict, req, now, fromCache);
  return json(200, { event_id: stored[0]!.event_id, duplicate: stored[0]!.duplicate });
}

/**
 * Stores a delivery for a trigger already authenticated by other means (the deprecated
 * `/organizations/…/webhook/key/{api_key}` path): same dedup, storage and enqueue as
 * ingestion, without a provider signature. 422 at ["path","project_trigger_id"] when the
 * trigger is not a webhook trigger (polling and scheduled triggers take no deliveries);
 * 409 when it is disabled.
 */
export async function ingestTrusted(env: Env, db: Db, trigger: TriggerRow, req: InboundRequest, now: Date): Promise<Reply> {
  if (trigger.triggerType !== "webhook") {
    throw invalid(["path", "project_trigger_id"], `trigger is a ${trigger.triggerType} trigger, not a webhook trigger; it takes no deliveries`, trigger.projectTriggerId);
  }
  if (trigger.status !== "ENABLED") throw refuse("trigger_disabled", `trigger ${trigger.projectTriggerId} is disabled; enable it first`);
  const scheme = schemeOf(trigger.providerId) ?? schemeOf("webhook")!;
  const described = await scheme.describe(req);
  const stored = await store(env, db, [trigger], { ...described, jsonError: undefined }, req, now);
  return json(200, { event_id: stored[0]!.event_id, duplicate: stored[0]!.duplicate });
}

interface Stored {
  project_trigger_id: string;
  event_id: string;
  duplicate: boolean;
}

/**
 * Makes one event per trigger durable, then answers. The event id is `eventIdFor(trigger,
 * dedupe key)`, so a replay is answered with the original's id. In `queue`/`inbox` mode (see
 * ingest-handoff.ts) the events are handed off whole when they fit a queue message, and D1
 * stores them shortly after; `duplicate` is then true only when the replay is known at once.
 * Otherwise (mode `d1`, or a body too large for a message) they are inserted here with
 * `ON CONFLICT (project_trigger_id, dedup_key) DO NOTHING` (`duplicate` is then exact) and
 * `event.route` is enqueued for new events whose type the trigger accepts (others are stored
 * as `unmatched`). If the queue refuses, the new rows are removed and a 503 tells the
 * provider to retry, so nothing is stored but never routed.
 */
async function store(env: Env, db: Db, rows: TriggerRow[], d: Described, req: InboundRequest, now: Date, recheck = false): Promise<Stored[]> {
  if (d.jsonError) throw new AppError("validation_error", d.jsonError, [{ loc: ["body"], msg: `${d.jsonError}; this provider's deliveries must be JSON`, type: "json_invalid" }]);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!DROP_HEADERS.has(k)) headers[k] = v;
  const receivedAt = now.toISOString();
  const ingested: IngestedEvent[] = await Promise.all(
    rows.map(async (t) => {
      const filter = triggerEventFilter(t.providerId, t.triggerId);
      return {
        event_id: await eventIdFor(t.projectTriggerId, d.dedupKey),
        org_id: t.orgId,
        app_id: t.projectId,
        project_trigger_id: t.projectTriggerId,
        provider_id: t.providerId,
        event_type: d.eventType,
        dedup_key: d.dedupKey,
        headers,
        body: req.text,
        status: filter && filter !== d.eventType ? ("unmatched" as const) : ("received" as const),
        received_at: receivedAt,
      };
    }),
  );
  const mode = ingestMode(env);
  if (mode !== "d1" && fitsHandOff(ingested)) {
    const dup = await handOff(env, ingested, mode);
    return ingested.map((e, i) => ({ project_trigger_id: e.project_trigger_id, event_id: e.event_id, duplicate: dup[i]! }));
  }
  const values = ingested.map((e) => ({
    eventId: e.event_id,
    orgId: e.org_id,
    appId: e.app_id,
    projectTriggerId: e.project_trigger_id,
    providerId: e.provider_id,
    eventType: e.event_type,
    dedupKey: e.dedup_key,
    headers: e.headers,
    body: e.body,
    status: e.status,
    receivedAt: e.received_at,
  }));
  const insert = (v: (typeof values)[number]) =>
    db.insert(events).values(v).onConflictDoNothing().returning({ eventId: events.eventId });
  const [first, ...rest] = values.map(insert);
  const results = recheck ? [await insertIfStillEnabled(db, first!, rows[0]!)] : rest.length ? await db.batch([first!, ...rest]) : [await first!];
  const out: Stored[] = [];
  const fresh: { orgId: string; eventId: string }[] = [];
  for (const [i, v] of values.entries()) {
    const got = results[i]?.[0]?.eventId;
    if (got) {
      out.push({ project_trigger_id: v.projectTriggerId, event_id: got, duplicate: false });
      if (v.status === "received") fresh.push({ orgId: v.orgId, eventId: got });
      continue;
    }
    // A replay: the original may predate deterministic ids, so its id is read, not assumed.
    const orig = (
      await db
        .select({ eventId: events.eventId })
        .from(events)
        .where(inOrg(events, v.orgId, eq(events.projectTriggerId, v.projectTriggerId), eq(events.dedupKey, v.dedupKey)))
        .limit(1)
    )[0];
    out.push({ project_trigger_id: v.projectTriggerId, event_id: orig?.eventId ?? v.eventId, duplicate: true });
  }
  await enqueue(env, db, fresh);
  return out;
}

/**
 * Runs one event insert together with a read of its trigger's status, in one D1 batch (one
 * round trip). If the trigger is no longer ENABLED, the new row is removed and a
 * `trigger_disabled` error is thrown, before anything was enqueued or acknowledged.
 */
async function insertIfStillEnabled<I extends Parameters<Db["batch"]>[0][number]>(db: Db, insert: I, trigger: TriggerRow): Promise<{ eventId: string }[]> {
  const [inserted, status] = (await db.batch([
    insert,
    db.select({ status: triggers.status }).from(triggers).where(inOrg(triggers, trigger.orgId, eq(triggers.projectTriggerId, trigger.projectTriggerId))),
  ])) as [{ eventId: string }[], { status: string }[]];
  if (status[0]?.status === "ENABLED") return inserted;
  const id = inserted[0]?.eventId;
  if (id) await db.delete(events).where(inOrg(events, trigger.orgId, eq(events.eventId, id)));
  throw refuse("trigger_disabled", `trigger ${trigger.projectTriggerId} is no longer enabled`);
}

async function enqueue(env: Env, db: Db, fresh: { orgId: string; eventId: string }[]): Promise<void> {
  if (fresh.length === 0) return;
  const tasks: Task[] = fresh.map((e) => ({ v: 1, kind: "event.route", event_id: e.eventId }));
  try {
    if (tasks.length === 1) await env.TASKS.send(tasks[0]!);
    else await env.TASKS.sendBatch(tasks.map((body) => ({ body })));
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "enqueue failed; rolling back events", events: fresh.map((e) => e.eventId), error: String(err) }));
    for (const e of fresh) await db.delete(events).where(inOrg(events, e.orgId, eq(events.eventId, e.eventId)));
    throw new AppError("unavailable", "the work queue is unavailable; the delivery was not stored — retry it", [
      { loc: [], msg: "the work queue is unavailable; the delivery was not stored — retry it", type: "queue_unavailable" },
    ]);
  }
}
