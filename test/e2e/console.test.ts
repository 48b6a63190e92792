/**
 * The operator console in a real browser: Debian's Chromium (/usr/bin/chromium, never a
 * downloaded one) driven by playwright-core against the real `npm start`, with a recording
 * receiver on 127.0.0.1. Every wait is bounded. Screenshots go to test/e2e/screenshots/
 * (git-ignored); the overview one is what docs/console.png is made from.
 */
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseUrl, call, setupTenant, startReceiver, waitFor } from "./harness";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(process.cwd(), "test", "e2e", "screenshots");
/** Longest wait for the page to show something (the events list polls every 5 s). */
const UI_WAIT_MS = 20_000;

let t: Awaited<ReturnType<typeof setupTenant>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
/** Every URL the browser asked for: the console must load nothing from anywhere else. */
const requested: string[] = [];
let triggerId: string;
let flakyCalls = 0;

/** /flaky answers 500 to its first request and 200 afterwards; everything else 200. */
const reply = (_n: number, req: { path: string }) => (req.path.startsWith("/flaky") ? (++flakyCalls === 1 ? 500 : 200) : 200);

async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await call(method, path, { token: t.token, body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

async function newContext(): Promise<BrowserContext> {
  const ctx = await browser.newContext({ baseURL: baseUrl(), viewport: { width: 1280, height: 900 } });
  ctx.on("request", (r) => requested.push(r.url()));
  return ctx;
}

async function signIn(ctx: BrowserContext, key: string): Promise<Page> {
  const p = await ctx.newPage();
  await p.goto("/console/login");
  await p.getByLabel("API key").fill(key);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("heading", { name: "Overview" }).waitFor({ timeout: UI_WAIT_MS });
  return p;
}

async function endpoint(path: string) {
  return (await api("POST", `${t.base}/endpoints`, { name: path.slice(1), url: `${receiver.url}${path}` })).endpoint_id as string;
}
async function action(body: Record<string, unknown>) {
  return (await api("POST", `${t.base}/actions`, { namespace_id: "e2e", ...body })).action_id as string;
}
const runsOf = async (actionId: string) => (await api("GET", `${t.base}/actions/${actionId}/runs`)).runs as any[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium); .ci/run does this`);
  mkdirSync(SHOTS, { recursive: true });
  t = await setupTenant(`console-${Date.now()}`);
  receiver = await startReceiver(reply);
  const trig = await api("POST", `/projects/${t.appId}/triggers`, { provider_id: "webhook", trigger_id: "on_any_event" });
  triggerId = trig.project_trigger_id;
  await api("POST", `/triggers/${triggerId}/enable`);
  await action({ name: "forward", endpoint_id: await endpoint("/orders"), trigger_ids: [triggerId], payload: { order: "{{ event.body.id }}" } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  admin = await newContext();
  page = await signIn(admin, t.token);
});

afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
});

describe("console in Chromium", () => {
  it("logs in with an API key and shows every navigation link", async () => {
    for (const n of ["overview", "events", "runs", "approvals", "triggers", "actions", "pipelines", "endpoints"]) {
      expect(await page.getByRole("link", { name: n, exact: true }).count(), n).toBe(1);
    }
    const cookie = (await admin.cookies()).find((c) => c.name === "sy_console")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/console" });
    expect(cookie.expires).toBeGreaterThan(Date.now() / 1000);
  });

  it("shows a new webhook in Events without reloading, then opens it and replays it", async () => {
    await page.getByRole("link", { name: "events", exact: true }).click();
    await page.getByRole("heading", { name: "Events" }).waitFor();
    await page.evaluate(() => ((globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const sent = await call("POST", `/v1/webhooks/${triggerId}`, { body: { id: 4242, note: "<b>not bold</b>" } });
    expect(sent.status).toBe(200);
    const eventId = sent.body.event_id as string;
    const row = page.getByRole("link", { name: eventId });
    await row.waitFor({ timeout: UI_WAIT_MS });
    // The row arrived by polling, in the same document: no navigation or reload happened.
    expect(await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await waitFor(async () => receiver.requests.find((r) => r.path === "/orders" && r.body.includes("4242")), "the forward action's delivery");

    await row.click();
    await page.getByRole("heading", { name: `Event ${eventId}` }).waitFor();
    expect(await page.locator("pre.code").first().textContent()).toContain('"note": "<b>not bold</b>"');
    expect(await page.locator("b", { hasText: "not bold" }).count()).toBe(0);
    await page.getByRole("link", { name: /^[0-9a-f-]{36}$/ }).first().waitFor({ timeout: UI_WAIT_MS }).catch(() => undefined);
    await page.screenshot({ path: join(SHOTS, "event.png"), fullPage: true });
    await page.getByRole("button", { name: "Replay" }).click();
    await page.getByText("Replayed: a copy of this event is being routed.").waitFor();
    const copies = await waitFor(async () => ((await api("GET", `/v1/orgs/${t.orgId}/events?trigger_id=${triggerId}`)).events as any[]).filter((e) => e.replay_of === eventId), "the replayed copy");
    expect(copies).toHaveLength(1);
    await waitFor(async () => receiver.requests.filter((r) => r.path === "/orders" && r.body.includes("4242")).length === 2, "the replay's delivery");
  });

  it("approves a pending run from the inbox, and the run reaches success at the receiver", async () => {
    const guarded = await action({ name: "guarded deploy", endpoint_id: await endpoint("/deploy"), approval_required: true, payload: { ship: true } });
    const started = await api("POST", `${t.base}/actions/${guarded}/trigger`, {});
    expect(started.status).toBe("pending_approval");
    await page.getByRole("link", { name: "approvals", exact: true }).click();
    const row = page.locator(`tr[data-run="${started.run_id}"]`);
    await row.waitFor();
    await page.screenshot({ path: join(SHOTS, "inbox.png"), fullPage: true });
    await row.getByLabel(`message for run ${started.run_id}`).fill("ship it");
    await row.getByRole("button", { name: "Approve" }).click();
    await page.getByText("Approved.").waitFor();
    const got = await waitFor(async () => receiver.requests.find((r) => r.path === "/deploy"), "delivery of the approved run");
    expect(got.headers["webhook-id"] ?? got.headers["x-switchyard-execution-id"]).toBe(started.execution_id);
    const run = await waitFor(async () => (await runsOf(guarded)).find((r) => r.status === "success"), "the approved run's success");
    expect(run).toMatchObject({ run_id: started.run_id, decision_message: "ship it" });
    await page.goto(`/console/runs/${started.run_id}`);
    await page.locator(".facts .badge", { hasText: "success" }).first().waitFor();
    await page.screenshot({ path: join(SHOTS, "run.png"), fullPage: true });
  });

  it("retries a failed run from its page, and the new attempt succeeds", async () => {
    const flaky = await action({ name: "flaky sync", endpoint_id: await endpoint("/flaky"), max_retries: 0 });
    const started = await api("POST", `${t.base}/actions/${flaky}/trigger`, {});
    await waitFor(async () => (await runsOf(flaky)).find((r) => r.run_id === started.run_id && r.status === "failed"), "the first attempt to fail");
    await page.goto(`/console/runs/${started.run_id}`);
    await page.getByText("http_500").first().waitFor();
    await page.getByRole("button", { name: "Retry" }).click();
    await page.getByText("Retry queued: this is the new attempt.").waitFor();
    const second = await waitFor(async () => (await runsOf(flaky)).find((r) => r.attempt === 2 && r.status === "success"), "attempt 2 to succeed");
    expect(second.execution_id).toBe(started.execution_id);
    expect(receiver.requests.filter((r) => r.path === "/flaky")).toHaveLength(2);
    await page.reload();
    expect(await page.locator("#attempt-2 .badge").textContent()).toBe("success");
    expect(await page.locator("#attempt-1 .badge").textContent()).toBe("failed");
  });

  it("as a viewer shows no write buttons, and refuses a hand-made POST from the viewer's session", async () => {
    const key = await api("POST", `/v1/orgs/${t.orgId}/api-keys`, { name: "looker", role: "viewer" });
    const ctx = await newContext();
    const viewer = await signIn(ctx, key.token);
    const runs = (await api("GET", `/v1/orgs/${t.orgId}/runs?status=failed`)).runs as any[];
    const events = (await api("GET", `/v1/orgs/${t.orgId}/events`)).events as any[];
    for (const path of ["/console", "/console/events", `/console/events/${events[0].event_id}`, "/console/runs", `/console/runs/${runs[0].run_id}`, "/console/approvals", "/console/triggers", "/console/actions", "/console/pipelines", "/console/endpoints"]) {
      await viewer.goto(path);
      const buttons = await viewer.getByRole("button").allTextContents();
      // Only reading controls: sign out, list filters and copy-to-clipboard.
      expect(buttons.map((b) => b.trim()).filter((b) => !["Sign out", "Filter", "Copy"].includes(b)), path).toEqual([]);
      for (const w of ["Replay", "Retry", "Approve", "Reject", "Enable", "Disable", "Run now", "Run", "Stop", "Reset", "Create trigger"]) {
        expect(await viewer.getByRole("button", { name: w, exact: true }).count(), `${path} ${w}`).toBe(0);
      }
    }
    // A forged write: the viewer's own session and CSRF token, same origin — the server refuses the role.
    const forged = await viewer.evaluate(async (runId) => {
      const doc = (globalThis as unknown as { document: { querySelector: (s: string) => { value: string } } }).document;
      const csrf = doc.querySelector('input[name="_csrf"]').value;
      const res = await fetch(`/console/runs/${runId}/retry`, { method: "POST", body: new URLSearchParams({ _csrf: csrf }) });
      return { status: res.status, text: await res.text() };
    }, runs[0].run_id);
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("cannot do this");
    await ctx.close();
  });

  it("refuses a cross-site form POST that has no CSRF token", async () => {
    // A hostile page on another port of 127.0.0.1 auto-submits a form at the console.
    const target = `${baseUrl()}/console/triggers/${triggerId}/disable`;
    const evil: Server = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<!doctype html><form id="f" method="post" action="${target}"><input name="x" value="1"></form><script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", () => r()));
    const { port } = evil.address() as { port: number };
    try {
      const p = await admin.newPage();
      const answer = p.waitForResponse((r) => r.url() === target, { timeout: UI_WAIT_MS });
      await p.goto(`http://127.0.0.1:${port}/`);
      const res = await answer;
      expect(res.status()).toBe(403);
      await p.getByText("Cross-site form submissions are refused").waitFor();
      await p.close();
    } finally {
      await new Promise<void>((r) => evil.close(() => r()));
    }
    const trig = await api("GET", `/triggers/${triggerId}`);
    expect(trig.status).toBe("ENABLED");
  });

  it("serves /docs (Swagger UI) and every console asset from the Worker, nothing from elsewhere", async () => {
    const p = await admin.newPage();
    await p.goto("/docs");
    await p.locator(".swagger-ui .info .title", { hasText: "Switchyard" }).waitFor({ timeout: UI_WAIT_MS });
    await p.close();
    await page.goto("/console?window=1h");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "overview.png"), fullPage: true });
    const foreign = requested.filter((u) => !u.startsWith(baseUrl()) && !u.startsWith("http://127.0.0.1:") && !u.startsWith("data:") && !u.startsWith("about:"));
    expect(foreign).toEqual([]);
    expect(requested.some((u) => u.endsWith("/docs/swagger-ui-bundle.js"))).toBe(true);
    expect(requested.some((u) => u.endsWith("/console/static/console.js"))).toBe(true);
  });
});
