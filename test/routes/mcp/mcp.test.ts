import { env, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { auditLog, events, runs } from "../../../src/db/schema";
import { EVENT_BODY_CHARS, fitResult, MAX_RESULT_CHARS } from "../../../src/faces/mcp/results";
import { ADMIN, api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { drain, makeAction, makeTrigger, upstreamHandler } from "../durable/helpers";
import { call, connect, textOf } from "./client";

// The queue is the platform boundary: tests capture tasks and play them with `drain`.
let send: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  send = vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

/** A receiver on a public-looking host that records every delivered JSON body. */
function receiver(): unknown[] {
  const got: unknown[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("receiver.test", async (req) => (got.push(await req.json()), new Response("ok"))));
  return got;
}

async function seedEvent(t: Tenant, over: Partial<typeof events.$inferInsert> = {}): Promise<string> {
  const eventId = uuidv7();
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: "trg-1", providerId: "webhook", eventType: "order.paid", dedupKey: eventId,
    headers: { "content-type": "application/json" }, body: JSON.stringify({ id: 42 }), status: "routed", matchedActions: [], receivedAt: new Date().toISOString(), ...over,
  });
  return eventId;
}

async function world() {
  const t = await makeTenant();
  const ep = await makeEndpoint(t, "https://receiver.test/hook");
  const action = await makeAction(t, ep, { name: "notify", payload: { order: "{{ inputs.order }}" }, manualInputsSchema: { type: "object", properties: { order: { type: "integer" } }, required: ["order"] } });
  const gated = await makeAction(t, ep, { name: "deploy", approvalRequired: true });
  return { t, ep, action, gated };
}

const WRITE_TOOLS = ["trigger_action", "decide_run", "replay_event", "pipeline_action"];
const NAMES = ["list_triggers", "list_actions", "get_action", "trigger_action", "list_runs", "get_run", "decide_run", "list_events", "get_event", "replay_event", "pipeline_action", "list_pipelines"];

