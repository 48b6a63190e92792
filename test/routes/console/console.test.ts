import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { events, runs, triggers } from "../../../src/db/schema";
import { consoleRouter } from "../../../src/faces/console";
import { sealSession } from "../../../src/faces/console/session";
import { handleRunDeliver } from "../../../src/services/delivery";
import { ADMIN, api, db, makeConnection, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { makeAction, makeTrigger, upstreamHandler } from "../durable/helpers";
import { csrfOf, ORIGIN, req, session, signIn } from "./helpers";
import { seedEvent, seedRun } from "./seed";

// The queue is the platform boundary: tasks are captured, never consumed in the background.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const keyIdOf = (token: string) => /^sy_([0-9a-f-]{36})_/.exec(token)![1]!;

/** One org with a bit of everything the console shows. */
async function world(t: Tenant) {
  const endpointId = await makeEndpoint(t, "https://receiver.test/hook");
  const actionId = await makeAction(t, endpointId, { name: "forward" });
  const approvalActionId = await makeAction(t, endpointId, { name: "guarded", approvalRequired: true });
  const triggerId = await makeTrigger(t, { providerId: "webhook", triggerId: "on_any_event", type: "webhook", config: {}, status: "DISABLED" });
  const eventId = await seedEvent(t, { receivedAt: new Date().toISOString(), projectTriggerId: triggerId });
  const failed = await seedRun(t, actionId, { triggeredAt: new Date().toISOString(), status: "failed", errorCode: "http_500" });
  const waiting = await seedRun(t, approvalActionId, { triggeredAt: new Date().toISOString(), status: "pending_approval" });
  const pipe = await api("POST", "/api/v2/pipelines", { token: t.tokens.admin, body: { name: "release", app_id: t.appId, steps: [{ name: "gate", type: "approval" }] } });
  expect(pipe.status).toBeLessThan(300);
  const pipelineId = (pipe.body.pipeline_id ?? pipe.body.data?.pipeline_id) as string;
  return { endpointId, actionId, approvalActionId, triggerId, eventId, failedRunId: failed.runId, waitingRunId: waiting.runId, pipelineId };
}

describe("console: routing and sign-in", () => {
  it("GET / redirects to /console, and /console without a session goes to the sign-in page", async () => {
    const root = await req("GET", "/");
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/console");
    const anon = await req("GET", "/console/events");
    expect(anon.status).toBe(303);
    expect(anon.headers.get("location")).toBe("/console/login");
  });

  it("the sign-in page has an input labelled API key and a Sign in button", async () => {
    const page = await req("GET", "/console/login");
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<label>API key<input[^>]*name="api_key"/);
    expect(page.text).toContain('<button type="submit">Sign in</button>');
  });

  it("signs in with an API key: HttpOnly, SameSite=Lax, Secure, Path=/console, expiring cookie; the pages carry every nav link", async () => {
    const t = await makeTenant();
    const { setCookie, res, cookie } = await signIn({ api_key: t.tokens.viewer });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console");
    expect(setCookie).toMatch(/^sy_console=[\w-]+;/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; Path=\/console/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)![1]);
    expect(maxAge).toBeGreaterThan(8 * 3600 - 60);
    expect(maxAge).toBeLessThanOrEqual(8 * 3600);
    const page = await req("GET", "/console", { cookie });
    expect(page.status).toBe(200);
    for (const n of ["overview", "events", "runs", "approvals", "triggers", "actions", "pipelines", "endpoints"]) expect(page.text).toMatch(new RegExp(`<a href="/console(/${n})?"[^>]*>${n}</a>`));
    expect(page.text).not.toContain(t.tokens.viewer);
  });

  it("leaves Secure off on plain-HTTP localhost (127.0.0.1) only", async () => {
    const t = await makeTenant();
    const local = await signIn({ api_key: t.tokens.viewer }, "http://127.0.0.1:8787");
    expect(local.res.status).toBe(303);
    expect(local.setCookie).toMatch(/HttpOnly/);
    expect(local.setCookie).not.toMatch(/Secure/);
  });

  it("refuses a wrong API key (401) and the admin token (403), setting no cookie", async () => {
    const t = await makeTenant();
    const wrong = await signIn({ api_key: t.tokens.viewer.slice(0, -4) + "0000" });
    expect(wrong.res.status).toBe(401);
    expect(wrong.setCookie).toBe("");
    expect(wrong.res.text).toMatch(/not valid/);
    const admin = await signIn({ api_key: ADMIN });
    expect(admin.res.status).toBe(403);
    expect(admin.setCookie).toBe("");
  });

  it("signs in with email and password through the password grant, including its failure limit (429)", async () => {
    const t = await makeTenant();
    const email = `op${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await api("POST", `/v1/orgs/${t.orgId}/users`, { token: t.tokens.admin, body: { email, name: "Op", role: "editor", password: "correct horse battery" } })).status).toBe(201);
    const ok = await signIn({ email, password: "correct horse battery" });
    expect(ok.res.status).toBe(303);
    // The session holds the grant's 1-hour token, so it cannot outlive it.
    expect(Number(/Max-Age=(\d+)/.exec(ok.setCookie)![1])).toBeLessThanOrEqual(3600);
    const page = await req("GET", "/console", { cookie: ok.cookie });
    expect(page.text).toContain(`${email} · editor`);
    for (let i = 0; i < 10; i++) expect((await signIn({ email, password: `wrong ${i}` })).res.status).toBe(401);
    const blocked = await signIn({ email, password: "correct horse battery" });
    expect(blocked.res.status).toBe(429);
    expect(blocked.setCookie).toBe("");
    expect(blocked.res.text).toMatch(/Too many failed attempts/);
  });

  it("signing out clears the cookie, and the same cookie is refused afterwards", async () => {
    const t = await makeTenant();
    const s = await session(t.tokens.viewer);
    const out = await req("POST", "/console/logout", { cookie: s.cookie, form: { _csrf: s.csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^sy_console=; Max-Age=0/);
    const again = await req("GET", "/console", { cookie: s.cookie });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/console/login?expired=1");
  });

  it("a revoked key ends its session on the next request", async () => {
    const t = await makeTenant();
    const s = await session(t.tokens.editor);
    expect((await api("DELETE", `/v1/orgs/${t.orgId}/api-keys/${keyIdOf(t.tokens.editor)}`, { token: t.tokens.admin })).status).toBeLessThan(300);
    const page = await req("GET", "/console/events", { cookie: s.cookie });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/console/login?expired=1");
    expect(page.headers.get("set-cookie")).toMatch(/Max-Age=0/);
  });

  it("refuses a tampered, foreign-keyed or expired cookie", async () => {
    const t = await makeTenant();
    const s = await session(t.tokens.viewer);
    const value = s.cookie.split("=")[1]!;
    const flipped = value.slice(0, 20) + (value[20] === "A" ? "B" : "A") + value.slice(21);
    expect((await req("GET", "/console", { cookie: `sy_console=${flipped}` })).status).toBe(303);
    const other = await sealSession({ ...env, SESSION_SECRET: "another-secret-of-enough-length-0123456789" } as never, { sid: "x".repeat(32), token: t.tokens.viewer, exp: Date.now() / 1000 + 600, csrf: "a".repeat(32) });
    expect((await req("GET", "/console", { cookie: `sy_console=${other}` })).status).toBe(303);
    const expired = await sealSession(env as never, { sid: "y".repeat(32), token: t.tokens.viewer, exp: Date.now() / 1000 - 1, csrf: "a".repeat(32) });
    expect((await req("GET", "/console", { cookie: `sy_console=${expired}` })).status).toBe(303);
    const fine = await sealSession(env as never, { sid: "z".repeat(32), token: t.tokens.viewer, exp: Date.now() / 1000 + 600, csrf: "a".repeat(32) });
    expect((await req("GET", "/console", { cookie: `sy_console=${fine}` })).status).toBe(200);
  });

  it("without SESSION_SECRET the console answers 503 saying what to set, and the APIs still work", async () => {
    const res = await consoleRouter.request("/console/login", {}, { ...env, SESSION_SECRET: "" });
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/SESSION_SECRET is not set/);
    expect((await api("GET", "/healthz")).status).toBe(200);
  });
});

describe("console: CSRF", () => {
  it("refuses a cross-site form POST (foreign Origin, or none) even with the right token, and changes nothing", async () => {
    const t = await makeTenant();
    const w = await world(t);
    const s = await session(t.tokens.admin);
    for (const origin of ["https://evil.example", null]) {
      const res = await req("POST", `/console/triggers/${w.triggerId}/enable`, { cookie: s.cookie, form: { _csrf: s.csrf }, origin });
      expect(res.status).toBe(403);
      expect(res.text).toMatch(/Cross-site form submissions are refused/);
    }
    expect((await db().select().from(triggers).where(eq(triggers.projectTriggerId, w.triggerId)))[0]!.status).toBe("DISABLED");
  });

  it("refuses a same-origin POST whose CSRF token is missing, wrong or sent as JSON, and accepts the right one", async () => {
    const t = await makeTenant();
    const w = await world(t);
    const s = await session(t.tokens.admin);
    const path = `/console/triggers/${w.triggerId}/enable`;
    for (const form of [{}, { _csrf: "0".repeat(32) }] as Record<string, string>[]) {
      const res = await req("POST", path, { cookie: s.cookie, form });
      expect(res.status).toBe(403);
      expect(res.text).toMatch(/CSRF token/);
    }
    const json = await req("POST", path, { cookie: s.cookie, headers: { "content-type": "application/json" }, body: JSON.stringify({ _csrf: s.csrf }) });
    expect(json.status).toBe(403);
    // Another session's token is not this session's token.
    const other = await session(t.tokens.editor);
    expect((await req("POST", path, { cookie: s.cookie, form: { _csrf: other.csrf } })).status).toBe(403);
    expect((await db().select().from(triggers).where(eq(triggers.projectTriggerId, w.triggerId)))[0]!.status).toBe("DISABLED");
    const ok = await req("POST", path, { cookie: s.cookie, form: { _csrf: s.csrf } });
    expect(ok.status).toBe(303);
    expect((await db().select().from(triggers).where(eq(triggers.projectTriggerId, w.triggerId)))[0]!.status).toBe("ENABLED");
  });
});

describe("console: roles and tenancy", () => {
  it("a viewer sees no write buttons, and every console write from a viewer session is refused (403) with nothing changed", async () => {
    const t = await makeTenant();
    const w = await world(t);
    const s = await session(t.tokens.viewer);
    const pages = ["/console", "/console/events", `/console/events/${w.eventId}`, "/console/runs", `/console/runs/${w.failedRunId}`, "/console/approvals", "/console/triggers", "/console/actions", `/console/actions/${w.actionId}`, "/console/pipelines", "/console/endpoints"];
    for (const p of pages) {
      const page = await req("GET", p, { cookie: s.cookie });
      expect(page.status, p).toBe(200);
      const forms = [...page.text.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]);
      expect(forms, p).toEqual(["/console/logout"]);
      for (const label of [">Replay<", ">Retry<", ">Approve<", ">Reject<", ">Enable<", ">Disable<", ">Run now<", ">Run<", ">Stop<", ">Reset<", ">Create trigger<"]) expect(page.text, `${p} ${label}`).not.toContain(label);
    }
    const writes: [string, Record<string, string>][] = [
      [`/console/events/${w.eventId}/replay`, {}],
      [`/console/runs/${w.failedRunId}/retry`, {}],
      [`/console/approvals/runs/${w.waitingRunId}`, { decision: "approve" }],
      [`/console/approvals/runs/${w.waitingRunId}`, { decision: "reject", message: "no" }],
      [`/console/approvals/gates/${w.pipelineId}`, { decision: "approve" }],
      [`/console/triggers/${w.triggerId}/enable`, {}],
      [`/console/triggers/${w.triggerId}/disable`, {}],
      ["/console/triggers", { catalog: "webhook:on_any_event", project_id: t.appId, trigger_config: "{}" }],
      [`/console/actions/${w.actionId}/run`, {}],
      ...["run", "stop", "reset", "approve", "reject"].map((op): [string, Record<string, string>] => [`/console/pipelines/${w.pipelineId}/${op}`, { message: "m" }]),
    ];
    for (const [path, form] of writes) {
      const res = await req("POST", path, { cookie: s.cookie, form: { ...form, _csrf: s.csrf } });
      expect(res.status, path).toBe(403);
      expect(res.text, path).toMatch(/role &#39;viewer&#39; cannot do this/);
    }
    expect(await db().$count(events, eq(events.orgId, t.orgId))).toBe(1);
    expect(await db().$count(runs, eq(runs.orgId, t.orgId))).toBe(2);
    expect(await db().$count(triggers, eq(triggers.orgId, t.orgId))).toBe(1);
    expect((await db().select().from(runs).where(eq(runs.runId, w.waitingRunId)))[0]!.status).toBe("pending_approval");
    expect(env.TASKS.send).not.toHaveBeenCalled();
  });

  it("another org's ids answer 'not found' on every console page and write, exactly like nonexistent ids", async () => {
    const a = await makeTenant("a");
    const w = await world(a);
    const b = await makeTenant("b");
    const s = await session(b.tokens.admin);
    const fresh = () => crypto.randomUUID();
    const cases: [string, "GET" | "POST", (id: string) => string, string][] = [
      ["event", "GET", (id) => `/console/events/${id}`, w.eventId],
      ["run", "GET", (id) => `/console/runs/${id}`, w.failedRunId],
      ["action", "GET", (id) => `/console/actions/${id}`, w.actionId],
      ["event", "POST", (id) => `/console/events/${id}/replay`, w.eventId],
      ["run", "POST", (id) => `/console/runs/${id}/retry`, w.failedRunId],
      ["run", "POST", (id) => `/console/approvals/runs/${id}`, w.waitingRunId],
      ["pipeline", "POST", (id) => `/console/approvals/gates/${id}`, w.pipelineId],
      ["trigger", "POST", (id) => `/console/triggers/${id}/enable`, w.triggerId],
      ["action", "POST", (id) => `/console/actions/${id}/run`, w.actionId],
      ["pipeline", "POST", (id) => `/console/pipelines/${id}/run`, w.pipelineId],
    ];
    for (const [what, method, path, foreignId] of cases) {
      const form = { _csrf: s.csrf, decision: "approve" };
      const foreign = await req(method, path(foreignId), { cookie: s.cookie, form: method === "POST" ? form : undefined });
      const missing = await req(method, path(fresh()), { cookie: s.cookie, form: method === "POST" ? form : undefined });
      expect(foreign.status, path(foreignId)).toBe(404);
      expect(foreign.text).toContain(`${what} not found`);
      expect(foreign.text).toBe(missing.text);
    }
    // Lists show only the caller's org.
    for (const p of ["/console/events", "/console/runs", "/console/approvals", "/console/triggers", "/console/actions", "/console/pipelines"]) {
      const page = await req("GET", p, { cookie: s.cookie });
      for (const id of [w.eventId, w.failedRunId, w.waitingRunId, w.triggerId, w.actionId, w.pipelineId]) expect(page.text, p).not.toContain(id);
    }
    expect(await db().$count(events, eq(events.orgId, a.orgId))).toBe(1);
  });
});

describe("console: escaping and secrets", () => {
  it("renders a hostile event's headers and body escaped (JSON pretty-printed, other bodies raw)", async () => {
    const t = await makeTenant();
    const trig = await api("POST", `/projects/${t.appId}/triggers`, { token: t.tokens.admin, body: { provider_id: "webhook", trigger_id: "on_any_event" } });
    const id = trig.body.project_trigger_id as string;
    expect((await api("POST", `/triggers/${id}/enable`, { token: t.tokens.admin })).status).toBeLessThan(300);
    const hostile = await api("POST", `/v1/webhooks/${id}`, {
      headers: { "content-type": "application/json", "x-evil": `<script>alert("header")</script>` },
      body: { html: "<script>alert('body')</script>", img: `<img src=x onerror="alert(1)">`, nested: { a: 1 } },
    });
    expect(hostile.status).toBe(200);
    const raw = await api("POST", `/v1/webhooks/${id}`, { headers: { "content-type": "text/plain" }, body: "</pre><script>alert('raw')</script>" });
    expect(raw.status).toBe(200);
    const s = await session(t.tokens.viewer);
    const json = (await req("GET", `/console/events/${hostile.body.event_id}`, { cookie: s.cookie })).text;
    expect(json).toContain("&lt;script&gt;alert(&quot;header&quot;)&lt;/script&gt;");
    expect(json).toContain("&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;");
    expect(json).toContain("&lt;img src=x onerror=\\&quot;alert(1)\\&quot;&gt;");
    expect(json).toContain('{\n  &quot;html&quot;');
    const text = (await req("GET", `/console/events/${raw.body.event_id}`, { cookie: s.cookie })).text;
    expect(text).toContain("&lt;/pre&gt;&lt;script&gt;alert(&#39;raw&#39;)&lt;/script&gt;");
    for (const html of [json, text]) {
      expect(html).not.toMatch(/<script>alert/);
      expect(html).not.toMatch(/<img src=x/);
      expect(html).not.toMatch(/<\/pre><script>/);
      // The only scripts on the page are the console's own file.
      expect([...html.matchAll(/<script[^>]*>/g)].map((m) => m[0])).toEqual(['<script src="/console/static/console.js" defer="">']);
    }
    const list = (await req("GET", "/console/events", { cookie: s.cookie })).text;
    expect(list).not.toMatch(/<script>alert/);
  });

  it("shows an event's local forwards (switchyard listen), their answers escaped", async () => {
    const t = await makeTenant();
    const trig = await api("POST", `/projects/${t.appId}/triggers`, { token: t.tokens.admin, body: { provider_id: "webhook", trigger_id: "on_any_event" } });
    const id = trig.body.project_trigger_id as string;
    await api("POST", `/triggers/${id}/enable`, { token: t.tokens.admin });
    const ev = (await api("POST", `/v1/webhooks/${id}`, { body: { n: 1 } })).body.event_id as string;
    const s = await session(t.tokens.viewer);
    expect((await req("GET", `/console/events/${ev}`, { cookie: s.cookie })).text).toContain(`switchyard listen ${id} --forward`);
    const path = `/v1/orgs/${t.orgId}/events/${ev}/forwards`;
    expect((await api("POST", path, { token: t.tokens.runner, body: { target: "http://localhost:3000/hooks", status: 500, response_body: "<script>alert('local')</script>", duration_ms: 9 } })).status).toBe(201);
    expect((await api("POST", path, { token: t.tokens.runner, body: { target: "http://localhost:3000/hooks", status: null, duration_ms: 3, error: "connect ECONNREFUSED" } })).status).toBe(201);
    const html = (await req("GET", `/console/events/${ev}`, { cookie: s.cookie })).text;
    expect(html).toContain("Local forwards");
    expect(html).toContain("http://localhost:3000/hooks");
    expect(html).toContain("&lt;script&gt;alert(&#39;local&#39;)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert('local')");
    expect(html).toContain("connect ECONNREFUSED");
  });

  it("never shows endpoint or connection secrets, signatures, credential headers or API key tokens", async () => {
    const t = await makeTenant();
    const endpointSecret = "whsec_" + btoa("endpoint-signing-secret-0123456789").replace(/=+$/, "");
    const endpointId = await makeEndpoint(t, "https://receiver.test/hook", { secret: endpointSecret });
    await db().update((await import("../../../src/db/schema")).endpoints).set({ headers: { authorization: "Bearer receiver-credential-XYZ", "x-api-key": "receiver-key-XYZ", "x-plain": "visible-value" } }).where(eq((await import("../../../src/db/schema")).endpoints.endpointId, endpointId));
    const connSecret = "gh-signing-secret-ABCDEF";
    const connectionId = await makeConnection(t, "github", { signing_secret: connSecret });
    await makeTrigger(t, { providerId: "github", triggerId: "on_any_event", type: "webhook", config: {}, connectionId });
    const actionId = await makeAction(t, endpointId, { payload: { hello: "{{ run.attempt }}" } });
    const { runId } = await seedRun(t, actionId, { triggeredAt: new Date().toISOString(), status: "pending" });
    const seen: Headers[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("receiver.test", (r) => (seen.push(r.headers), new Response("ok"))));
    await handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id: runId });
    expect(seen).toHaveLength(1);
    const signature = seen[0]!.get("webhook-signature")!;
    expect(signature).toMatch(/^v1,/);
    const s = await session(t.tokens.admin);
    const secrets = [endpointSecret, connSecret, "receiver-credential-XYZ", "receiver-key-XYZ", signature, ...Object.values(t.tokens), ADMIN, env.ENCRYPTION_KEY, env.SESSION_SECRET!, s.cookie.split("=")[1]!];
    const pages = ["/console", "/console/events", "/console/runs", `/console/runs/${runId}`, "/console/approvals", "/console/triggers", "/console/actions", `/console/actions/${actionId}`, "/console/pipelines", "/console/endpoints"];
    for (const p of pages) {
      const html = (await req("GET", p, { cookie: s.cookie })).text;
      for (const secret of secrets) expect(html.includes(secret), `${p} shows a secret`).toBe(false);
    }
    const run = (await req("GET", `/console/runs/${runId}`, { cookie: s.cookie })).text;
    // The page does show the attempt: headers sent (credentials redacted), payload, response.
    expect(run).toContain("<th scope=\"row\">webhook-signature</th><td>[redacted]</td>");
    expect(run).toContain("<th scope=\"row\">authorization</th><td>[redacted]</td>");
    expect(run).toContain("<th scope=\"row\">x-plain</th><td>visible-value</td>");
    expect(run).toContain("&quot;hello&quot;: 1");
  });
});

describe("console: pages act through the services", () => {
  it("approving from the inbox releases the run; a second decision shows who decided instead of failing", async () => {
    const t = await makeTenant();
    const w = await world(t);
    const s = await session(t.tokens.editor);
    const inbox = await req("GET", "/console/approvals", { cookie: s.cookie });
    expect(inbox.text).toContain(`/console/approvals/runs/${w.waitingRunId}`);
    const ok = await req("POST", `/console/approvals/runs/${w.waitingRunId}`, { cookie: s.cookie, form: { _csrf: s.csrf, decision: "approve", message: "ship it" } });
    expect(ok.status).toBe(303);
    const run = (await db().select().from(runs).where(eq(runs.runId, w.waitingRunId)))[0]!;
    expect(run.status).toBe("pending");
    expect(run.decisionMessage).toBe("ship it");
    const again = await req("POST", `/console/approvals/runs/${w.waitingRunId}`, { cookie: s.cookie, form: { _csrf: s.csrf, decision: "reject", message: "late" } });
    expect(again.status).toBe(409);
    expect(again.text).toContain(`run already approved by ${run.decidedBy}`);
    expect(again.text).toContain("<h1>Approvals</h1>");
  });

  it("Retry creates attempt 2 of a failed run (and only once); Replay stores a copy of the event", async () => {
    const t = await makeTenant();
    const w = await world(t);
    const s = await session(t.tokens.runner);
    const res = await req("POST", `/console/runs/${w.failedRunId}/retry`, { cookie: s.cookie, form: { _csrf: s.csrf } });
    expect(res.status).toBe(303);
    const next = /^\/console\/runs\/([0-9a-f-]{36})\?retried=1$/.exec(res.headers.get("location")!)![1]!;
    const row = (await db().select().from(runs).where(eq(runs.runId, next)))[0]!;
    expect(row).toEqual(expect.objectContaining({ attempt: 2, status: "pending" }));
    const twice = await req("POST", `/console/runs/${w.failedRunId}/retry`, { cookie: s.cookie, form: { _csrf: s.csrf } });
    expect(twice.status).toBe(409);
    const page = (await req("GET", `/console/runs/${next}`, { cookie: s.cookie })).text;
    expect(page).toContain("Attempt 1");
    expect(page).toContain("Attempt 2");
    const replay = await req("POST", `/console/events/${w.eventId}/replay`, { cookie: s.cookie, form: { _csrf: s.csrf } });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toMatch(new RegExp(`^/console/events/${w.eventId}\\?replayed=[0-9a-f-]{36}$`));
    expect(await db().$count(events, eq(events.replayOf, w.eventId))).toBe(1);
  });

  it("the events list polls its own rows fragment, and an empty org shows the curl line to send a first event", async () => {
    const t = await makeTenant();
    const trig = await api("POST", `/projects/${t.appId}/triggers`, { token: t.tokens.admin, body: { provider_id: "webhook", trigger_id: "on_any_event" } });
    await api("POST", `/triggers/${trig.body.project_trigger_id}/enable`, { token: t.tokens.admin });
    const s = await session(t.tokens.viewer);
    const empty = (await req("GET", "/console/events", { cookie: s.cookie })).text;
    expect(empty).toContain("No events yet.");
    expect(empty).toContain(`curl -X POST ${ORIGIN}/v1/webhooks/${trig.body.project_trigger_id}`);
    expect(empty).toContain('data-live="/console/events?partial=rows"');
    await seedEvent(t, { receivedAt: new Date().toISOString(), projectTriggerId: trig.body.project_trigger_id });
    const rows = await req("GET", "/console/events?partial=rows", { cookie: s.cookie });
    expect(rows.status).toBe(200);
    expect(rows.text).toMatch(/^<tr><td><time/);
    expect(rows.text).not.toContain("<html");
    expect(csrfOf((await req("GET", "/console/events", { cookie: s.cookie })).text)).toBe(s.csrf);
  });

  it("creates a trigger from the catalog form (editor), refusing bad trigger_config JSON with a 422 page", async () => {
    const t = await makeTenant();
    const s = await session(t.tokens.editor);
    const page = (await req("GET", "/console/triggers", { cookie: s.cookie })).text;
    expect(page).toContain('<option value="webhook:on_any_event">');
    expect(page).toContain('<option value="schedule:cron">');
    const bad = await req("POST", "/console/triggers", { cookie: s.cookie, form: { _csrf: s.csrf, catalog: "schedule:cron", project_id: t.appId, trigger_config: "{not json" } });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain("trigger_config is not valid JSON");
    const ok = await req("POST", "/console/triggers", { cookie: s.cookie, form: { _csrf: s.csrf, catalog: "schedule:cron", project_id: t.appId, connection_id: "", trigger_config: '{"cron":"*/5 * * * *","timezone":"Europe/Paris"}' } });
    expect(ok.status).toBe(303);
    const rows = await db().select().from(triggers).where(eq(triggers.orgId, t.orgId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ providerId: "schedule", triggerId: "cron", status: "DISABLED", triggerConfig: { cron: "*/5 * * * *", timezone: "Europe/Paris" } });
  });

  it("Run now shows a form generated from manual_inputs_schema and starts a run with typed inputs", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.test/hook");
    const schema = { type: "object", required: ["who"], properties: { who: { type: "string" }, count: { type: "integer" }, loud: { type: "boolean" }, tier: { enum: ["gold", "silver"] } } };
    const actionId = await makeAction(t, ep, { manualInputsSchema: schema });
    const s = await session(t.tokens.runner);
    const page = (await req("GET", `/console/actions/${actionId}`, { cookie: s.cookie })).text;
    expect(page).toContain('<label>who (required)<input type="text" name="in.who" required=""/></label>');
    expect(page).toContain('name="in.count" step="1"');
    expect(page).toContain('<input type="checkbox" name="in.loud" value="true"/>');
    expect(page).toContain('<option value="&quot;gold&quot;">gold</option>');
    const res = await req("POST", `/console/actions/${actionId}/run`, { cookie: s.cookie, form: { _csrf: s.csrf, "in.who": "world", "in.count": "3", "in.loud": "true", "in.tier": '"silver"' } });
    expect(res.status).toBe(303);
    const runId = /^\/console\/runs\/([0-9a-f-]{36})$/.exec(res.headers.get("location")!)![1]!;
    const run = (await db().select().from(runs).where(eq(runs.runId, runId)))[0]!;
    const exec = (await db().select().from((await import("../../../src/db/schema")).executions).where(eq((await import("../../../src/db/schema")).executions.executionId, run.executionId)))[0]!;
    expect(exec.inputs).toEqual({ who: "world", count: 3, loud: true, tier: "silver" });
    // The schema is the service's: a missing required input is a 422, nothing started.
    const missing = await req("POST", `/console/actions/${actionId}/run`, { cookie: s.cookie, form: { _csrf: s.csrf } });
    expect(missing.status).toBe(422);
    expect(await db().$count(runs, eq(runs.actionId, actionId))).toBe(1);
  });

  it("runs a pipeline from its page, approves its gate from the inbox, and audits both writes", async () => {
    const t = await makeTenant();
    const w = await world(t);
    const s = await session(t.tokens.editor);
    const list = (await req("GET", "/console/pipelines", { cookie: s.cookie })).text;
    expect(list).toContain(`action="/console/pipelines/${w.pipelineId}/run"`);
    expect((await req("POST", `/console/pipelines/${w.pipelineId}/run`, { cookie: s.cookie, form: { _csrf: s.csrf } })).status).toBe(303);
    const inbox = (await req("GET", "/console/approvals", { cookie: s.cookie })).text;
    expect(inbox).toContain(`action="/console/approvals/gates/${w.pipelineId}"`);
    expect(inbox).toContain("Pipeline gates");
    const ok = await req("POST", `/console/approvals/gates/${w.pipelineId}`, { cookie: s.cookie, form: { _csrf: s.csrf, decision: "approve", message: "go" } });
    expect(ok.status).toBe(303);
    expect((await req("GET", "/console/approvals", { cookie: s.cookie })).text).not.toContain(`/console/approvals/gates/${w.pipelineId}`);
    const again = await req("POST", `/console/approvals/gates/${w.pipelineId}`, { cookie: s.cookie, form: { _csrf: s.csrf, decision: "approve" } });
    expect(again.status).toBe(409);
    const log = await api("GET", `/v1/orgs/${t.orgId}/audit-log`, { token: t.tokens.viewer });
    const actions = log.body.entries.map((e: any) => `${e.action} ${e.result}`);
    expect(actions).toEqual(expect.arrayContaining(["run.pipeline success", "pipeline.approve success", "pipeline.approve failure"]));
  });
});
