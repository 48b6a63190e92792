/**
 * Retention benchmark (printed, never asserted on time), on real local D1 inside workerd:
 * 100,000 expired events of 2 KB purged by repeated minute-cron invocations of
 * `purgeExpired` at the default bounds (invocations, D1 statements and time per invocation),
 * the D1 size before and after; then 10,000 expired (event, execution, run) triples.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { purgeExpired } from "../../src/services/retention";
import { countingEnv, zeroCounts } from "../counting";
import { report } from "./report";

const NOW = new Date("2026-11-22T12:00:00.000Z");
const OLD = "2026-09-01T00:00:00.000Z";

async function org(id: string) {
  await env.DB.prepare("INSERT INTO orgs (org_id, name, created_at, updated_at) VALUES (?1, 'bench', ?2, ?2)").bind(id, OLD).run();
}

/** `n` routed events of 2 KB bodies (1,024 random bytes as hex), received at OLD. */
async function seedEvents(orgId: string, n: number, prefix: string) {
  for (let from = 0; from < n; from += 10_000) {
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?2)
       INSERT INTO events (event_id, org_id, app_id, project_trigger_id, provider_id, dedup_key, headers, body, status, received_at)
       SELECT printf('${prefix}-%012d', i), ?3, 'app', 'trg', 'webhook', printf('${prefix}-d-%012d', i), '{}', hex(randomblob(1024)), 'routed', ?4 FROM seq`,
    )
      .bind(from + 1, Math.min(from + 10_000, n), orgId, OLD)
      .run();
  }
}

/** The database size D1 reports (result meta `size_after`; PRAGMA page_count is not authorized). */
async function dbBytes(): Promise<number> {
  return (await env.DB.prepare("SELECT 1").run()).meta.size_after;
}

async function drain() {
  const per: { ms: number; statements: number; passes: number; rows: number }[] = [];
  for (;;) {
    const counts = zeroCounts();
    const t0 = performance.now();
    const r = await purgeExpired(countingEnv(env, counts), NOW);
    const rows = r.events + r.executions + r.runs;
    if (rows === 0) break;
    per.push({ ms: performance.now() - t0, statements: counts.d1Statements, passes: r.passes, rows });
  }
  const ms = per.map((p) => p.ms).sort((a, b) => a - b);
  return {
    invocations: per.length,
    rows: per.reduce((s, p) => s + p.rows, 0),
    max_statements_per_invocation: Math.max(...per.map((p) => p.statements)),
    max_passes_per_invocation: Math.max(...per.map((p) => p.passes)),
    median_ms_per_invocation: Math.round(ms[Math.floor(ms.length / 2)]!),
    max_ms_per_invocation: Math.round(ms.at(-1)!),
    total_ms: Math.round(ms.reduce((s, x) => s + x, 0)),
  };
}

it("purges 100,000 expired events of 2 KB in bounded invocations", async () => {
  const orgId = "00000000-0000-7000-8000-0000000e7e01";
  await org(orgId);
  const empty = await dbBytes();
  await seedEvents(orgId, 100_000, "ev");
  const before = await dbBytes();
  const d = await drain();
  const after = await dbBytes();
  report("retention.events_100k", { ...d, d1_empty: empty, d1_before: before, d1_after: after });
  expect(d.rows).toBe(100_000);
});

it("purges 10,000 expired (event, execution, run) triples", async () => {
  const orgId = "00000000-0000-7000-8000-0000000e7e02";
  await org(orgId);
  await seedEvents(orgId, 10_000, "tr");
  await env.DB.prepare(
    `INSERT INTO executions (execution_id, org_id, workspace_id, app_id, action_id, trigger_type, status, event_id, created_at, updated_at)
     SELECT 'x' || event_id, org_id, 'ws', 'app', 'act', 'webhook', 'success', event_id, ?2, ?2 FROM events WHERE org_id = ?1`,
  ).bind(orgId, OLD).run();
  await env.DB.prepare(
    `INSERT INTO runs (run_id, org_id, workspace_id, action_id, execution_id, status, attempt, trigger_type, triggered_at, completed_at)
     SELECT 'r' || execution_id, org_id, 'ws', 'act', execution_id, 'success', 1, 'webhook', ?2, ?2 FROM executions WHERE org_id = ?1`,
  ).bind(orgId, OLD).run();
  const d = await drain();
  report("retention.triples_10k", d);
  expect(d.rows).toBe(30_000);
});