describe("/mcp transport and auth", () => {
  it("answers 401 with WWW-Authenticate without a token and with a bad one, and the SDK client cannot connect", async () => {
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } };
    for (const auth of [undefined, "Bearer sy_nope", "Basic abc"]) {
      const res = await SELF.fetch("http://sy.test/mcp", {
        method: "POST", body: JSON.stringify(init),
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...(auth ? { authorization: auth } : {}) },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="switchyard"');
    }
    await expect(connect("sy_not_a_key")).rejects.toThrow(/bearer token is invalid, expired or revoked/);
  });

  it("is stateless: GET and DELETE answer 405 with Allow: POST, and no session id is issued", async () => {
    const t = await makeTenant();
    for (const method of ["GET", "DELETE"]) {
      const res = await SELF.fetch("http://sy.test/mcp", { method, headers: { authorization: `Bearer ${t.tokens.viewer}`, accept: "text/event-stream" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
    const res = await SELF.fetch("http://sy.test/mcp", {
      method: "POST",
      headers: { authorization: `Bearer ${t.tokens.viewer}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toBeNull();
    expect((await res.json() as any).result.protocolVersion).toBe("2025-06-18");
  });

  it("refuses a body over 256 KiB with 413 and a deeply nested or non-UTF-8 body with a JSON-RPC error, never a 500", async () => {
    const t = await makeTenant();
    const headers = { authorization: `Bearer ${t.tokens.viewer}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const big = await SELF.fetch("http://sy.test/mcp", { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(300_000) } }) });
    expect(big.status).toBe(413);
    const deep = await SELF.fetch("http://sy.test/mcp", { method: "POST", headers, body: "[".repeat(100_000) + "]".repeat(100_000) });
    expect(deep.status).toBe(400);
    const binary = await SELF.fetch("http://sy.test/mcp", { method: "POST", headers, body: new Uint8Array([0xff, 0xfe, 0x7b, 0x80]) });
    expect(binary.status).toBe(400);
    expect((await binary.json() as any).error.code).toBe(-32700);
  });
});

describe("tools", () => {
  it("lists exactly the fixed tool names, each with input and output schemas and truthful hints", async () => {
    const t = await makeTenant();
    const { tools } = await (await connect(t.tokens.viewer)).listTools();
    expect(tools.map((x) => x.name).sort()).toEqual([...NAMES].sort());
    for (const x of tools) {
      expect(x.inputSchema.type).toBe("object");
      expect(x.outputSchema?.type).toBe("object");
      expect(x.description!.length).toBeGreaterThan(80);
      const write = WRITE_TOOLS.includes(x.name);
      expect(x.annotations).toMatchObject({ readOnlyHint: !write });
      expect(typeof x.annotations?.destructiveHint).toBe("boolean");
      expect(typeof x.annotations?.idempotentHint).toBe("boolean");
    }
    const trig = tools.find((x) => x.name === "trigger_action")!;
    expect(trig.inputSchema.required).toEqual(["action_id"]);
    expect(Object.keys(trig.inputSchema.properties!)).toEqual(expect.arrayContaining(["action_id", "inputs", "target"]));
  });

  it("lists triggers with absolute webhook URLs, filtered by app", async () => {
    const { t } = await world();
    const webhook = await makeTrigger(t, { providerId: "webhook", triggerId: "on_any_event", type: "webhook", config: {} });
    await db().update((await import("../../../src/db/schema")).triggers).set({ webhookData: { webhook_url: `/v1/webhooks/${webhook}` } }).where(eq((await import("../../../src/db/schema")).triggers.projectTriggerId, webhook));
    const poll = await makeTrigger(t, { providerId: "http", triggerId: "poll_json", type: "polling", config: { url: "https://x.test" }, status: "DISABLED" });
    const c = await connect(t.tokens.viewer);
    const all = await call(c, "list_triggers");
    expect(all.isError).toBeFalsy();
    const byId = Object.fromEntries(all.structuredContent.triggers.map((x: any) => [x.project_trigger_id, x]));
    expect(byId[webhook]).toMatchObject({ status: "ENABLED", provider_id: "webhook", webhook_url: `http://sy.test/v1/webhooks/${webhook}` });
    expect(byId[poll]).toMatchObject({ status: "DISABLED", webhook_url: null });
    const one = await call(c, "list_triggers", { app_id: t.appId });
    expect(one.structuredContent.triggers).toHaveLength(2);
    const other = await makeTenant("other");
    expect(textOf(await call(c, "list_triggers", { app_id: other.appId }))).toBe("project not found");
  });

  it("lists actions with search and cursor paging, and gets one with its counters", async () => {
    const { t, action, gated } = await world();
    const c = await connect(t.tokens.viewer);
    const p1 = await call(c, "list_actions", { app_id: t.appId, limit: 1 });
    expect(p1.structuredContent).toMatchObject({ total: 2, has_more: true });
    expect(p1.structuredContent.actions[0].action_id).toBe(gated);
    const p2 = await call(c, "list_actions", { app_id: t.appId, limit: 1, cursor: p1.structuredContent.next_cursor });
    expect(p2.structuredContent.actions.map((a: any) => a.action_id)).toEqual([action]);
    expect((await call(c, "list_actions", { app_id: t.appId, search: "noti" })).structuredContent.actions.map((a: any) => a.name)).toEqual(["notify"]);
    const one = await call(c, "get_action", { action_id: action });
    const rest = await api("GET", `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/actions/${action}`, { token: t.tokens.viewer });
    expect(one.structuredContent).toEqual(rest.body);
    expect(one.structuredContent).toMatchObject({ total_runs: 0, next_run_at: null });
  });

  it("triggers an action, and get_run follows it to success at the receiver; list_runs filters by status", async () => {
    const { t, action } = await world();
    const got = receiver();
    const c = await connect(t.tokens.runner);
    const r = await call(c, "trigger_action", { action_id: action, inputs: { order: 7 } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ action_id: action, status: "pending" });
    expect((await call(c, "get_run", { run_id: r.structuredContent.run_id })).structuredContent.status).toBe("pending");
    await drain(send);
    const run = await call(c, "get_run", { run_id: r.structuredContent.run_id });
    expect(run.structuredContent).toMatchObject({ status: "success", response_status: 200, resolved_payload: { order: 7 }, execution_id: r.structuredContent.execution_id });
    expect(got).toEqual([{ order: 7 }]);
    expect((await call(c, "list_runs", { action_id: action, status: "success" })).structuredContent.runs).toHaveLength(1);
    expect((await call(c, "list_runs", { action_id: action, status: "failed" })).structuredContent.runs).toHaveLength(0);
    expect((await call(c, "get_action", { action_id: action })).structuredContent).toMatchObject({ total_runs: 1, successful_runs: 1 });
  });

  it("checks inputs against manual_inputs_schema with the same message REST gives, and starts nothing", async () => {
    const { t, action } = await world();
    const c = await connect(t.tokens.runner);
    const r = await call(c, "trigger_action", { action_id: action, inputs: { order: "seven" } });
    const rest = await api("POST", `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/actions/${action}/trigger`, { token: t.tokens.runner, body: { inputs: { order: "seven" } } });
    expect(rest.status).toBe(422);
    expect(r.isError).toBe(true);
    expect(textOf(r).split("\n")[0]).toBe(rest.body.detail[0].msg);
    expect(await db().select().from(runs).where(eq(runs.actionId, action))).toHaveLength(0);
  });

  it("invalid arguments are a clear isError result naming the field, not a protocol error", async () => {
    const { t } = await world();
    const c = await connect(t.tokens.admin);
    const missing = await call(c, "trigger_action", {});
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/action_id/);
    const badEnum = await call(c, "decide_run", { run_id: "x", decision: "maybe" });
    expect(badEnum.isError).toBe(true);
    expect(textOf(badEnum)).toMatch(/decision/);
    const tooMany = await call(c, "list_actions", { app_id: t.appId, limit: 500 });
    expect(tooMany.isError).toBe(true);
    expect(textOf(tooMany)).toMatch(/limit/);
  });

  it("decides a pending_approval run exactly once: approve delivers it, a second decision is refused", async () => {
    const { t, gated } = await world();
    const got = receiver();
    const runner = await connect(t.tokens.runner);
    const started = await call(runner, "trigger_action", { action_id: gated });
    expect(started.structuredContent.status).toBe("pending_approval");
    const runId = started.structuredContent.run_id;
    const editor = await connect(t.tokens.editor);
    const ok = await call(editor, "decide_run", { run_id: runId, decision: "approve", message: "ship it" });
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toMatchObject({ run_id: runId, decision_message: "ship it" });
    const again = await call(editor, "decide_run", { run_id: runId, decision: "reject", message: "no" });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/^run already approved by /);
    await drain(send);
    expect((await call(editor, "get_run", { run_id: runId })).structuredContent.status).toBe("success");
    expect(got).toHaveLength(1);
  });

  it("lists, reads and replays events; a long body comes in pages that rebuild it exactly", async () => {
    const { t } = await world();
    const small = await seedEvent(t);
    const bigBody = JSON.stringify({ items: Array.from({ length: 4000 }, (_, i) => ({ i, note: `<b>item ${i}</b>` })) });
    expect(bigBody.length).toBeGreaterThan(2 * EVENT_BODY_CHARS);
    const big = await seedEvent(t, { body: bigBody, status: "unmatched", projectTriggerId: "trg-2" });
    const c = await connect(t.tokens.runner);
    const list = await call(c, "list_events", { status: "unmatched" });
    expect(list.structuredContent.events.map((e: any) => e.event_id)).toEqual([big]);
    expect((await call(c, "list_events", { trigger_id: "trg-1" })).structuredContent.events.map((e: any) => e.event_id)).toEqual([small]);
    expect((await call(c, "get_event", { event_id: small })).structuredContent).toMatchObject({ body: { id: 42 }, body_truncated: false, next_body_offset: null });
    let text = "";
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null && pages++ < 20) {
      const page: any = (await call(c, "get_event", { event_id: big, body_offset: offset })).structuredContent;
      expect(page.body_truncated).toBe(true);
      expect(page.body_total_chars).toBe(bigBody.length);
      text += page.body;
      offset = page.next_body_offset;
    }
    expect(text).toBe(bigBody);
    const replay = await call(c, "replay_event", { event_id: small });
    expect(replay.structuredContent).toMatchObject({ replay_of: small, status: "replayed" });
    expect((await call(c, "get_event", { event_id: replay.structuredContent.event_id })).structuredContent.replay_of).toBe(small);
  });

  it("runs a pipeline through pipeline_action with the REST matrix and per-target results, and lists it", async () => {
    const { t, ep, action } = await world();
    const plain = await makeAction(t, ep, { name: "build", payload: { step: "build" } });
    const got = receiver();
    const c = await connect(t.tokens.editor);
    const created = await call(c, "pipeline_action", { action: "create", type: "pipeline", version: 1, settings: { name: "release", app_id: t.appId, steps: [{ name: "build", action_id: plain }, { name: "gate", type: "approval" }] } });
    expect(created.structuredContent).toMatchObject({ http_status: 200, results: [{ ok: true, status: 201 }] });
    const id = created.structuredContent.results[0].target;
    const listed = await call(c, "list_pipelines", { app_id: t.appId });
    expect(listed.structuredContent.pipelines.map((p: any) => p.pipeline_id)).toEqual([id]);
    const run = await call(c, "pipeline_action", { action: "run", type: "pipeline", version: 1, target: [id], settings: { env: {} } });
    expect(run.isError).toBeFalsy();
    await drain(send);
    const status = await call(c, "pipeline_action", { action: "status", type: "pipeline", version: 1, target: [id] });
    expect(status.structuredContent.results[0].data.state).toBe("pending_approval");
    const approved = await call(c, "pipeline_action", { action: "approve", type: "pipeline", version: 1, target: [id] });
    expect(approved.structuredContent.results[0].ok).toBe(true);
    await drain(send);
    expect((await call(c, "pipeline_action", { action: "status", type: "pipeline", version: 1, target: [id] })).structuredContent.results[0].data.state).toBe("success");
    expect(got).toEqual([{ step: "build" }]);
    const matrix = await call(c, "pipeline_action", { action: "reset", type: "task", version: 1, target: [action] });
    const rest = await api("POST", "/api/v2/actions", { token: t.tokens.editor, body: { action: "reset", type: "task", version: 1, target: [action] } });
    expect(matrix.isError).toBe(true);
    expect(textOf(matrix)).toBe(rest.body.detail[0].msg);
    const mixed = await call(c, "pipeline_action", { action: "status", type: "pipeline", version: 1, target: [id, uuidv7()] });
    expect(mixed.isError).toBeFalsy();
    expect(mixed.structuredContent).toMatchObject({ http_status: 207, results: [{ ok: true }, { ok: false, status: 404 }] });
    const none = await call(c, "pipeline_action", { action: "status", type: "pipeline", version: 1, target: [uuidv7()] });
    expect(none.isError).toBe(true);
    expect(none.structuredContent).toMatchObject({ http_status: 404 });
  });
});

