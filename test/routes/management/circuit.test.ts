import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { endpoints, events, runs } from "../../../src/db/schema";
import { handleEndpointDrain, superviseCircuits } from "../../../src/services/circuit";
import { handleRunDeliver } from "../../../src/services/delivery";
import { handleEventRoute } from "../../../src/services/routing";
import { sweep } from "../../../src/services/sweeper";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { actionsPath, createAction } from "../actions/helpers";

const SECRET = "whsec_" + btoa("switchyard-test-signing-key-0002");
type Task = { kind: string; run_id?: string; endpoint_id?: string; event_id?: string };
let tasks: Task[];

beforeEach(() => {
  tasks = [];
  // The queue is the platform boundary: capture tasks, and play them by hand below.
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body: any) => void tasks.push(body) as any);
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs: any) => void tasks.push(...[...msgs].map((m: any) => m.body)) as any);
  vi.spyOn(env.DLQ, "send").mockImplementation(async () => undefined as any);
});
afterEach(() => vi.restoreAllMocks());

/** The endpoint at the outbound boundary: answers with `status()` and records every request. */
function receiver(status: () => number) {
  const seen: { url: string; headers: Record<string, string>; body: string }[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input as RequestInfo, init);
    seen.push({ url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() });
    return new Response("r", { status: req.url.includes("/ops") ? 200 : status() });
  });
  return seen;
}

/** Plays every captured task (deliveries, drains, event routes) until none is left. */
async function play(): Promise<void> {
  while (tasks.length) {
    const t = tasks.shift()!;
    if (t.kind === "run.deliver") await handleRunDeliver(env, t as never);
    if (t.kind === "endpoint.drain") await handleEndpointDrain(env, t as never);
    if (t.kind === "event.route") await handleEventRoute(env, t as never);
  }
}

const epPath = (t: Tenant, id: string) => `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/endpoints/${id}`;
const epRow = (id: string) => db().select().from(endpoints).where(eq(endpoints.endpointId, id)).get();
const runsOf = (actionId: string) => db().select().from(runs).where(eq(runs.actionId, actionId)).orderBy(runs.runId);
const opsEvents = (t: Tenant) => db().select().from(events).where(and(eq(events.orgId, t.orgId), eq(events.providerId, "switchyard"))).orderBy(events.eventId);
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);

async function setup(threshold: number, opts: { maxRetries?: number } = {}) {
  const t = await makeTenant();
  const ep = await makeEndpoint(t, "https://receiver.example.com/hook", { secret: SECRET });
  const patch = await api("PATCH", epPath(t, ep), { token: t.tokens.editor, body: { circuit_breaker: { failure_threshold: threshold } } });
  expect(patch.status).toBe(200);
  const a = await createAction(t, { endpoint_id: ep, max_retries: opts.maxRetries ?? 0, payload: { n: "{{ inputs.n }}" } });
  const trigger = async (n: number) => {
    const res = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner, body: { inputs: { n } } });
    expect(res.status).toBe(200);
    return res.body as { run_id: string; execution_id: string };
  };
  return { t, ep, actionId: a.action_id as string, trigger };
}

