import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps, ts } from "./_columns";

/** What a bulk job does: retry failed runs, or replay events. */
export const JOB_KINDS = ["runs.retry", "events.replay"] as const;
/** queued → running → succeeded | failed | cancelled. */
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;

/**
 * A bulk job (`POST …/runs/retry`, `POST …/events/replay`): its frozen filter, how far it got
 * (`cursor`, the last processed item id, in id order) and exact counters. Worked by
 * `job.step` queue tasks, one bounded batch each; `lease_until` is held by the step working
 * the current batch, so duplicated or concurrent steps cannot both work or count it.
 */
export const jobs = sqliteTable(
  "jobs",
  {
    jobId: text("job_id").primaryKey(),
    orgId: text("org_id").notNull(),
    kind: text("kind", { enum: JOB_KINDS }).notNull(),
    /** The normalised filter, with `until` frozen at creation (see services/jobs.ts). */
    filter: text("filter", { mode: "json" }).$type<Record<string, string>>().notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    /** Items matching the filter when the job was created. At the end, total = done + failed + skipped. */
    total: integer("total").notNull(),
    done: integer("done").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    /** The last processed item id (run_id or event_id); null before the first batch. */
    cursor: text("cursor"),
    /** Until when the step working the next batch holds it; null when no step does. */
    leaseUntil: ts("lease_until"),
    createdBy: text("created_by").notNull(),
    finishedAt: ts("finished_at"),
    error: text("error"),
    ...stamps,
  },
  (t) => [
    index("jobs_org").on(t.orgId, t.jobId),
    // Open jobs by age: the minute cron re-drives those whose steps were lost.
    index("jobs_open").on(t.updatedAt).where(sql`status IN ('queued', 'running')`),
  ],
);