describe("roles and tenancy, as in REST", () => {
  it("a viewer is refused every write with REST's message, and nothing changes", async () => {
    const { t, action, gated } = await world();
    const waiting = await call(await connect(t.tokens.runner), "trigger_action", { action_id: gated });
    const ev = await seedEvent(t);
    const v = await connect(t.tokens.viewer);
    const refusals = [
      await call(v, "trigger_action", { action_id: action, inputs: { order: 1 } }),
      await call(v, "decide_run", { run_id: waiting.structuredContent.run_id, decision: "approve" }),
      await call(v, "replay_event", { event_id: ev }),
    ];
    for (const r of refusals) {
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/^role 'viewer' cannot do this; it needs '(runner|editor)' or higher$/);
    }
    const unified = await call(v, "pipeline_action", { action: "run", type: "task", version: 1, target: [action] });
    expect(unified.structuredContent.results[0]).toMatchObject({ ok: false, status: 403 });
    expect(await db().select().from(runs).where(eq(runs.actionId, action))).toHaveLength(0);
    expect((await db().select().from(runs).where(eq(runs.actionId, gated)))[0]!.status).toBe("pending_approval");
    expect(await db().select().from(events).where(eq(events.replayOf, ev))).toHaveLength(0);
  });

  it("another org's ids answer exactly like nonexistent ids, for every role", async () => {
    const mine = await world();
    const theirs = await world();
    const theirRun = (await call(await connect(theirs.t.tokens.runner), "trigger_action", { action_id: theirs.gated })).structuredContent.run_id;
    const theirEvent = await seedEvent(theirs.t);
    const cases: [string, (id: string) => Record<string, unknown>, string][] = [
      ["get_action", (id) => ({ action_id: id }), theirs.action],
      ["list_runs", (id) => ({ action_id: id }), theirs.action],
      ["trigger_action", (id) => ({ action_id: id, inputs: { order: 1 } }), theirs.action],
      ["list_actions", (id) => ({ app_id: id }), theirs.t.appId],
      ["get_run", (id) => ({ run_id: id }), theirRun],
      ["decide_run", (id) => ({ run_id: id, decision: "approve" }), theirRun],
      ["get_event", (id) => ({ event_id: id }), theirEvent],
      ["replay_event", (id) => ({ event_id: id }), theirEvent],
    ];
    for (const role of ["viewer", "runner", "editor", "admin"] as const) {
      const c = await connect(mine.t.tokens[role]);
      for (const [name, args, foreign] of cases) {
        const a = await call(c, name, args(foreign));
        const b = await call(c, name, args(uuidv7()));
        expect(a.isError, `${role} ${name}`).toBe(true);
        expect(textOf(a), `${role} ${name}`).toBe(textOf(b));
        expect(textOf(a)).toMatch(/ not found$/);
      }
      // An org token's org_id is ignored: it always reads its own org.
      const evs = await call(c, "list_events", { org_id: theirs.t.orgId });
      expect(evs.structuredContent.events.map((e: any) => e.event_id)).not.toContain(theirEvent);
    }
    expect((await db().select().from(runs).where(eq(runs.runId, theirRun)))[0]!.status).toBe("pending_approval");
  });
});

