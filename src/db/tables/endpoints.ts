import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps, ts } from "./_columns";

/** A delivery destination. `secret_enc` is AES-GCM ciphertext and never leaves the server. */
export const endpoints = sqliteTable(
  "endpoints",
  {
    endpointId: text("endpoint_id").primaryKey(),
    orgId: text("org_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    appId: text("app_id").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    method: text("method").notNull().default("POST"),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    secretEnc: text("secret_enc"),
    timeoutSeconds: integer("timeout_seconds").notNull().default(30),
    // Circuit breaker settings (see core/circuit.ts for the defaults and their reasons).
    cbEnabled: integer("cb_enabled", { mode: "boolean" }).notNull().default(true),
    cbFailureThreshold: integer("cb_failure_threshold").notNull().default(20),
    cbFailingForSeconds: integer("cb_failing_for_seconds").notNull().default(86400),
    cbProbeIntervalSeconds: integer("cb_probe_interval_seconds").notNull().default(60),
    // Flow control: at most rate_limit_count deliveries per rate_limit_period, max_concurrency in flight, FIFO ordering.
    rateLimitCount: integer("rate_limit_count"),
    rateLimitPeriod: text("rate_limit_period", { enum: ["second", "minute"] }),
    maxConcurrency: integer("max_concurrency"),
    ordering: text("ordering", { enum: ["none", "fifo"] }).notNull().default("none"),
    /**
     * Circuit state: closed (delivering), open (runs held; probed every probe interval),
     * half_open (one probe run in flight: probe_run_id), disabled (by an operator; runs held).
     */
    circuitState: text("circuit_state", { enum: ["closed", "open", "half_open", "disabled"] }).notNull().default("closed"),
    circuitReason: text("circuit_reason"),
    circuitChangedAt: ts("circuit_changed_at"),
    /** The attempt (run id) or actor that made the last state change: how one UPDATE knows it made the change. */
    circuitChangedBy: text("circuit_changed_by"),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** The first failure since the last success (null while the last attempt succeeded). */
    failingSince: ts("failing_since"),
    probeFailures: integer("probe_failures").notNull().default(0),
    nextProbeAt: ts("next_probe_at"),
    probeRunId: text("probe_run_id"),
    lastFailureAt: ts("last_failure_at"),
    lastFailureStatus: integer("last_failure_status"),
    lastFailureError: text("last_failure_error"),
    ...stamps,
  },
  (t) => [
    index("endpoints_app").on(t.orgId, t.appId),
    // The minute cron's probe scan: only open circuits, by when they are due.
    index("endpoints_open").on(t.nextProbeAt).where(sql`circuit_state IN ('open', 'half_open')`),
  ],
);