describe("circuit breaker", () => {
  it("opens after the threshold of consecutive failures and holds new runs instead of attempting them", async () => {
    const { t, ep, actionId, trigger } = await setup(3);
    const seen = receiver(() => 503);
    for (let i = 0; i < 3; i++) await trigger(i);
    await play();
    expect(seen.filter((s) => s.url.includes("/hook"))).toHaveLength(3);
    const row = await epRow(ep);
    expect(row).toMatchObject({ circuitState: "open", consecutiveFailures: 3, lastFailureStatus: 503 });
    expect(row!.circuitReason).toContain("3 consecutive failed attempts");
    expect(row!.nextProbeAt! > row!.circuitChangedAt!).toBe(true);

    const later = await Promise.all([trigger(10), trigger(11)]);
    await play();
    expect(seen.filter((s) => s.url.includes("/hook"))).toHaveLength(3);
    for (const r of later) {
      const got = await api("GET", `/v1/orgs/${t.orgId}/runs/${r.run_id}`, { token: t.tokens.viewer });
      expect(got.body.run).toMatchObject({ status: "held", held_reason: "circuit_open", error_code: null });
    }
    const shown = await api("GET", epPath(t, ep), { token: t.tokens.viewer });
    expect(shown.body.circuit).toMatchObject({ state: "open", consecutive_failures: 3, last_failure: { status: 503, error: "endpoint answered HTTP 503" } });
    // A held run has no lease: the sweeper never re-drives or fails it.
    await sweep(env, inMinutes(60 * 24));
    expect((await runsOf(actionId)).filter((r) => r.status === "held")).toHaveLength(2);
    // One operational event for the opening, stored like any event.
    const ops = await opsEvents(t);
    expect(ops.map((e) => e.eventType)).toEqual(["endpoint.disabled"]);
    expect(JSON.parse(ops[0]!.body)).toMatchObject({ type: "endpoint.disabled", data: { endpoint_id: ep, circuit_state: "open", consecutive_failures: 3 } });
  });

  it("failures that are not the endpoint's (a template error) never open the circuit", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.example.com/hook");
    await api("PATCH", epPath(t, ep), { token: t.tokens.editor, body: { circuit_breaker: { failure_threshold: 1 } } });
    const a = await createAction(t, { endpoint_id: ep, payload: { x: "{% for i in (1..100000) %}{% for j in (1..100) %}x{% endfor %}{% endfor %}" } });
    receiver(() => 200);
    for (let i = 0; i < 2; i++) await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner, body: { inputs: { n: i } } });
    await play();
    expect((await runsOf(a.action_id)).map((r) => r.errorCode)).toEqual(["template_budget", "template_budget"]);
    expect(await epRow(ep)).toMatchObject({ circuitState: "closed", consecutiveFailures: 0 });
  });

  it("probes on schedule; one success closes it, emits endpoint.recovered, and every held run is delivered exactly once, oldest first", async () => {
    const { t, ep, actionId, trigger } = await setup(2);
    let status = 500;
    const seen = receiver(() => status);
    await trigger(0);
    await trigger(1);
    await play();
    expect((await epRow(ep))!.circuitState).toBe("open");
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await trigger(100 + i));
    await play();
    // Not due yet: nothing of ours is probed (other tests' endpoints share this database).
    await superviseCircuits(env, new Date());
    expect(tasks).toEqual([]);

    // Due, receiver still down: the probe (oldest held run) fails, the circuit opens again with the delay doubled.
    await superviseCircuits(env, inMinutes(2));
    expect((await epRow(ep))!.circuitState).toBe("half_open");
    expect((await epRow(ep))!.probeRunId).toBe(held[0]!.run_id);
    expect(tasks).toContainEqual({ v: 1, kind: "run.deliver", run_id: held[0]!.run_id });
    await play();
    const reopened = (await epRow(ep))!;
    expect(reopened).toMatchObject({ circuitState: "open", probeFailures: 1, probeRunId: null });
    expect(reopened.circuitReason).toMatch(/^probe failed/);
    const wait = (Date.parse(reopened.nextProbeAt!) - Date.parse(reopened.circuitChangedAt!)) / 1000;
    expect(wait).toBeCloseTo(120, 0);
    expect((await opsEvents(t)).map((e) => e.eventType)).toEqual(["endpoint.disabled"]);

    // The receiver recovers; the failed probe's execution is over (max_retries 0), so the next oldest held run probes.
    status = 200;
    const before = seen.length;
    await superviseCircuits(env, inMinutes(10));
    expect((await epRow(ep))!.probeRunId).toBe(held[1]!.run_id);
    await play();
    expect((await epRow(ep))).toMatchObject({ circuitState: "closed", consecutiveFailures: 0, probeRunId: null });
    const mine = new Set(held.map((h) => h.execution_id));
    const delivered = seen.slice(before).filter((s) => s.url.includes("/hook") && mine.has(s.headers["webhook-id"]!));
    // The probe, then the drain: the 4 remaining held runs, oldest first, each once, each with its own webhook-id.
    expect(delivered.map((d) => JSON.parse(d.body).n)).toEqual([101, 102, 103, 104]);
    expect(new Set(delivered.map((d) => d.headers["webhook-id"])).size).toBe(4);
    expect(delivered.map((d) => d.headers["webhook-id"])).toEqual(held.slice(1).map((h) => h.execution_id));
    const final = await runsOf(actionId);
    expect(final.filter((r) => r.status === "held")).toHaveLength(0);
    expect((await opsEvents(t)).map((e) => e.eventType)).toEqual(["endpoint.disabled", "endpoint.recovered"]);
  });

  it("an operator disables and enables an endpoint; held runs show why; the operational endpoint gets signed events", async () => {
    const { t, ep, actionId, trigger } = await setup(20);
    const ops = await makeEndpoint(t, "https://ops.example.com/ops", { secret: SECRET });
    const set = await api("PUT", `/v1/orgs/${t.orgId}/operational-endpoint`, { token: t.tokens.admin, body: { endpoint_id: ops } });
    expect(set.status).toBe(200);
    const seen = receiver(() => 200);

    const dis = await api("POST", `${epPath(t, ep)}/disable`, { token: t.tokens.editor, body: { reason: "maintenance" } });
    expect(dis.status).toBe(200);
    expect(dis.body.circuit).toMatchObject({ state: "disabled" });
    expect(dis.body.circuit.reason).toContain("maintenance");
    // Idempotent: a second disable emits nothing more.
    expect((await api("POST", `${epPath(t, ep)}/disable`, { token: t.tokens.editor })).status).toBe(200);
    const r = await trigger(1);
    await play();
    expect((await api("GET", `/v1/orgs/${t.orgId}/runs/${r.run_id}`, { token: t.tokens.viewer })).body.run).toMatchObject({ status: "held", held_reason: "endpoint_disabled" });
    expect(seen.filter((s) => s.url.includes("/hook"))).toHaveLength(0);

    const en = await api("POST", `${epPath(t, ep)}/enable`, { token: t.tokens.editor });
    expect(en.status).toBe(200);
    expect(en.body.circuit.state).toBe("closed");
    await play();
    expect(seen.filter((s) => s.url.includes("/hook")).map((s) => s.headers["webhook-id"])).toEqual([r.execution_id]);
    expect((await runsOf(actionId)).map((x) => x.status)).toEqual(["success"]);

    const opsSeen = seen.filter((s) => s.url.includes("/ops"));
    expect(opsSeen.map((s) => JSON.parse(s.body).type)).toEqual(["endpoint.disabled", "endpoint.recovered"]);
    const stored = await opsEvents(t);
    for (const [i, s] of opsSeen.entries()) {
      // Signed with Standard Webhooks, webhook-id = the stored event's id.
      expect(new Webhook(SECRET).verify(s.body, s.headers)).toMatchObject({ data: { endpoint_id: ep } });
      expect(s.headers["webhook-id"]).toBe(stored[i]!.eventId);
    }
    expect(stored.map((e) => e.status)).toEqual(["routed", "routed"]);
    // Listed by the events API like any event.
    const listed = await api("GET", `/v1/orgs/${t.orgId}/events?limit=50`, { token: t.tokens.viewer });
    expect(listed.status).toBe(200);
  });

  it("tenancy and roles: viewer is refused, another org's token gets 404, the operational endpoint must be the org's own", async () => {
    const { t, ep } = await setup(20);
    const other = await makeTenant("other");
    expect((await api("POST", `${epPath(t, ep)}/disable`, { token: t.tokens.viewer })).status).toBe(403);
    expect((await api("POST", `${epPath(t, ep)}/disable`, { token: other.tokens.admin })).status).toBe(404);
    expect((await api("POST", `${epPath(t, ep)}/enable`, { token: other.tokens.admin })).status).toBe(404);
    expect((await api("POST", `${epPath(t, ep)}/disable`)).status).toBe(401);
    expect((await epRow(ep))!.circuitState).toBe("closed");
    const foreign = await makeEndpoint(other, "https://x.example.com/");
    const bad = await api("PUT", `/v1/orgs/${t.orgId}/operational-endpoint`, { token: t.tokens.admin, body: { endpoint_id: foreign } });
    expect(bad.status).toBe(404);
    expect((await api("PUT", `/v1/orgs/${t.orgId}/operational-endpoint`, { token: t.tokens.editor, body: { endpoint_id: ep } })).status).toBe(403);
    expect((await api("GET", `/v1/orgs/${t.orgId}/operational-endpoint`, { token: other.tokens.admin })).status).toBe(404);
    const badCfg = await api("PATCH", epPath(t, ep), { token: t.tokens.editor, body: { circuit_breaker: { failure_threshold: 0 }, rate_limit: { count: 5, period: "hour" } } });
    expect(badCfg.status).toBe(422);
    expect(badCfg.body.detail.map((d: { loc: string[] }) => d.loc.join("."))).toEqual(expect.arrayContaining(["body.circuit_breaker.failure_threshold", "body.rate_limit.period"]));
  });

  it("a closed endpoint that still holds runs (a lost drain task) is drained by the minute cron", async () => {
    const { ep, actionId, trigger } = await setup(20);
    const seen = receiver(() => 200);
    await db().update(endpoints).set({ circuitState: "disabled" }).where(eq(endpoints.endpointId, ep));
    await trigger(1);
    await play();
    expect((await runsOf(actionId))[0]!.status).toBe("held");
    // Closed behind the drain's back (as if the drain task was lost).
    await db().update(endpoints).set({ circuitState: "closed" }).where(eq(endpoints.endpointId, ep));
    expect((await superviseCircuits(env, new Date())).drains).toBeGreaterThanOrEqual(1);
    await play();
    expect((await runsOf(actionId))[0]!.status).toBe("success");
    expect(seen).toHaveLength(1);
  });
});
