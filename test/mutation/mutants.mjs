/**
 * The explicit mutant list run by scripts/mutation.mjs (`npm run test:mutation`). Each mutant
 * replaces one exact source snippet (`find`, which must occur exactly once in `file`) with
 * `replace`; running `tests` against the mutated source must FAIL. Snippets sit on the
 * compared/checked lines themselves so that refactors around them keep them valid; a refactor
 * that removes a snippet makes the run fail loudly instead of silently retiring the mutant.
 */
const VERIFIERS = ["test/unit/providers/matrix.test.ts"];
const ROUTE_MATRIX = ["test/routes/triggers/providers-matrix.test.ts"];
const POLICY = ["test/unit/outbound-policy.test.ts"];
const TENANCY = ["test/routes/management/connections.test.ts"];
const RECOVERY = ["test/routes/reliability/recovery.test.ts"];
const CONSOLE = ["test/routes/console/console.test.ts"];
const MCP = ["test/routes/mcp/mcp.test.ts"];
const RETENTION = ["test/routes/management/retention.test.ts"];
const FORWARDS = ["test/routes/management/forwards.test.ts"];
const JOBS = ["test/routes/management/jobs.test.ts"];
const QUEUE_FIRST = ["test/routes/triggers/queue-first.test.ts"];

/** @type {{ id: string, file: string, find: string, replace: string, tests: string[] }[]} */
export const MUTANTS = [
  // --- signature comparisons: accept anything ---
  { id: "github-accepts-any", file: "src/providers/github.ts", find: "if (!safeEqual(sig.toLowerCase(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "stripe-accepts-any", file: "src/providers/stripe.ts", find: "let match = false;", replace: "let match = true;", tests: ROUTE_MATRIX },
  { id: "slack-accepts-any", file: "src/providers/slack.ts", find: "if (!safeEqual(sig.toLowerCase(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "shopify-accepts-any", file: "src/providers/shopify.ts", find: "if (!safeEqual(sig.trim(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "typeform-accepts-any", file: "src/providers/typeform.ts", find: "if (!safeEqual(sig.trim(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "graph-clientstate-unchecked", file: "src/providers/microsoft-graph.ts", find: "if (!cs || !safeEqual(cs, expected)) {", replace: "if (!cs) {", tests: VERIFIERS },
  {
    id: "standard-webhooks-comparison-removed",
    file: "src/providers/standard-webhooks.ts",
    find: 'if (version === "v1" && sig && safeEqual(sig, expected)) return { ok: true };',
    replace: 'if (version === "v1" && sig) return { ok: true };',
    tests: VERIFIERS,
  },
  { id: "generic-webhook-accepts-any", file: "src/providers/generic-webhook.ts", find: 'if (!safeEqual(cfg.encoding === "hex" ? sig.toLowerCase() : sig, expected)) {', replace: "if (false) {", tests: VERIFIERS },
  { id: "safeEqual-always-true", file: "src/core/crypto.ts", find: "return crypto.subtle.timingSafeEqual(ab, bb);", replace: "return true;", tests: VERIFIERS },
  // --- signature comparisons: not constant-time ---
  { id: "stripe-plain-equality", file: "src/providers/stripe.ts", find: "if (safeEqual(s, expected)) match = true;", replace: "if (s === expected) match = true;", tests: VERIFIERS },
  { id: "github-plain-equality", file: "src/providers/github.ts", find: "if (!safeEqual(sig.toLowerCase(), expected)) {", replace: "if (sig.toLowerCase() !== expected) {", tests: VERIFIERS },
  // --- timestamp windows ---
  { id: "stripe-window-widened", file: "src/providers/stripe.ts", find: "export const STRIPE_TOLERANCE_SECONDS = 300;", replace: "export const STRIPE_TOLERANCE_SECONDS = 3000;", tests: VERIFIERS },
  { id: "slack-window-unchecked", file: "src/providers/slack.ts", find: "if (stale) return { ok: false, reason: stale };", replace: "", tests: VERIFIERS },
  { id: "standard-webhooks-window-unchecked", file: "src/providers/standard-webhooks.ts", find: "if (stale) return { ok: false, reason: stale };", replace: "", tests: VERIFIERS },
  { id: "window-past-only", file: "src/providers/body.ts", find: "const skew = Math.abs(now.getTime() / 1000 - Number(value));", replace: "const skew = now.getTime() / 1000 - Number(value);", tests: VERIFIERS },
  { id: "window-edge-exclusive", file: "src/providers/body.ts", find: "if (skew > windowSeconds) {", replace: "if (skew >= windowSeconds) {", tests: VERIFIERS },
  // --- dedup ---
  { id: "stripe-dedup-key-unstable", file: "src/providers/stripe.ts", find: "dedupKey: id ? `stripe:${id}`", replace: "dedupKey: id ? `stripe:${id}:${crypto.randomUUID()}`", tests: VERIFIERS },
  { id: "github-dedup-key-unstable", file: "src/providers/github.ts", find: "dedupKey: delivery ? `github:${delivery}`", replace: "dedupKey: delivery ? `github:${crypto.randomUUID()}`", tests: VERIFIERS },
  // A replay must get the original's id without reading D1 (queue-first ingest answers from the id alone).
  // --- queue-first ingest: nothing acknowledged is lost, nothing is stored or started twice ---
  { id: "handoff-no-inbox-fallback", file: "src/services/ingest-handoff.ts", find: "        admitted = await admitOrFail(env, todo);\n      }\n    } else {", replace: "        throw unavailable();\n      }\n    } else {", tests: QUEUE_FIRST },
  { id: "inbox-deletes-before-d1-has-it", file: "src/durable/inbox.ts", find: "    await sink(env, taken.map((t) => IngestedEvent.parse(JSON.parse(t.row))));", replace: '    s.exec("DELETE FROM inbox WHERE seq <= ?", last);\n    await sink(env, taken.map((t) => IngestedEvent.parse(JSON.parse(t.row))));', tests: QUEUE_FIRST },
  { id: "dlq-acks-an-unkept-event", file: "src/queue/dead-letters.ts", find: "if (await keepEvent(env, task.data.event)) msg.ack();", replace: "if ((await keepEvent(env, task.data.event)) || true) msg.ack();", tests: QUEUE_FIRST },
  { id: "routing-ignores-stored-outcome", file: "src/services/routing.ts", find: "AND e.status = 'routed'\n  AND EXISTS (SELECT 1 FROM json_each(e.matched_actions) m WHERE m.value = json_extract(j.value, '$.action_id')))`;", replace: ")`;", tests: QUEUE_FIRST },
  { id: "routing-counters-count-all", file: "src/services/routing.ts", find: "FROM executions WHERE execution_id IN (SELECT value FROM json_each(?1)) GROUP BY action_id", replace: "FROM executions WHERE action_id IN (SELECT action_id FROM executions WHERE execution_id IN (SELECT value FROM json_each(?1))) GROUP BY action_id", tests: QUEUE_FIRST },
  { id: "event-id-not-derived", file: "src/services/ingest.ts", find: "event_id: await eventIdFor(t.projectTriggerId, d.dedupKey),", replace: "event_id: crypto.randomUUID(),", tests: QUEUE_FIRST },
  // --- outbound policy ranges (one IANA table, longest prefix wins) ---
  { id: "policy-172-16-12-too-narrow", file: "src/core/outbound-policy.ts", find: '{ cidr: "172.16.0.0/12"', replace: '{ cidr: "172.16.0.0/13"', tests: POLICY },
  { id: "policy-cgnat-too-narrow", file: "src/core/outbound-policy.ts", find: '{ cidr: "100.64.0.0/10"', replace: '{ cidr: "100.64.0.0/11"', tests: POLICY },
  { id: "policy-multicast-too-narrow", file: "src/core/outbound-policy.ts", find: '{ cidr: "224.0.0.0/4"', replace: '{ cidr: "224.0.0.0/5"', tests: POLICY },
  { id: "policy-shortest-prefix-wins", file: "src/core/outbound-policy.ts", find: ".sort((a, b) => b.bits - a.bits);", replace: ".sort((a, b) => a.bits - b.bits);", tests: POLICY },
  // --- leases, sweeper, dead letters, render budget ---
  { id: "lease-not-fenced", file: "src/services/delivery.ts", find: 'eq(runs.status, "running"), eq(runs.recoveries, run.recoveries))', replace: 'eq(runs.status, "running"))', tests: RECOVERY },
  { id: "lease-without-margin", file: "src/services/delivery-gate.ts", find: "+ ${LEASE_MARGIN_SECONDS}) || ' seconds')", replace: ") || ' seconds')", tests: RECOVERY },
  { id: "sweeper-ignores-lease-end", file: "src/services/sweeper.ts", find: "lt(runs.leaseUntil, at)", replace: "lt(runs.leaseUntil, plusSeconds(at, 3600))", tests: RECOVERY },
  { id: "sweeper-never-gives-up", file: "src/services/sweeper.ts", find: "if (run.recoveries >= MAX_RECOVERIES) {", replace: "if (false) {", tests: RECOVERY },
  { id: "sweeper-events-no-grace", file: "src/services/sweeper.ts", find: "${OVERDUE_GRACE_SECONDS} * (1 << min(${events.routeAttempts}, 10)), 86400) || ' seconds')`", replace: "0, 0) || ' seconds')`", tests: RECOVERY },
  { id: "sweeper-no-pipeline-redrive", file: "src/services/sweeper.ts", find: 'eq(pipelineRuns.status, "running"), lt(pipelineRuns.updatedAt', replace: 'eq(pipelineRuns.status, "never"), lt(pipelineRuns.updatedAt', tests: RECOVERY },
  { id: "dlq-run-given-up-at-once", file: "src/queue/dead-letters.ts", find: "if (run.recoveries < MAX_RECOVERIES) {", replace: "if (false) {", tests: ["test/routes/actions/engine.test.ts"] },
  { id: "render-budget-unchecked", file: "src/core/templates.ts", find: "if (--budget.renders < 0)", replace: "if (false)", tests: RECOVERY },
  { id: "approval-refusal-throws", file: "src/services/executions.ts", find: 'console.error(JSON.stringify({ level: "error", msg: "approved run not enqueued; the sweeper will deliver it"', replace: 'throw err; console.error(JSON.stringify({ level: "error", msg: "approved run not enqueued; the sweeper will deliver it"', tests: RECOVERY },
  // --- delivery control (issue 12) ---
  { id: "circuit-never-holds", file: "src/services/delivery-gate.ts", find: "if (circuitBlocks(ep, run.runId) && (await holdForCircuit(db, ep, run.runId)))", replace: "if (false && circuitBlocks(ep, run.runId))", tests: ["test/routes/management/circuit.test.ts"] },
  { id: "circuit-threshold-off-by-one", file: "src/services/circuit.ts", find: "consecutive_failures + 1 >= cb_failure_threshold", replace: "consecutive_failures >= cb_failure_threshold", tests: ["test/routes/management/circuit.test.ts"] },
  { id: "fifo-claim-unguarded", file: "src/services/delivery-gate.ts", find: "fifo ? sql`NOT ${olderOpen(", replace: "false ? sql`NOT ${olderOpen(", tests: ["test/routes/management/flow.test.ts"] },
  { id: "rate-window-doubled", file: "src/durable/endpoint-gate.ts", find: "if (inWindow.length >= rate.count) {", replace: "if (inWindow.length >= rate.count * 2) {", tests: ["test/routes/management/flow.test.ts"] },
  { id: "concurrency-unbounded", file: "src/durable/endpoint-gate.ts", find: "if (busy >= maxConcurrency) {", replace: "if (busy > maxConcurrency) {", tests: ["test/routes/management/flow.test.ts"] },
  // --- tenancy and roles ---
  { id: "inOrg-drops-org", file: "src/db/scope.ts", find: "return and(eq(table.orgId, orgId), ...more) as SQL;", replace: "return and(...more) as SQL;", tests: TENANCY },
  { id: "assertRole-allows-all", file: "src/core/actor.ts", find: "if (ROLES.indexOf(actor.role) < ROLES.indexOf(min)) {", replace: "if (false) {", tests: TENANCY },
  // --- console sessions ---
  { id: "console-csrf-token-unchecked", file: "src/faces/console/index.tsx", find: 'if (c.req.method === "POST" && !csrfMatches(s, (await c.req.parseBody())._csrf)) {', replace: "if (false) {", tests: CONSOLE },
  { id: "console-origin-unchecked", file: "src/faces/console/index.tsx", find: 'consoleRouter.use("/console/*", csrf());', replace: "", tests: CONSOLE },
  { id: "console-revocation-ignored", file: "src/faces/console/index.tsx", find: "if (!actor?.orgId || ended) {", replace: "if (!actor?.orgId) {", tests: CONSOLE },
  { id: "console-cookie-never-secure", file: "src/faces/console/session.ts", find: "const host = new URL(c.req.url).hostname;", replace: 'const host = "localhost";', tests: CONSOLE },
  // --- MCP: audit, result cap, tenancy of ids addressed alone ---
  { id: "mcp-write-not-audited", file: "src/faces/mcp/index.ts", find: "if (note) await auditCall(ctx, t.name, note, !failed, failed ? 409 : 200);", replace: "", tests: MCP },
  { id: "mcp-result-uncapped", file: "src/faces/mcp/results.ts", find: "if (JSON.stringify(out).length <= MAX_RESULT_CHARS) return out;", replace: "return out;", tests: MCP },
  { id: "mcp-run-any-org", file: "src/services/runs.ts", find: 'where(ctx.actor.orgId ? inOrg(runs, ctx.actor.orgId, byId) : byId).get();\n  if (!row) throw notFound("run", loc);\n  assertOrg(ctx.actor, row.orgId, "run");', replace: 'where(byId).get();\n  if (!row) throw notFound("run", loc);', tests: MCP },
  // --- retention: final records only, the cutoff, the per-invocation bound, one org per statement ---
  { id: "retention-ignores-open-runs", file: "src/services/retention.ts", find: "AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.execution_id = e.execution_id AND r.status NOT IN (${FINAL}))", replace: "", tests: RETENTION },
  { id: "retention-cutoff-now", file: "src/services/retention.ts", find: "const cutoff = cutoffOf(now, p.days);", replace: "const cutoff = cutoffOf(now, 0);", tests: RETENTION },
  { id: "retention-unbounded-passes", file: "src/services/retention.ts", find: "if (out.passes >= maxPasses) return out;", replace: "", tests: RETENTION },
  { id: "retention-events-any-org", file: "src/services/retention.ts", find: "DELETE FROM events WHERE org_id = ?1 AND event_id IN (\n  SELECT ev.event_id FROM events ev WHERE ev.org_id = ?1 AND", replace: "DELETE FROM events WHERE event_id IN (\n  SELECT ev.event_id FROM events ev WHERE", tests: RETENTION },
  // --- local forwards (switchyard listen): another org's event, the recording role ---
  { id: "forward-any-org-event", file: "src/services/event-forwards.ts", find: "where(inOrg(events, orgId, eq(events.eventId, eventId))).get();", replace: "where(eq(events.eventId, eventId)).get();", tests: FORWARDS },
  // --- bulk jobs: the batch commit's guard, the claim's lease, the frozen set ---
  { id: "job-commit-unguarded", file: "src/services/jobs.ts", find: ".where(heldBatch)", replace: ".where(eq(jobs.jobId, job.jobId))", tests: JOBS },
  { id: "job-claim-ignores-lease", file: "src/services/jobs.ts", find: "onCursor, or(isNull(jobs.leaseUntil), lte(jobs.leaseUntil, at))", replace: "onCursor", tests: JOBS },
  { id: "job-replay-key-unstable", file: "src/services/jobs.ts", find: "`job:${job.jobId}:${id}`", replace: "`job:${job.jobId}:${crypto.randomUUID()}`", tests: JOBS },
  { id: "job-until-not-frozen", file: "src/services/job-filters.ts", find: "const until = given && given < asOf ? given : asOf;", replace: 'const until = given ?? "9999-12-31T00:00:00.000Z";', tests: JOBS },
  { id: "forward-viewer-records", file: "src/services/event-forwards.ts", find: 'assertRole(ctx.actor, "runner");', replace: 'assertRole(ctx.actor, "viewer");', tests: FORWARDS },
];
