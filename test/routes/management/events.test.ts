import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { events } from "../../../src/db/schema";
import { api, db, makeTenant, type Tenant } from "../../fixtures";

type EventSeed = Partial<typeof events.$inferInsert> & { receivedAt: string };

/** Writes an event row straight to D1, as the ingestion path would. */
async function seedEvent(t: Tenant, e: EventSeed): Promise<string> {
  const eventId = e.eventId ?? uuidv7(Date.parse(e.receivedAt));
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: "trg-1", providerId: "stripe", eventType: "invoice.paid",
    dedupKey: eventId, headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "evt_1", amount: 42 }), status: "routed",
    matchedActions: ["act-1"], ...e,
  });
  return eventId;
}

afterEach(() => vi.restoreAllMocks());

describe("events API", () => {
  it("lists newest first with filters on trigger, status and received_at range", async () => {
    const t = await makeTenant();
    const e1 = await seedEvent(t, { receivedAt: "2026-01-01T10:00:00.000Z" });
    const e2 = await seedEvent(t, { receivedAt: "2026-01-02T10:00:00.000Z", projectTriggerId: "trg-2", status: "unmatched", matchedActions: [] });
    const e3 = await seedEvent(t, { receivedAt: "2026-01-03T10:00:00.000Z" });
    const base = `/v1/orgs/${t.orgId}/events`;

    const all = await api("GET", base, { token: t.tokens.viewer });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.events.map((e: any) => e.event_id)).toEqual([e3, e2, e1]);
    expect(all.body.events[2]).toEqual({
      event_id: e1, project_trigger_id: "trg-1", app_id: t.appId, provider_id: "stripe", event_type: "invoice.paid", status: "routed",
      matched_actions: ["act-1"], replay_of: null, received_at: "2026-01-01T10:00:00.000Z", route_error: null,
    });

    const ids = async (q: string) => (await api("GET", `${base}?${q}`, { token: t.tokens.viewer })).body.events.map((e: any) => e.event_id);
    expect(await ids("trigger_id=trg-2")).toEqual([e2]);
    expect(await ids("status=routed")).toEqual([e3, e1]);
    expect(await ids("since=2026-01-02T00:00:00Z")).toEqual([e3, e2]);
    expect(await ids("until=2026-01-02T10:00:00Z")).toEqual([e2, e1]);
    expect(await ids("since=2026-01-01T12:00:00%2B02:00&until=2026-01-02T23:59:59Z&status=unmatched")).toEqual([e2]);

    const page1 = await api("GET", `${base}?limit=2`, { token: t.tokens.viewer });
    expect(page1.body).toEqual(expect.objectContaining({ total: 3, has_more: true, next_cursor: expect.any(String) }));
    const page2 = await api("GET", `${base}?limit=2&cursor=${page1.body.next_cursor}`, { token: t.tokens.viewer });
    expect(page2.body.events.map((e: any) => e.event_id)).toEqual([e1]);
    expect(page2.body.has_more).toBe(false);
  });

  it("orders by received_at, then id, whatever the ids look like: pages of a tie neither skip nor repeat an event", async () => {
    const t = await makeTenant();
    const at = "2026-04-01T00:00:00.000Z";
    // Ids derived from deliveries (eventIdFor) carry no time: here, ids that sort against time.
    const tied = await Promise.all(["c", "a", "e", "b", "d"].map((k) => seedEvent(t, { receivedAt: at, eventId: `${k}0000000-0000-8000-8000-000000000000` })));
    const older = await seedEvent(t, { receivedAt: "2026-03-31T23:59:59.999Z", eventId: "f0000000-0000-8000-8000-000000000000" });
    const newer = await seedEvent(t, { receivedAt: "2026-04-01T00:00:00.001Z", eventId: "00000000-0000-8000-8000-000000000000" });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: any = await api("GET", `/v1/orgs/${t.orgId}/events?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: t.tokens.viewer });
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((e: any) => e.event_id));
      cursor = page.body.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([newer, ...[...tied].sort().reverse(), older]);
    // A cursor this API did not issue (an id-only cursor of the old ordering) is a 422 on it.
    const bad = await api("GET", `/v1/orgs/${t.orgId}/events?cursor=${btoa(newer)}`, { token: t.tokens.viewer });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(["query", "cursor"]);
  });

  it("rejects bad filters with 422", async () => {
    const t = await makeTenant();
    const base = `/v1/orgs/${t.orgId}/events`;
    for (const [q, field] of [["since=yesterday", "since"], ["until=2026-13-45", "until"], ["status=lost", "status"], ["limit=0", "limit"], ["limit=201", "limit"]]) {
      const r = await api("GET", `${base}?${q}`, { token: t.tokens.viewer });
      expect(r.status, q).toBe(422);
      expect(r.body.detail[0].loc).toEqual(["query", field]);
    }
  });

  it("gets one event with headers and the parsed JSON body, or the raw string when not JSON", async () => {
    const t = await makeTenant();
    const json = await seedEvent(t, { receivedAt: "2026-02-01T00:00:00.000Z" });
    const form = await seedEvent(t, { receivedAt: "2026-02-01T00:00:01.000Z", body: "a=1&b=2", headers: { "content-type": "application/x-www-form-urlencoded" } });
    const g = await api("GET", `/v1/orgs/${t.orgId}/events/${json}`, { token: t.tokens.viewer });
    expect(g.status).toBe(200);
    expect(g.body).toEqual(expect.objectContaining({ event_id: json, headers: { "content-type": "application/json" }, body: { id: "evt_1", amount: 42 } }));
    const f = await api("GET", `/v1/orgs/${t.orgId}/events/${form}`, { token: t.tokens.viewer });
    expect(f.body.body).toBe("a=1&b=2");
  });

  it("replays: stores a copy marked replay_of, enqueues event.route for it, answers 202", async () => {
    const t = await makeTenant();
    const original = await seedEvent(t, { receivedAt: "2026-03-01T00:00:00.000Z" });
    const send = vi.spyOn(env.TASKS, "send");
    const r = await api("POST", `/v1/orgs/${t.orgId}/events/${original}/replay`, { token: t.tokens.runner });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ event_id: expect.any(String), replay_of: original, status: "replayed" });
    expect(r.body.event_id).not.toBe(original);
    expect(send).toHaveBeenCalledWith({ v: 1, kind: "event.route", event_id: r.body.event_id });
    const copy = (await db().select().from(events).where(eq(events.eventId, r.body.event_id)))[0]!;
    expect(copy).toEqual(expect.objectContaining({ orgId: t.orgId, replayOf: original, status: "received", body: JSON.stringify({ id: "evt_1", amount: 42 }), projectTriggerId: "trg-1" }));
    const shown = await api("GET", `/v1/orgs/${t.orgId}/events/${r.body.event_id}`, { token: t.tokens.viewer });
    expect(shown.body).toEqual(expect.objectContaining({ replay_of: original, status: "received", matched_actions: [] }));
  });

  it("refuses replay to viewers (403) and hides events from other tenants (404)", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const id = await seedEvent(a, { receivedAt: "2026-03-01T00:00:00.000Z" });
    const send = vi.spyOn(env.TASKS, "send");
    expect((await api("POST", `/v1/orgs/${a.orgId}/events/${id}/replay`, { token: a.tokens.viewer })).status).toBe(403);
    expect((await api("GET", `/v1/orgs/${a.orgId}/events`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", `/v1/orgs/${a.orgId}/events/${id}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", `/v1/orgs/${b.orgId}/events/${id}`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("POST", `/v1/orgs/${b.orgId}/events/${id}/replay`, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", `/v1/orgs/${b.orgId}/events`, { token: b.tokens.admin })).body.total).toBe(0);
    expect(send).not.toHaveBeenCalled();
  });
});
