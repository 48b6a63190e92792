/**
 * What the hostile review of queue-first ingest tried that held up, kept as regression pins:
 * cross-tenant reads of an inbox-held event (REST, MCP get_event, console), a provider-id
 * fan-out across two orgs in queue mode, a consumer batch mixing a poison message, two copies
 * of one event with different received_at and a redelivery (counters and deliveries exact),
 * and forged cursors on the events list.
 */
import { createExecutionContext, env, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { eq, inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eventIdFor } from "../../../src/core/ids";
import { actions, events, executions, runs } from "../../../src/db/schema";
import { inboxFor } from "../../../src/durable/client";
import type { Task } from "../../../src/queue/messages";
import { api, db, makeEndpoint, makeTenant } from "../../fixtures";
import { createAction } from "../actions/helpers";
import { req, session } from "../console/helpers";
import { call, connect } from "../mcp/client";
import { createApp } from "../../../src/http/app";
import { makeTrigger } from "../triggers/helpers";
import { consume, deliver, ingestsOf, modeEnv, SECRET, setup, spyQueue } from "../triggers/ingest-helpers";

let sent: Task[];
beforeEach(() => {
  sent = spyQueue();
});
afterEach(() => vi.restoreAllMocks());

describe("cross-tenant reads of an event its inbox holds", () => {
  it("another org gets what a nonexistent id gets, through REST, MCP and the console", async () => {
    const { triggerId } = await setup("hu-owner");
    const other = await makeTenant("hu-other");
    const res = await deliver(modeEnv("inbox"), triggerId, "msg_secret_payload", JSON.stringify({ type: "x", secret: "s3cr3t" }));
    const missing = await eventIdFor(triggerId, "whid:never");
    for (const id of [res.body.event_id, res.body.event_id.toUpperCase()]) {
      const foreign = await api("GET", `/v1/orgs/${other.orgId}/events/${id}`, { token: other.tokens.admin });
      const none = await api("GET", `/v1/orgs/${other.orgId}/events/${missing}`, { token: other.tokens.admin });
      expect(foreign.status).toBe(404);
      expect(JSON.stringify(foreign.body)).not.toContain("s3cr3t");
      expect({ ...foreign.body, detail: foreign.body.detail.map((d: any) => ({ ...d, input: null })) }).toEqual({ ...none.body, detail: none.body.detail.map((d: any) => ({ ...d, input: null })) });
    }
    const mcp = await connect(other.tokens.admin);
    const viaMcp = await call(mcp, "get_event", { event_id: res.body.event_id });
    expect(viaMcp.isError).toBe(true);
    expect(JSON.stringify(viaMcp)).not.toContain("s3cr3t");
    const { cookie } = await session(other.tokens.viewer);
    const page = await req("GET", `/console/events/${res.body.event_id}`, { cookie });
    expect(page.status).toBe(404);
    expect(page.text).not.toContain("s3cr3t");
    // Without a token: 401, whatever the inbox holds.
    expect((await api("GET", `/v1/orgs/${other.orgId}/events/${res.body.event_id}`)).status).toBe(401);
    await runDurableObjectAlarm(inboxFor(env, res.body.event_id));
  });
});

describe("provider-id fan-out across two orgs, queue mode", () => {
  it("one event per org, each routed only to its own org's action, counters exact", async () => {
    const orgs = [await makeTenant("hu-fan-a"), await makeTenant("hu-fan-b")];
    const actionIds: string[] = [];
    for (const t of orgs) {
      const trig = await makeTrigger(t, "standard_webhooks", { signing_secret: SECRET });
      actionIds.push((await createAction(t, { trigger_ids: [trig], endpoint_id: await makeEndpoint(t, "https://r.example.com/fan") })).action_id);
    }
    const body = JSON.stringify({ type: "fan.out" });
    const now = new Date();
    const headers = { "content-type": "application/json", "webhook-id": "msg_fan", "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": new Webhook(SECRET).sign("msg_fan", now, body) };
    // SELF runs the suite's INGEST_MODE (d1): queue mode is driven through the app with its own env.
    const ctx = createExecutionContext();
    const r = await createApp().fetch(new Request("http://sy.test/v1/webhooks/standard_webhooks", { method: "POST", headers, body }), modeEnv("queue"), ctx);
    await waitOnExecutionContext(ctx);
    const out = (await r.json()) as any;
    expect(r.status).toBe(200);
    expect(out.events.length).toBeGreaterThanOrEqual(2);
    await consume(ingestsOf(sent));
    await consume(ingestsOf(sent), 2);
    for (const [i, t] of orgs.entries()) {
      const evs = await db().select().from(events).where(eq(events.orgId, t.orgId));
      expect(evs.map((e) => [e.status, e.matchedActions])).toEqual([["routed", [actionIds[i]]]]);
      const ex = await db().select().from(executions).where(eq(executions.eventId, evs[0]!.eventId));
      expect(ex.map((x) => [x.orgId, x.actionId])).toEqual([[t.orgId, actionIds[i]]]);
      const [a] = await db().select().from(actions).where(eq(actions.actionId, actionIds[i]!));
      expect([a!.totalRuns, a!.runningCount]).toEqual([1, 1]);
    }
  });
});

describe("a consumer batch with a poison message, two copies of one event and a redelivery", () => {
  it("stores each event once, starts one execution and one delivery per event, counts each once", async () => {
    const { t, triggerId, actionId } = await setup("hu-batch");
    for (const id of ["a", "b"]) await deliver(modeEnv("queue"), triggerId, `msg_${id}`);
    const [a, b] = ingestsOf(sent);
    const aLater: Task = { ...a!, event: { ...a!.event, received_at: new Date(Date.now() + 5_000).toISOString(), headers: { other: "copy" } } };
    const poison = { v: 1, kind: "event.ingest", event: { ...a!.event, org_id: undefined } } as unknown as Task;
    vi.spyOn(env.DLQ, "send").mockImplementation(async () => undefined as never);
    const first = await consume([a!, poison, aLater, b!]);
    expect(first.explicitAcks.sort()).toEqual(["m0", "m1", "m2", "m3"]);
    await consume([aLater, b!, a!], 2);
    const stored = await db().select().from(events).where(eq(events.orgId, t.orgId));
    expect(stored).toHaveLength(2);
    expect(stored.find((e) => e.eventId === a!.event.event_id)!.receivedAt).toBe(a!.event.received_at);
    const ex = await db().select().from(executions).where(inArray(executions.eventId, stored.map((e) => e.eventId)));
    expect(ex).toHaveLength(2);
    const rs = await db().select().from(runs).where(eq(runs.orgId, t.orgId));
    expect(rs).toHaveLength(2);
    expect(sent.filter((x) => x.kind === "run.deliver").map((x) => (x as { run_id: string }).run_id).sort()).toEqual(rs.map((r) => r.runId).sort());
    const [act] = await db().select().from(actions).where(eq(actions.actionId, actionId));
    expect([act!.totalRuns, act!.runningCount]).toEqual([2, 2]);
  });
});

describe("forged cursors on the events list", () => {
  it("are a 422 or an empty page of the caller's own org, never a 500 or another org's rows", async () => {
    const { triggerId } = await setup("hu-cursor-victim");
    await deliver(modeEnv("d1"), triggerId, "msg_victim");
    const t = await makeTenant("hu-cursor");
    const b64 = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const cursors = [
      "x", "====", "%%%", "\u00e9\u00e9", b64("x".repeat(10_000)),
      b64(`2026-01-01T00:00:00.000Z|' OR 1=1 --${"a".repeat(19)}`),
      b64(`9999-12-31T23:59:59.999Z|${"f".repeat(36)}`),
      b64(`9999-99-99T::::Z|${"-".repeat(36)}`),
      b64(`2026-01-01T00:00:00.000Z|${"0".repeat(36)}\n`),
      b64(`2026-01-01T00:00:00.000Z|${"A".repeat(36)}`),
      b64("0193a3c4-0000-7000-8000-000000000001"),
    ];
    for (const c of cursors) {
      const res = await api("GET", `/v1/orgs/${t.orgId}/events?cursor=${encodeURIComponent(c)}`, { token: t.tokens.viewer });
      expect([200, 422], c).toContain(res.status);
      if (res.status === 200) expect(res.body.events).toEqual([]);
      else expect(res.body.detail[0].loc).toEqual(["query", "cursor"]);
    }
  });
});
