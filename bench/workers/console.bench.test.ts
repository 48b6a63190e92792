/**
 * Console page render time (printed, never asserted): one org with 10,000 events and 10,000
 * runs (and their executions) on real local D1, each console page requested through the
 * Worker's own fetch with a signed-in session. Median and worst of 7 renders after a warm-up,
 * in milliseconds of wall time inside workerd (D1 included).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { it } from "vitest";
import { nowIso, uuidv7 } from "../../src/core/ids";
import { getDb } from "../../src/db/client";
import { actions, triggers } from "../../src/db/schema";
import { sealSession } from "../../src/faces/console/session";
import { createApp } from "../../src/http/app";
import { makeEndpoint, makeTenant } from "../../test/fixtures";
import { report } from "./report";

const N = 10_000;
const RENDERS = 7;

/** `n`-th synthetic UUID (v7-shaped, ordered by n; `kind` keeps events, executions and runs apart). */
const idSql = (kind: number) => `printf('%08x-%04x-7000-8000-%012x', 26000000 + n, ${kind}, n)`;

it("renders every console page with 10,000 events and runs in the org", async () => {
  const t = await makeTenant("bench-console");
  const db = getDb(env.DB);
  const at = nowIso();
  const triggerId = uuidv7();
  await db.insert(triggers).values({ projectTriggerId: triggerId, orgId: t.orgId, projectId: t.appId, providerId: "webhook", triggerId: "on_any_event", triggerType: "webhook", status: "ENABLED", webhookData: { webhook_url: `/v1/webhooks/${triggerId}` }, createdBy: "bench", createdAt: at, updatedAt: at });
  const actionIds: string[] = [];
  for (let i = 0; i < 5; i++) {
    const endpointId = await makeEndpoint(t, `https://receiver${i}.example/hook`);
    for (let j = 0; j < 4; j++) {
      const actionId = uuidv7();
      actionIds.push(actionId);
      await db.insert(actions).values({ actionId, orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId, endpointId, name: `action ${i}.${j}`, namespaceId: "ns", triggerIds: [triggerId], createdBy: "bench", createdAt: at, updatedAt: at });
    }
  }
  const seq = `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${N})`;
  // One event a minute for the last 10,000 minutes (about 7 days); every 10th failed routing.
  const when = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (${N} - n) || ' minutes')`;
  await env.DB.prepare(
    `${seq} INSERT INTO events (event_id, org_id, app_id, project_trigger_id, provider_id, event_type, dedup_key, headers, body, status, route_attempts, matched_actions, received_at)
     SELECT ${idSql(1)}, ?1, ?2, ?3, 'webhook', 'order.created', 'd' || n, '{"content-type":"application/json"}', '{"id":' || n || ',"total":42}',
       CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'routed' END, 0, '[]', ${when} FROM seq`,
  ).bind(t.orgId, t.appId, triggerId).run();
  const actionOf = (param: string) => `json_extract(${param}, '$[' || (n % 20) || ']')`;
  await env.DB.prepare(
    `${seq} INSERT INTO executions (execution_id, org_id, workspace_id, app_id, action_id, trigger_type, status, event_id, project_trigger_id, created_at, updated_at)
     SELECT ${idSql(2)}, ?1, ?2, ?3, ${actionOf("?4")}, 'webhook', CASE WHEN n % 7 = 0 THEN 'failed' WHEN n % 500 = 0 THEN 'pending_approval' ELSE 'success' END, ${idSql(1)}, ?5, ${when}, ${when} FROM seq`,
  ).bind(t.orgId, t.workspaceId, t.appId, JSON.stringify(actionIds), triggerId).run();
  await env.DB.prepare(
    `${seq} INSERT INTO runs (run_id, org_id, workspace_id, action_id, execution_id, status, attempt, trigger_type, triggered_at, started_at, completed_at, duration_seconds, resolved_payload, response_status, response_body, error_code, error_message, recoveries)
     SELECT ${idSql(3)}, ?1, ?2, ${actionOf("?3")}, ${idSql(2)}, CASE WHEN n % 7 = 0 THEN 'failed' WHEN n % 500 = 0 THEN 'pending_approval' ELSE 'success' END, 1, 'webhook', ${when}, ${when}, ${when}, 0.05 + (n % 13) / 100.0,
       '{"order":' || n || '}', CASE WHEN n % 7 = 0 THEN 500 ELSE 200 END, 'ok', CASE WHEN n % 7 = 0 THEN 'http_500' END, CASE WHEN n % 7 = 0 THEN 'endpoint answered HTTP 500' END, 0 FROM seq`,
  ).bind(t.orgId, t.workspaceId, JSON.stringify(actionIds)).run();

  const cookie = `sy_console=${await sealSession(env, { sid: "b".repeat(32), token: t.tokens.admin, exp: Date.now() / 1000 + 3600, csrf: "c".repeat(32) })}`;
  const app = createApp();
  const some = (kind: number, n: number) => `${(26000000 + n).toString(16).padStart(8, "0")}-${kind.toString(16).padStart(4, "0")}-7000-8000-${n.toString(16).padStart(12, "0")}`;
  const pages = [
    "/console", "/console?window=7d", "/console/events", "/console/events?status=failed", `/console/events?trigger_id=${triggerId}`, `/console/events/${some(1, 5000)}`,
    "/console/runs", "/console/runs?status=failed", `/console/runs?action_id=${actionIds[3]}`, `/console/runs/${some(3, 7000)}`, "/console/approvals",
    "/console/triggers", "/console/actions", `/console/actions/${actionIds[0]}`, "/console/pipelines", "/console/endpoints?window=7d",
  ];
  const figures: Record<string, { median_ms: number; max_ms: number; bytes: number }> = {};
  for (const path of pages) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= RENDERS; i++) {
      const ctx = createExecutionContext();
      const t0 = performance.now();
      const res = await app.fetch(new Request(`http://sy.test${path}`, { headers: { cookie } }), env, ctx);
      const html = await res.text();
      const ms = performance.now() - t0;
      await waitOnExecutionContext(ctx);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${html.slice(0, 500)}`);
      bytes = html.length;
      if (i > 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    figures[path] = { median_ms: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10, max_ms: Math.round(times[times.length - 1]! * 10) / 10, bytes };
  }
  const worst = Math.max(...Object.values(figures).map((f) => f.median_ms));
  report("console.render", { events: N, runs: N, renders_per_page: RENDERS, worst_median_ms: worst, pages: figures });
});
