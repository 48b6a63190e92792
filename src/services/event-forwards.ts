import { and, desc, eq } from "drizzle-orm";
import { assertRole } from "../core/actor";
import type { Ctx } from "../core/context";
import { notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import { eventForwards, events } from "../db/schema";
import { inOrg } from "../db/scope";
import { gateOrg } from "./orgs";

/** Longest local response excerpt kept per forward (longer ones are cut). */
export const FORWARD_BODY_CHARS = 2048;
/** Forwards listed per event, newest first. */
export const FORWARDS_LISTED = 50;

/** One local delivery as the CLI reports it. */
export interface ForwardIn {
  target: string;
  status: number | null;
  response_body?: string | null;
  duration_ms: number;
  error?: string | null;
}

export interface ForwardOut extends Required<ForwardIn> {
  forward_id: string;
  event_id: string;
  recorded_by: string;
  forwarded_at: string;
}

type Row = typeof eventForwards.$inferSelect;
const out = (r: Row): ForwardOut => ({
  forward_id: r.forwardId, event_id: r.eventId, target: r.target, status: r.status ?? null, response_body: r.responseBody ?? null,
  duration_ms: r.durationMs, error: r.error ?? null, recorded_by: r.recordedBy, forwarded_at: r.forwardedAt,
});

async function assertEvent(ctx: Ctx, orgId: string, eventId: string): Promise<void> {
  const row = await ctx.db.select({ id: events.eventId }).from(events).where(inOrg(events, orgId, eq(events.eventId, eventId))).get();
  if (!row) throw notFound("event");
}

/**
 * Records what a local receiver answered to a forwarded event (runner+). Guarantees: the
 * event must belong to `orgId` (another org's or a missing event is 404, checked before the
 * role); the body excerpt is cut to FORWARD_BODY_CHARS; the row is attributed to the caller.
 */
export async function recordForward(ctx: Ctx, orgId: string, eventId: string, input: ForwardIn): Promise<ForwardOut> {
  await gateOrg(ctx, orgId);
  await assertEvent(ctx, orgId, eventId);
  assertRole(ctx.actor, "runner");
  const row: Row = {
    forwardId: uuidv7(), orgId, eventId, target: input.target, status: input.status ?? null,
    responseBody: input.response_body == null ? null : input.response_body.slice(0, FORWARD_BODY_CHARS),
    durationMs: Math.max(0, Math.round(input.duration_ms)), error: input.error ?? null, recordedBy: ctx.actor.id, forwardedAt: nowIso(),
  };
  await ctx.db.insert(eventForwards).values(row);
  return out(row);
}

/** The event's most recent FORWARDS_LISTED local forwards, newest first (viewer+; another org's event is 404). */
export async function listForwards(ctx: Ctx, orgId: string, eventId: string): Promise<ForwardOut[]> {
  await gateOrg(ctx, orgId);
  await assertEvent(ctx, orgId, eventId);
  assertRole(ctx.actor, "viewer");
  const rows = await ctx.db
    .select()
    .from(eventForwards)
    .where(and(eq(eventForwards.orgId, orgId), eq(eventForwards.eventId, eventId)))
    .orderBy(desc(eventForwards.forwardId))
    .limit(FORWARDS_LISTED);
  return rows.map(out);
}
