/**
 * Hostile review of /mcp: a foreign tenant, a low role, an unauthenticated caller and hostile
 * input. Each test pins a property that must keep holding; eight of them failed on the first
 * version of the face (batches, oversized answers, list_triggers paging, unaudited refusals).
 */
import { env, SELF } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { apiKeys, auditLog, events, pipelines, runs, triggers } from "../../../src/db/schema";
import { ERROR_TEXT_CHARS, MAX_RESULT_CHARS, TEXT_COPY_CHARS } from "../../../src/faces/mcp/results";
import { ADMIN, api, db, makeConnection, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { makeAction, makeTrigger } from "../durable/helpers";
import { call, connect, textOf } from "./client";

let send: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  send = vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("no outbound in attack tests", { status: 503 }));
});
afterEach(() => vi.restoreAllMocks());

const URL_ = "http://sy.test/mcp";
const STACK = /\bat \S+ \(|\.ts:\d+:\d+|node_modules|Error:/;
const hdrs = (token?: string, extra: Record<string, string> = {}) => ({
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-06-18",
  ...extra,
});
const toolCall = (id: number | string, name: string, args: Record<string, unknown>) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
async function post(token: string | undefined, body: unknown, extra: Record<string, string> = {}) {
  return SELF.fetch(URL_, { method: "POST", headers: hdrs(token, extra), body: typeof body === "string" ? body : JSON.stringify(body) });
}

async function seedEvent(t: Tenant, over: Partial<typeof events.$inferInsert> = {}): Promise<string> {
  const eventId = uuidv7();
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: "trg-1", providerId: "webhook", eventType: "order.paid", dedupKey: eventId,
    headers: { "content-type": "application/json" }, body: JSON.stringify({ id: 42 }), status: "routed", matchedActions: [], receivedAt: new Date().toISOString(), ...over,
  });
  return eventId;
}

async function world(name = "acme") {
  const t = await makeTenant(name);
  const ep = await makeEndpoint(t, "https://receiver.test/hook", { secret: "whsec_ENDPOINT_SECRET_MARKER_123" });
  const action = await makeAction(t, ep, { name: "notify" });
  const gated = await makeAction(t, ep, { name: "deploy", approvalRequired: true });
  const trigger = await makeTrigger(t, { providerId: "webhook", triggerId: "on_any_event", type: "webhook", config: {} });
  const editor = await connect(t.tokens.editor);
  const created = await call(editor, "pipeline_action", { action: "create", type: "pipeline", version: 1, settings: { name: "release", app_id: t.appId, steps: [{ name: "s", action_id: action }, { name: "gate", type: "approval" }] } });
  const pipeline = created.structuredContent.results[0].target as string;
  return { t, ep, action, gated, trigger, pipeline };
}

/** A result as a string with `ids` replaced by a placeholder, to compare a foreign id's answer with a nonexistent one's. */
const norm = (r: { isError?: boolean; structuredContent?: unknown; content: unknown }, ...ids: string[]) => {
  let s = JSON.stringify({ isError: r.isError ?? false, structuredContent: r.structuredContent ?? null, content: r.content });
  for (const id of ids) s = s.split(id).join("<ID>");
  return s;
};