describe("the admin token", () => {
  it("has no org: org-wide tools ask for org_id, and read exactly that org with it", async () => {
    const { t } = await world();
    const ev = await seedEvent(t);
    const c = await connect(ADMIN);
    for (const name of ["list_triggers", "list_events", "list_pipelines"]) {
      const r = await call(c, name);
      expect(r.isError, name).toBe(true);
      expect(textOf(r), name).toMatch(/org_id/);
    }
    const evs = await call(c, "list_events", { org_id: t.orgId });
    expect(evs.structuredContent.events.map((e: any) => e.event_id)).toEqual([ev]);
    expect((await call(c, "get_event", { event_id: ev, org_id: t.orgId })).structuredContent.event_id).toBe(ev);
  });
});

describe("audit and limits", () => {
  it("audits each write tool call like the REST call it mirrors, and no reads or listings", async () => {
    const { t, action } = await world();
    const c = await connect(t.tokens.runner);
    await call(c, "list_actions", { app_id: t.appId });
    const r = await call(c, "trigger_action", { action_id: action, inputs: { order: 1 } });
    const v = await connect(t.tokens.viewer);
    await call(v, "trigger_action", { action_id: action, inputs: { order: 2 } });
    const rows = await db().select().from(auditLog).where(eq(auditLog.orgId, t.orgId));
    expect(rows).toHaveLength(2);
    const ok = rows.find((x) => x.result === "success")!;
    expect(ok).toMatchObject({ actorType: "api_key", action: "action.trigger", targetType: "action", targetId: action, statusCode: 200 });
    expect(ok.details).toMatchObject({ via: "mcp", tool: "trigger_action", run_id: r.structuredContent.run_id });
    const refused = rows.find((x) => x.result === "failure")!;
    expect(refused).toMatchObject({ action: "action.trigger", targetId: action, statusCode: 403 });
  });

  it("cuts long strings of an oversized answer, lists what was cut, and refuses what cannot fit", async () => {
    const small = { runs: [{ response_body: "ok" }] };
    expect(fitResult(small)).toBe(small);
    const big = { runs: Array.from({ length: 50 }, (_, i) => ({ run_id: `r${i}`, resolved_payload: { blob: "x".repeat(10_000) } })) };
    const fitted = fitResult(big) as any;
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    expect(fitted.truncated).toContain("runs[0].resolved_payload.blob");
    expect(fitted.runs[49].run_id).toBe("r49");
    expect(() => fitResult({ ids: Array.from({ length: 20_000 }, (_, i) => `id-${i}`) })).toThrow(/smaller limit/);
  });

  it("an oversized list answer reaches the client cut and still valid against its output schema", async () => {
    const { t, action } = await world();
    const c = await connect(t.tokens.runner);
    for (let i = 0; i < 30; i++) await call(c, "trigger_action", { action_id: action, inputs: { order: i } });
    await db().update(runs).set({ resolvedPayload: { blob: "y".repeat(8_000) } }).where(eq(runs.actionId, action));
    const page = await call(c, "list_runs", { action_id: action, limit: 30 });
    expect(page.isError).toBeFalsy();
    expect(page.structuredContent.runs).toHaveLength(30);
    expect(page.structuredContent.truncated.length).toBe(30);
    expect(JSON.stringify(page.structuredContent).length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
  });
});
