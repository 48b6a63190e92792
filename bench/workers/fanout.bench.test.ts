/**
 * Fan-out benchmark (printed, never asserted on time): the minute cron handler with 10,000
 * due actions and with 1,000 due polling triggers, on real local D1 and Queues. Counts the
 * D1 statements and queue calls through counting wrappers around the real bindings.
 */
import { createScheduledController, env } from "cloudflare:test";
import { expect, it } from "vitest";
import { onMinute } from "../../src/cron/scheduled";
import { countingEnv, zeroCounts } from "../counting";
import { report } from "./report";

const ORG = "00000000-0000-7000-8000-00000000b0b0";

async function seedActions(n: number, due: string) {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
     INSERT INTO actions (action_id, org_id, workspace_id, app_id, endpoint_id, name, namespace_id, thread_mode, payload,
       action_type, schedule_type, cron_expression, timezone, max_retries, retry_delay_seconds, is_enabled, running_count,
       next_run_at, total_runs, successful_runs, failed_runs, trigger_ids, approval_required, created_by, created_at, updated_at)
     SELECT printf('00000000-0000-7000-8000-%012d', i), ?2, 'ws', 'app', 'ep', 'a' || i, 'ns', 'new_each_run', '{}',
       'scheduled', 'cron', CASE i % 4 WHEN 0 THEN '* * * * *' WHEN 1 THEN '*/5 * * * *' WHEN 2 THEN '0 * * * *' ELSE '30 2 * * *' END,
       CASE i % 2 WHEN 0 THEN 'UTC' ELSE 'Europe/Paris' END, 0, 60, 1, 0, ?3, 0, 0, 0, '[]', 0, 'bench', ?3, ?3
     FROM seq`,
  )
    .bind(n, ORG, due)
    .run();
}

async function seedPollingTriggers(n: number, due: string) {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
     INSERT INTO triggers (project_trigger_id, org_id, project_id, provider_id, trigger_id, trigger_type, trigger_config,
       status, next_due_at, created_by, created_at, updated_at)
     SELECT printf('00000000-0000-7000-9000-%012d', i), ?2, 'app', 'http', 'poll', 'polling',
       '{"url":"https://example.com/feed","items_path":"","id_field":"id","polling_frequency":60}',
       'ENABLED', ?3, 'bench', ?3, ?3
     FROM seq`,
  )
    .bind(n, ORG, due)
    .run();
}

it("claims 10,000 due actions in one cron invocation", async () => {
  const now = new Date("2026-11-22T12:00:00.000Z");
  await seedActions(10_000, "2026-11-22T11:59:00.000Z");
  const counts = zeroCounts();
  const t0 = performance.now();
  const result = await onMinute(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), countingEnv(env, counts));
  const ms = performance.now() - t0;
  report("fanout.actions", { due: 10_000, claimed: result.actions, ms: Math.round(ms), ...counts });
  expect(result.actions).toBe(10_000);
  const again = await onMinute(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), env);
  expect(again.actions).toBe(0);
});

it("claims 1,000 due polling triggers in one cron invocation", async () => {
  const now = new Date("2026-11-22T12:00:00.000Z");
  await seedPollingTriggers(1_000, "2026-11-22T11:59:00.000Z");
  const counts = zeroCounts();
  const t0 = performance.now();
  const result = await onMinute(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), countingEnv(env, counts));
  const ms = performance.now() - t0;
  report("fanout.triggers", { due: 1_000, claimed: result.triggers, ms: Math.round(ms), ...counts });
  expect(result.triggers).toBe(1_000);
});