describe("1. tenancy", () => {
  it("pipeline_action: another org's pipeline/task ids, settings.app_id, step action_id, endpoint_id and trigger_ids answer exactly like nonexistent ids, for every role, and change nothing", async () => {
    const mine = await world("mine");
    const theirs = await world("theirs");
    const T = theirs;
    const cases: [string, (id: string) => Record<string, unknown>, string][] = [
      ...(["status", "run", "stop", "reset", "delete", "approve"] as const).map((a) => [`pipeline ${a}`, (id: string) => ({ action: a, type: "pipeline", version: 1, target: [id] }), T.pipeline] as [string, (id: string) => Record<string, unknown>, string]),
      ["pipeline reject", (id) => ({ action: "reject", type: "pipeline", version: 1, target: [id], message: "no" }), T.pipeline],
      ["pipeline update", (id) => ({ action: "update", type: "pipeline", version: 1, target: id, settings: { name: "pwned" } }), T.pipeline],
      ["task status", (id) => ({ action: "status", type: "task", version: 1, target: [id] }), T.action],
      ["task run", (id) => ({ action: "run", type: "task", version: 1, target: [id] }), T.action],
      ["task stop", (id) => ({ action: "stop", type: "task", version: 1, target: [id] }), T.gated],
      ["task update", (id) => ({ action: "update", type: "task", version: 1, target: id, settings: { name: "pwned" } }), T.action],
      ["task create in their app", (id) => ({ action: "create", type: "task", version: 1, settings: { app_id: id, name: "x", endpoint_id: T.ep, namespace_id: "n" } }), T.t.appId],
      ["pipeline create in their app", (id) => ({ action: "create", type: "pipeline", version: 1, settings: { app_id: id, name: "x", steps: [{ name: "a", type: "approval" }] } }), T.t.appId],
      ["pipeline create with their action", (id) => ({ action: "create", type: "pipeline", version: 1, settings: { app_id: mine.t.appId, name: "x", steps: [{ name: "a", action_id: id }] } }), T.action],
      ["pipeline update with their action", (id) => ({ action: "update", type: "pipeline", version: 1, target: mine.pipeline, settings: { steps: [{ name: "a", action_id: id }] } }), T.action],
      ["task create with their endpoint", (id) => ({ action: "create", type: "task", version: 1, settings: { app_id: mine.t.appId, name: "x", endpoint_id: id, namespace_id: "n" } }), T.ep],
      ["task update with their endpoint", (id) => ({ action: "update", type: "task", version: 1, target: mine.action, settings: { endpoint_id: id } }), T.ep],
      ["task update with their trigger", (id) => ({ action: "update", type: "task", version: 1, target: mine.action, settings: { trigger_ids: [id] } }), T.trigger],
    ];
    const diffs: string[] = [];
    for (const role of ["viewer", "runner", "editor", "admin"] as const) {
      const c = await connect(mine.t.tokens[role]);
      for (const [label, args, foreign] of cases) {
        const fresh = uuidv7();
        const a = await call(c, "pipeline_action", args(foreign));
        const b = await call(c, "pipeline_action", args(fresh));
        if (norm(a, foreign) !== norm(b, fresh)) diffs.push(`${role} ${label}: ${norm(a, foreign).slice(0, 300)} vs ${norm(b, fresh).slice(0, 300)}`);
        // Tenancy before role: a foreign target is never a 403 (cases whose target is the caller's own may be).
        if (!/with their/.test(label)) expect(textOf(a), `${role} ${label}`).not.toMatch(/role '/);
      }
    }
    expect(diffs).toEqual([]);
    const p = (await db().select().from(pipelines).where(eq(pipelines.pipelineId, T.pipeline)))[0]!;
    expect(p).toMatchObject({ name: "release", state: "idle" });
    expect(await db().select().from(runs).where(eq(runs.orgId, T.t.orgId))).toHaveLength(0);
  });

  it("list filters and org_id: a foreign app_id, trigger_id or org_id reads nothing of the other org and answers like a nonexistent one", async () => {
    const mine = await world("mine");
    const theirs = await world("theirs");
    const theirEvent = await seedEvent(theirs.t, { projectTriggerId: theirs.trigger });
    for (const role of ["viewer", "admin"] as const) {
      const c = await connect(mine.t.tokens[role]);
      const fresh = uuidv7();
      for (const [name, key] of [["list_triggers", "app_id"], ["list_pipelines", "app_id"], ["list_actions", "app_id"]] as const) {
        const a = await call(c, name, { [key]: theirs.t.appId });
        const b = await call(c, name, { [key]: fresh });
        expect(norm(a, theirs.t.appId), `${role} ${name}`).toBe(norm(b, fresh));
      }
      const byOrg = JSON.stringify([
        await call(c, "list_triggers", { org_id: theirs.t.orgId }),
        await call(c, "list_pipelines", { org_id: theirs.t.orgId }),
        await call(c, "list_events", { org_id: theirs.t.orgId }),
        await call(c, "list_events", { trigger_id: theirs.trigger }),
      ]);
      for (const id of [theirs.trigger, theirs.pipeline, theirEvent, theirs.t.orgId]) expect(byOrg, `${role} leaked ${id}`).not.toContain(id);
      for (const name of ["get_event", "replay_event"]) {
        const a = await call(c, name, { event_id: theirEvent, org_id: theirs.t.orgId });
        const b = await call(c, name, { event_id: fresh, org_id: theirs.t.orgId });
        expect(norm(a, theirEvent), `${role} ${name}`).toBe(norm(b, fresh));
      }
    }
    expect(await db().select().from(events).where(eq(events.replayOf, theirEvent))).toHaveLength(0);
  });
});

describe("2. roles", () => {
  it("a viewer and a runner are refused every write REST refuses them, with REST's role message, and nothing changes", async () => {
    const w = await world();
    const waiting = (await call(await connect(w.t.tokens.runner), "trigger_action", { action_id: w.gated })).structuredContent.run_id;
    const ev = await seedEvent(w.t);
    const pa = (b: Record<string, unknown>) => ["pipeline_action", { version: 1, ...b }] as const;
    const editorOnly = [
      ["decide_run", { run_id: waiting, decision: "approve" }],
      ["decide_run", { run_id: waiting, decision: "reject", message: "x" }],
      pa({ action: "approve", type: "pipeline", target: [w.pipeline] }),
      pa({ action: "reject", type: "pipeline", target: [w.pipeline], message: "x" }),
      pa({ action: "delete", type: "pipeline", target: [w.pipeline] }),
      pa({ action: "update", type: "pipeline", target: w.pipeline, settings: { name: "x" } }),
      pa({ action: "update", type: "task", target: w.action, settings: { name: "x" } }),
      pa({ action: "create", type: "task", settings: { app_id: w.t.appId, name: "x", endpoint_id: w.ep, namespace_id: "n" } }),
      pa({ action: "create", type: "pipeline", settings: { app_id: w.t.appId, name: "x", steps: [{ name: "a", type: "approval" }] } }),
    ] as const;
    const runnerOnly = [
      ["trigger_action", { action_id: w.action }],
      ["replay_event", { event_id: ev }],
      pa({ action: "run", type: "task", target: [w.action] }),
      pa({ action: "stop", type: "task", target: [w.gated] }),
      pa({ action: "run", type: "pipeline", target: [w.pipeline] }),
      pa({ action: "stop", type: "pipeline", target: [w.pipeline] }),
      pa({ action: "reset", type: "pipeline", target: [w.pipeline] }),
    ] as const;
    const refusedText = (r: Awaited<ReturnType<typeof call>>) => (r.structuredContent?.results?.[0]?.error?.message as string | undefined) ?? textOf(r);
    const problems: string[] = [];
    for (const [role, list] of [["viewer", [...editorOnly, ...runnerOnly]], ["runner", editorOnly]] as const) {
      const c = await connect(w.t.tokens[role]);
      for (const [name, args] of list) {
        const r = await call(c, name, args as Record<string, unknown>);
        if (!r.isError || !/^role '(viewer|runner)' cannot do this; it needs '(runner|editor)' or higher$/.test(refusedText(r))) problems.push(`${role} ${name} ${JSON.stringify(args)} -> ${refusedText(r)}`);
      }
    }
    expect(problems).toEqual([]);
    expect((await db().select().from(runs).where(eq(runs.runId, waiting)))[0]!.status).toBe("pending_approval");
    expect(await db().select().from(runs).where(eq(runs.actionId, w.action))).toHaveLength(0);
    expect((await db().select().from(pipelines).where(eq(pipelines.pipelineId, w.pipeline)))[0]).toMatchObject({ name: "release", state: "idle" });
    expect(await db().select().from(events).where(eq(events.replayOf, ev))).toHaveLength(0);
  });
});

describe("3. authentication", () => {
  it("every /mcp method without a valid bearer header is refused with 401 and no data: none, bad, expired JWT, alg none, Basic, token in the query", async () => {
    const t = await makeTenant();
    const secret = new TextEncoder().encode((env as unknown as { JWT_SECRET: string }).JWT_SECRET);
    const claims = { sub: uuidv7(), org_id: t.orgId, role: "admin", kind: "api_key" };
    const expired = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("switchyard").setIssuedAt(1_700_000_000).setExpirationTime(1_700_000_100).sign(secret);
    const noExp = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("switchyard").sign(secret);
    const valid = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("switchyard").setExpirationTime("1h").sign(secret);
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const algNone = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, iss: "switchyard", exp: 9_999_999_999 })}.`;
    const auths: [string, Record<string, string>, string][] = [
      ["none", {}, ""],
      ["bad key", { authorization: "Bearer sy_nope" }, ""],
      ["expired JWT", { authorization: `Bearer ${expired}` }, ""],
      ["JWT without exp", { authorization: `Bearer ${noExp}` }, ""],
      ["alg none", { authorization: `Bearer ${algNone}` }, ""],
      ["Basic admin", { authorization: `Basic ${btoa(`admin:${ADMIN}`)}` }, ""],
      ["raw key without scheme", { authorization: t.tokens.admin }, ""],
      ["key in query", {}, `?access_token=${t.tokens.admin}&token=${t.tokens.admin}&api_key=${t.tokens.admin}`],
      ["key in cookie", { cookie: `token=${t.tokens.admin}` }, ""],
    ];
    const body = JSON.stringify(toolCall(1, "list_triggers", {}));
    for (const [label, auth, query] of auths) {
      for (const method of ["POST", "GET", "DELETE", "OPTIONS", "HEAD", "PUT", "PATCH"]) {
        const res = await SELF.fetch(`${URL_}${query}`, {
          method,
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...auth },
          body: ["GET", "HEAD", "OPTIONS"].includes(method) ? undefined : body,
        });
        const text = await res.text();
        expect(res.status, `${label} ${method}`).toBe(401);
        expect(res.headers.get("www-authenticate"), `${label} ${method}`).toBe('Bearer realm="switchyard"');
        expect(text).not.toMatch(/"result"|triggers|tools/);
      }
    }
    // Control: the same JWT shape with a future exp is accepted (so the refusals above are about exp/alg, not the shape).
    expect((await post(valid, toolCall(1, "list_triggers", {}))).status).toBe(200);
  });

  it("with a valid token, OPTIONS, HEAD, PUT and PATCH are harmless: no tool runs, no data", async () => {
    const t = await makeTenant();
    for (const method of ["OPTIONS", "HEAD", "PUT", "PATCH", "GET", "DELETE"]) {
      const res = await SELF.fetch(URL_, { method, headers: hdrs(t.tokens.admin), body: ["GET", "HEAD", "OPTIONS"].includes(method) ? undefined : JSON.stringify(toolCall(1, "list_triggers", {})) });
      const text = await res.text();
      expect(res.status, method).toBeGreaterThanOrEqual(400);
      expect(res.status, method).toBeLessThan(500);
      expect(text, method).not.toMatch(/"result"/);
    }
  });
});

describe("4. hostile input on POST /mcp", () => {
  it("10 MB body, chunked body without content-length, wrong content-type or accept, wrong protocol version: 4xx, no 500, nothing echoed into a header", async () => {
    const t = await makeTenant();
    const tenMb = await post(t.tokens.viewer, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(10 * 1024 * 1024) } }));
    expect(tenMb.status).toBe(413);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent >= 2 * 1024 * 1024) return ctrl.close();
        sent += 64 * 1024;
        ctrl.enqueue(new TextEncoder().encode(sent === 64 * 1024 ? `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"p":"${"y".repeat(64 * 1024 - 50)}` : "y".repeat(64 * 1024)));
      },
    });
    const chunked = await SELF.fetch(URL_, { method: "POST", headers: hdrs(t.tokens.viewer), body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    const wrongCt = await post(t.tokens.viewer, toolCall(1, "list_triggers", {}), { "content-type": "text/plain" });
    expect(wrongCt.status).toBe(415);
    const noAccept = await post(t.tokens.viewer, toolCall(1, "list_triggers", {}), { accept: "application/json" });
    expect(noAccept.status).toBe(406);
    const evil = "1999-01-01 <script>";
    const badVersion = await post(t.tokens.viewer, toolCall(1, "list_triggers", {}), { "mcp-protocol-version": evil, "x-request-id": "a\tb<script>", "mcp-session-id": "evil-session" });
    expect(badVersion.status).toBe(400);
    for (const [k, v] of badVersion.headers) {
      expect(v, k).not.toContain("1999-01-01");
      expect(v, k).not.toContain("script");
      expect(v, k).not.toContain("evil-session");
    }
    expect(await badVersion.text()).not.toMatch(/"result"/);
  });

  it("deep nesting, huge strings and prototype keys in tool arguments: a tool result or JSON-RPC error, never a 500, a stack or prototype pollution", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.test/hook");
    const action = await makeAction(t, ep, { manualInputsSchema: { type: "object", properties: { order: { type: "integer" } }, required: ["order"] }, payload: { o: "{{ inputs.order }}" } });
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const bodies = [
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trigger_action","arguments":{"action_id":"${action}","inputs":{"order":1,"d":${deep(20_000)}}}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trigger_action","arguments":{"action_id":"${action}","inputs":{"order":1,"d":${deep(900)}}}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pipeline_action","arguments":{"action":"create","type":"task","version":1,"settings":{"app_id":"${t.appId}","name":"d","endpoint_id":"${ep}","namespace_id":"n","payload":{"d":${deep(2_000)}}}}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trigger_action","arguments":{"action_id":"${action}","inputs":{"__proto__":{"order":5,"polluted":true}}}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trigger_action","arguments":{"__proto__":{"action_id":"${action}"},"constructor":{"prototype":{"polluted":true}}}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pipeline_action","arguments":{"action":"status","type":"task","version":1,"target":["${"z".repeat(200_000)}"]}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_events","arguments":{"trigger_id":"${"z".repeat(120_000)}","since":"${"9".repeat(100_000)}"}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"__proto__","arguments":{}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"constructor","arguments":{}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"toString"}}`,
      `{"jsonrpc":"2.0","id":1,"method":"__proto__","params":{}}`,
      `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}`,
    ];
    const seen: string[] = [];
    for (const b of bodies) {
      const res = await post(t.tokens.admin, b);
      const text = await res.text();
      seen.push(`${res.status} ${text.slice(0, 200)}`);
      expect(res.status, b.slice(0, 120)).toBeLessThan(500);
      expect(STACK.test(text), text.slice(0, 400)).toBe(false);
      expect(text, b.slice(0, 120)).not.toMatch(/internal error/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).order).toBeUndefined();
    // The __proto__ inputs did not satisfy `required: [order]` through the prototype.
    expect(seen[3]).toMatch(/order/);
    expect(await db().select().from(runs).where(and(eq(runs.actionId, action), eq(runs.status, "pending")))).toHaveLength(2);
  });

  it("a JSON-RPC batch of 101 messages is refused with 400", async () => {
    const t = await makeTenant();
    const res = await post(t.tokens.viewer, Array.from({ length: 101 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" })));
    expect(res.status).toBe(400);
  });

  it("one POST /mcp runs at most one tool call: a JSON-RPC batch (removed in MCP 2025-06-18) is refused with 400 and runs nothing", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.test/hook");
    const action = await makeAction(t, ep);
    for (const batch of [
      Array.from({ length: 100 }, (_, i) => toolCall(i + 1, "trigger_action", { action_id: action })),
      [toolCall(7, "trigger_action", { action_id: action }), toolCall(7, "trigger_action", { action_id: action })],
      [toolCall(1, "trigger_action", { action_id: action })],
    ]) {
      const res = await post(t.tokens.runner, `  \n${JSON.stringify(batch)}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.message).toMatch(/batches are not supported/);
    }
    expect(await db().select().from(runs).where(eq(runs.actionId, action))).toHaveLength(0);
  });

  it("one answer stays near the result cap: get_event of a body of 31,000 quote characters answers under MAX_RESULT_CHARS + TEXT_COPY_CHARS", async () => {
    const t = await makeTenant();
    const ev = await seedEvent(t, { body: JSON.stringify({ s: "\"".repeat(31_000) }) });
    const res = await post(t.tokens.viewer, toolCall(1, "get_event", { event_id: ev }));
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.length).toBeLessThan(MAX_RESULT_CHARS + TEXT_COPY_CHARS + 1_000);
    expect(JSON.parse(text).result.structuredContent.body_truncated).toBe(true);
  });

  it("a refusal is capped at ERROR_TEXT_CHARS even when it echoes a 200,000-character argument", async () => {
    const t = await makeTenant();
    const c = await connect(t.tokens.viewer);
    const long = "x".repeat(200_000);
    const texts = [
      textOf(await call(c, "pipeline_action", { action: long, type: "task", version: 1 })),
      textOf(await call(c, "pipeline_action", { action: "status", type: "task", version: 1, target: [long.slice(0, 110_000), long.slice(0, 110_000)] })),
    ];
    for (const x of texts) expect(x.length).toBeLessThanOrEqual(ERROR_TEXT_CHARS + 20);
  });

});

describe("5. output", () => {
  it("no tool result carries an endpoint secret, a connection secret, an API key token or hash, or a server secret", async () => {
    const w = await world();
    const connection = await makeConnection(w.t, "stripe", { signing_secret: "whsec_CONNECTION_SECRET_MARKER_456", api_key: "sk_live_CONNECTION_MARKER_789" });
    await makeTrigger(w.t, { providerId: "stripe", triggerId: "on_any_event", type: "webhook", config: {}, connectionId: connection });
    const run = (await call(await connect(w.t.tokens.runner), "trigger_action", { action_id: w.action })).structuredContent.run_id;
    const ev = await seedEvent(w.t);
    const keys = await db().select().from(apiKeys).where(eq(apiKeys.orgId, w.t.orgId));
    const c = await connect(w.t.tokens.admin);
    const out = JSON.stringify([
      await c.listTools(),
      await call(c, "list_triggers"),
      await call(c, "list_actions", { app_id: w.t.appId }),
      await call(c, "get_action", { action_id: w.action }),
      await call(c, "list_runs", { action_id: w.action }),
      await call(c, "get_run", { run_id: run }),
      await call(c, "list_events"),
      await call(c, "get_event", { event_id: ev }),
      await call(c, "list_pipelines"),
      await call(c, "pipeline_action", { action: "status", type: "task", version: 1, target: [w.action, w.gated] }),
      await call(c, "pipeline_action", { action: "status", type: "pipeline", version: 1, target: [w.pipeline] }),
    ]);
    const e = env as unknown as Record<string, string>;
    for (const s of ["ENDPOINT_SECRET_MARKER", "CONNECTION_SECRET_MARKER", "CONNECTION_MARKER", ...Object.values(w.t.tokens), ...keys.map((k) => k.tokenHash), e.ENCRYPTION_KEY, e.JWT_SECRET, ADMIN].filter((x): x is string => !!x)) {
      expect(out.includes(s), `leaked ${s.slice(0, 12)}…`).toBe(false);
    }
  });

  it("list_triggers with a long webhook_data is cut to the cap and still valid against its outputSchema", async () => {
    const t = await makeTenant();
    // An editor can store any webhook_data through REST (POST /projects/{id}/triggers); here straight into D1.
    const id = await makeTrigger(t, { providerId: "webhook", triggerId: "on_any_event", type: "webhook", config: {} });
    await db().update(triggers).set({ webhookData: { webhook_url: `/v1/webhooks/${id}`, note: "n".repeat(120_000) } }).where(eq(triggers.projectTriggerId, id));
    const c = await connect(t.tokens.viewer);
    const { tools } = await c.listTools();
    expect((tools.find((x) => x.name === "list_triggers")!.outputSchema as { additionalProperties?: unknown }).additionalProperties).toBe(false);
    const r = await call(c, "list_triggers"); // throws now: "Structured content does not match the tool's output schema"
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent.truncated).toEqual(["triggers[0].webhook_data.note"]);
  });

  it("list_triggers pages an org with 300 triggers", async () => {
    const t = await makeTenant();
    const now = new Date().toISOString();
    const rows = Array.from({ length: 300 }, () => {
      const id = uuidv7();
      return { projectTriggerId: id, orgId: t.orgId, projectId: t.appId, connectionId: null, providerId: "webhook", triggerId: "on_any_event", triggerType: "webhook" as const, triggerConfig: {}, webhookData: { webhook_url: `/v1/webhooks/${id}` }, status: "ENABLED" as const, createdBy: uuidv7(), updatedBy: uuidv7(), createdAt: now, updatedAt: now };
    });
    for (let i = 0; i < rows.length; i += 5) await db().insert(triggers).values(rows.slice(i, i + 5));
    const c = await connect(t.tokens.viewer);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = await call(c, "list_triggers", { limit: 50, ...(cursor ? { cursor } : {}) });
      expect(r.isError ?? false, r.isError ? textOf(r) : "").toBe(false);
      expect(r.structuredContent.total).toBe(300);
      seen.push(...r.structuredContent.triggers.map((x: any) => x.project_trigger_id));
      if (!r.structuredContent.has_more) break;
      cursor = r.structuredContent.next_cursor;
    }
    expect(seen).toEqual(rows.map((r) => r.projectTriggerId).sort().reverse());
  });

  it("get_event answers for an event whose sender sent hundreds of headers (an unauthenticated sender cannot make an event unreadable over MCP)", async () => {
    const t = await makeTenant();
    // What ingest stores for a delivery with 260 headers of ~400 bytes (Cloudflare allows 128 KB of request headers).
    const headers = Object.fromEntries(Array.from({ length: 260 }, (_, i) => [`x-h-${i}`, "v".repeat(390)]));
    const ev = await seedEvent(t, { headers, body: JSON.stringify({ ok: true }) });
    const rest = await api("GET", `/v1/orgs/${t.orgId}/events/${ev}`, { token: t.tokens.viewer });
    expect(rest.status).toBe(200);
    const r = await call(await connect(t.tokens.viewer), "get_event", { event_id: ev });
    expect(r.isError ? textOf(r) : "ok").toBe("ok");
  });

  it("attacker-controlled event bodies and run responses stay valid against the outputSchemas (prototype keys, lone surrogates, null, huge strings)", async () => {
    const w = await world();
    const c = await connect(w.t.tokens.viewer);
    const bodies = ['{"__proto__":{"x":1},"constructor":{"prototype":{}}}', '"\\ud800 lone"', "null", "not json \udc00", JSON.stringify({ s: "😀".repeat(20_000) }), JSON.stringify({ truncated: 5, body_truncated: "x" })];
    for (const body of bodies) {
      const ev = await seedEvent(w.t, { body, eventType: "e".repeat(50_000), routeError: "r".repeat(50_000), headers: { "x-a": "\ud800".repeat(10) } });
      const r = await call(c, "get_event", { event_id: ev }); // the client validates against the outputSchema
      expect(r.isError, body.slice(0, 40)).toBeFalsy();
    }
    const list = await call(c, "list_events", { limit: 50 });
    expect(list.isError).toBeFalsy();
    const runner = await connect(w.t.tokens.runner);
    for (let i = 0; i < 3; i++) await call(runner, "trigger_action", { action_id: w.action });
    await db().update(runs).set({ responseBody: "\ud83d".repeat(30_000) + "😀".repeat(20_000), errorMessage: "m".repeat(60_000), resolvedPayload: { "__proto__": { a: 1 }, s: "😀".repeat(10_000) } as never, responseStatus: 599 }).where(eq(runs.actionId, w.action));
    const rr = await call(c, "list_runs", { action_id: w.action });
    expect(rr.isError).toBeFalsy();
    expect(textOf(rr).length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    expect((await call(c, "pipeline_action", { action: "status", type: "task", version: 1, target: [w.action] })).isError).toBeFalsy();
  });
});

describe("6. audit", () => {
  it("writes aimed at another org's ids are audited in the caller's org only, one row per call", async () => {
    const mine = await world("mine");
    const theirs = await world("theirs");
    const theirRun = (await call(await connect(theirs.t.tokens.runner), "trigger_action", { action_id: theirs.gated })).structuredContent.run_id;
    const theirEvent = await seedEvent(theirs.t);
    const before = (await db().select().from(auditLog).where(eq(auditLog.orgId, theirs.t.orgId))).length;
    const c = await connect(mine.t.tokens.admin);
    const writes: [string, Record<string, unknown>][] = [
      ["trigger_action", { action_id: theirs.action }],
      ["decide_run", { run_id: theirRun, decision: "reject", message: "x" }],
      ["replay_event", { event_id: theirEvent, org_id: theirs.t.orgId }],
      ["pipeline_action", { action: "delete", type: "pipeline", version: 1, target: [theirs.pipeline] }],
      ["pipeline_action", { action: "update", type: "task", version: 1, target: theirs.action, settings: { name: "x" } }],
    ];
    const mineBefore = (await db().select().from(auditLog).where(eq(auditLog.orgId, mine.t.orgId))).length;
    for (const [n, a] of writes) await call(c, n, a);
    expect((await db().select().from(auditLog).where(eq(auditLog.orgId, theirs.t.orgId))).length).toBe(before);
    const mineRows = (await db().select().from(auditLog).where(eq(auditLog.orgId, mine.t.orgId))).slice(mineBefore);
    expect(mineRows).toHaveLength(writes.length);
    expect(mineRows.every((r) => r.result === "failure")).toBe(true);
  });

  it("a write tool call refused for invalid arguments is audited like REST's 422", async () => {
    const w = await world();
    const count = async () => (await db().select().from(auditLog).where(eq(auditLog.orgId, w.t.orgId))).length;
    const before = await count();
    const rest = await api("POST", `/v1/orgs/${w.t.orgId}/workspaces/${w.t.workspaceId}/apps/${w.t.appId}/actions/${w.action}/trigger`, { token: w.t.tokens.viewer, body: { inputs: "not-an-object" } });
    expect(rest.status).toBe(422);
    expect(await count()).toBe(before + 1);
    const r = await call(await connect(w.t.tokens.viewer), "trigger_action", { action_id: w.action, inputs: "not-an-object" });
    expect(r.isError).toBe(true);
    expect(await count()).toBe(before + 2);
  });
});
