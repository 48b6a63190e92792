import { and, eq } from "drizzle-orm";
import type { Ctx } from "../core/context";
import { assertRole } from "../core/actor";
import { decryptSecret } from "../core/crypto";
import { notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import { outboundProblem } from "../core/outbound-policy";
import { standardWebhookHeaders } from "../core/signing";
import type { Db } from "../db/client";
import { endpoints, events, orgs } from "../db/schema";
import { inOrg } from "../db/scope";
import type { Env } from "../env";
import type { EventRow } from "./executions";
import { openOrg } from "./orgs";

/** The provider id of Switchyard's own operational events. */
export const OPERATIONAL_PROVIDER = "switchyard";
/** The trigger id operational events are stored under (no trigger row exists for it). */
export const OPERATIONAL_TRIGGER = "switchyard:operational";
export type OperationalType = "endpoint.disabled" | "endpoint.recovered";

type EndpointRow = typeof endpoints.$inferSelect;

/**
 * Stores one operational event about `ep` and queues its delivery. Guarantees: stored like
 * any event (events API, retention, replay) under OPERATIONAL_TRIGGER, `received` until it
 * is delivered; `dedup` makes a repeated emission of the same transition a no-op; a refused
 * queue leaves it `received`, so the sweeper routes it later. Never throws (a state change
 * of the circuit must not fail because its notification could not be written).
 */
export async function emitOperationalEvent(db: Db, env: Env, type: OperationalType, ep: Pick<EndpointRow, "endpointId" | "orgId" | "workspaceId" | "appId" | "name" | "url">, data: Record<string, unknown>, dedup: string): Promise<string | null> {
  const at = nowIso();
  const eventId = uuidv7();
  const body = JSON.stringify({
    type,
    timestamp: at,
    data: { endpoint_id: ep.endpointId, org_id: ep.orgId, workspace_id: ep.workspaceId, app_id: ep.appId, name: ep.name, url: ep.url, ...data },
  });
  try {
    const inserted = await db
      .insert(events)
      .values({
        eventId, orgId: ep.orgId, appId: ep.appId, projectTriggerId: OPERATIONAL_TRIGGER, providerId: OPERATIONAL_PROVIDER, eventType: type,
        dedupKey: `${type}:${ep.endpointId}:${dedup}`, headers: {}, body, status: "received", receivedAt: at,
      })
      .onConflictDoNothing()
      .returning({ eventId: events.eventId });
    if (inserted.length === 0) return null;
    await env.TASKS.send({ v: 1, kind: "event.route", event_id: eventId }).catch((err) =>
      console.error(JSON.stringify({ level: "error", msg: "operational event not enqueued; the sweeper routes it", event_id: eventId, error: String(err) })),
    );
    return eventId;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "operational event not stored", type, endpoint_id: ep.endpointId, error: String(err) }));
    return null;
  }
}

/**
 * Delivers a stored operational event to its org's operational endpoint, signed with
 * Standard Webhooks exactly like a run (`webhook-id` = the event id, so a redelivery is
 * recognisable). Guarantees: the event ends `routed` once the endpoint answered 2xx, or
 * `unmatched` when the org has no operational endpoint (or it was deleted); any other answer
 * throws, so the queue retries it with backoff and the dead-letter consumer records
 * `route_error` (the sweeper then routes it again).
 */
export async function deliverOperational(db: Db, env: Env, event: EventRow): Promise<void> {
  const org = await db.select({ target: orgs.operationalEndpointId }).from(orgs).where(eq(orgs.orgId, event.orgId)).get();
  const ep = org?.target ? await db.select().from(endpoints).where(inOrg(endpoints, event.orgId, eq(endpoints.endpointId, org.target))).get() : undefined;
  const settle = (status: "routed" | "unmatched") => db.update(events).set({ status, matchedActions: [], routeError: null }).where(and(eq(events.orgId, event.orgId), eq(events.eventId, event.eventId)));
  if (!ep) return void (await settle("unmatched"));
  const refused = outboundProblem(ep.url, env.OUTBOUND_ALLOW);
  if (refused) throw new Error(`operational endpoint refused by the outbound policy: ${refused}`);
  const headers = new Headers({ ...ep.headers, "content-type": "application/json", "user-agent": "Switchyard/0.1 (+webhook router)" });
  if (ep.secretEnc) {
    const secret = await decryptSecret(env.ENCRYPTION_KEY, ep.secretEnc);
    for (const [k, v] of Object.entries(await standardWebhookHeaders(secret, event.eventId, Date.now() / 1000, event.body))) headers.set(k, v);
  }
  const res = await fetch(ep.url, { method: "POST", headers, body: event.body, signal: AbortSignal.timeout(ep.timeoutSeconds * 1000), redirect: "manual" });
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw new Error(`operational endpoint answered HTTP ${res.status}`);
  await settle("routed");
}

/** The org's operational endpoint setting. */
export interface OperationalSettings {
  org_id: string;
  /** The endpoint that receives `endpoint.disabled` / `endpoint.recovered`; null = events are stored only. */
  endpoint_id: string | null;
}

/** Reads the org's operational endpoint (viewer+; another org is 404). */
export async function getOperationalSettings(ctx: Ctx, orgId: string): Promise<OperationalSettings> {
  const org = await openOrg(ctx, orgId, "viewer");
  return { org_id: orgId, endpoint_id: org.operationalEndpointId ?? null };
}

/**
 * Sets or clears the org's operational endpoint (admin). Guarantees: the endpoint must be
 * one of this org's (404 `endpoint not found` otherwise, the same for another org's id).
 */
export async function setOperationalSettings(ctx: Ctx, orgId: string, endpointId: string | null): Promise<OperationalSettings> {
  await openOrg(ctx, orgId, "viewer");
  assertRole(ctx.actor, "admin");
  if (endpointId !== null) {
    const ep = await ctx.db.select({ id: endpoints.endpointId }).from(endpoints).where(inOrg(endpoints, orgId, eq(endpoints.endpointId, endpointId))).get();
    if (!ep) throw notFound("endpoint", ["body", "endpoint_id"]);
  }
  await ctx.db.update(orgs).set({ operationalEndpointId: endpointId, updatedAt: nowIso() }).where(eq(orgs.orgId, orgId));
  return { org_id: orgId, endpoint_id: endpointId };
}
