/**
 * `POST/GET /v1/orgs/{org_id}/events/{event_id}/forwards`: what `switchyard listen`'s local
 * receiver answered, recorded beside the event. Tenancy before role, runner to record,
 * viewer to read, bounded input, and the stored excerpt cut to 2,048 characters.
 */
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { auditLog, events } from "../../../src/db/schema";
import { env } from "cloudflare:test";
import { ADMIN, api, db, makeTenant, type Tenant } from "../../fixtures";
import { eq } from "drizzle-orm";
import { eventForwards } from "../../../src/db/schema";
import { purgeExpired } from "../../../src/services/retention";

async function seedEvent(t: Tenant, receivedAt = new Date().toISOString()): Promise<string> {
  const eventId = uuidv7(Date.parse(receivedAt));
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: "trg-1", providerId: "generic", eventType: "ping",
    dedupKey: eventId, headers: {}, body: "{}", status: "routed", matchedActions: [], receivedAt,
  });
  return eventId;
}

const ok = { target: "http://localhost:3000/hooks", status: 204, response_body: "", duration_ms: 12 };

describe("event forwards", () => {
  it("records a forward (runner), lists it newest first (viewer), cuts the excerpt and audits it", async () => {
    const t = await makeTenant();
    const ev = await seedEvent(t);
    const path = `/v1/orgs/${t.orgId}/events/${ev}/forwards`;
    const first = await api("POST", path, { token: t.tokens.runner, body: ok });
    expect(first.status).toBe(201);
    expect(first.body).toEqual(expect.objectContaining({ event_id: ev, target: ok.target, status: 204, duration_ms: 12, error: null, forward_id: expect.any(String) }));
    const second = await api("POST", path, { token: t.tokens.runner, body: { target: ok.target, status: null, duration_ms: 3001, error: "connect ECONNREFUSED 127.0.0.1:3000" } });
    expect(second.status).toBe(201);
    const long = await api("POST", path, { token: t.tokens.runner, body: { ...ok, status: 500, response_body: "x".repeat(10_000) } });
    expect(long.body.response_body).toHaveLength(2048);

    const list = await api("GET", path, { token: t.tokens.viewer });
    expect(list.status).toBe(200);
    expect(list.body.forwards.map((f: any) => f.status)).toEqual([500, null, 204]);
    expect(list.body.forwards[1].error).toContain("ECONNREFUSED");
    const audits = await db().select().from(auditLog).where(eq(auditLog.orgId, t.orgId));
    expect(audits.filter((a) => a.action === "event.forward")).toHaveLength(3);
  });

  it("another org's token, a missing event and no token learn nothing; a viewer cannot record", async () => {
    const t = await makeTenant("a");
    const other = await makeTenant("b");
    const ev = await seedEvent(t);
    const path = `/v1/orgs/${t.orgId}/events/${ev}/forwards`;
    for (const role of ["admin", "viewer"] as const) {
      expect((await api("POST", path, { token: other.tokens[role], body: ok })).status).toBe(404);
      expect((await api("GET", path, { token: other.tokens[role] })).status).toBe(404);
    }
    // The other org's token on its own org path, with this org's event id: still 404.
    expect((await api("POST", `/v1/orgs/${other.orgId}/events/${ev}/forwards`, { token: other.tokens.admin, body: ok })).status).toBe(404);
    expect((await api("POST", `/v1/orgs/${t.orgId}/events/${uuidv7()}/forwards`, { token: t.tokens.admin, body: ok })).status).toBe(404);
    expect((await api("POST", path, { body: ok })).status).toBe(401);
    const viewer = await api("POST", path, { token: t.tokens.viewer, body: ok });
    expect(viewer.status).toBe(403);
    expect((await api("GET", path, { token: t.tokens.viewer })).body.forwards).toEqual([]);
  });

  it("refuses bad, oversized and unknown input with 422 in the standard shape", async () => {
    const t = await makeTenant();
    const ev = await seedEvent(t);
    const path = `/v1/orgs/${t.orgId}/events/${ev}/forwards`;
    const cases: [unknown, string][] = [
      [{ ...ok, status: 99 }, "status"],
      [{ ...ok, status: "200" }, "status"],
      [{ ...ok, duration_ms: -1 }, "duration_ms"],
      [{ ...ok, target: "" }, "target"],
      [{ ...ok, response_body: "x".repeat(70_000) }, "response_body"],
      [{ ...ok, extra: 1 }, ""],
    ];
    for (const [body, field] of cases) {
      const r = await api("POST", path, { token: t.tokens.runner, body });
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(r.body.detail[0]).toEqual(expect.objectContaining({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) }));
      if (field) expect(r.body.detail[0].loc).toContain(field);
    }
    const notJson = await api("POST", path, { token: t.tokens.runner, body: "\xff\xfe{", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(422);
  });

  it("go with their event when retention purges it, and with their org when it is deleted", async () => {
    const t = await makeTenant();
    const old = await seedEvent(t, new Date(Date.now() - 40 * 86_400_000).toISOString());
    const fresh = await seedEvent(t);
    for (const ev of [old, fresh]) expect((await api("POST", `/v1/orgs/${t.orgId}/events/${ev}/forwards`, { token: t.tokens.runner, body: ok })).status).toBe(201);
    const forwardsOf = async (ev: string) => (await db().select().from(eventForwards).where(eq(eventForwards.eventId, ev))).length;
    await purgeExpired(env, new Date(), { passes: 1000 });
    expect(await forwardsOf(old)).toBe(0);
    expect(await forwardsOf(fresh)).toBe(1);
    expect((await api("DELETE", `/v1/orgs/${t.orgId}`, { token: ADMIN })).status).toBe(204);
    expect(await forwardsOf(fresh)).toBe(0);
  });
});
