import { and, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { assertRole } from "../core/actor";
import { SYSTEM_ACTOR, type Ctx } from "../core/context";
import { AppError, conflict, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import { plusSeconds, SWEEP_LIMIT } from "../core/recovery";
import { getDb, type Db } from "../db/client";
import { jobs } from "../db/schema";
import { inOrg } from "../db/scope";
import type { JOB_STATUSES } from "../db/tables/jobs";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { sendInChunks } from "../queue/send";
import { replayEventOnce } from "./events";
import { checkFilterIds, countMatches, freezeFilter, nextMatches, type EventJobFilterIn, type FrozenFilter, type JobKind, type RunJobFilterIn } from "./job-filters";
import { gateOrg, openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";
import { retryRun } from "./runs";

/** Items one `job.step` works (one bounded batch). Default: 50. */
export const JOB_BATCH = 50;
/** How long a step holds the job's next batch; a step that died frees it after this. Default: 60 s. */
export const JOB_LEASE_SECONDS = 60;
/** An open job not touched for this long has lost its step; the minute cron re-drives it. Default: 120 s. */
export const JOB_STALE_SECONDS = 120;
/** Statuses of a job still being worked. */
const OPEN = ["queued", "running"] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];
type JobRow = typeof jobs.$inferSelect;

/** A job as the API shows it. */
export interface JobOut {
  job_id: string;
  org_id: string;
  kind: JobKind;
  filter: Record<string, string>;
  status: JobStatus;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  cursor: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  error: string | null;
}

const toJobOut = (r: JobRow): JobOut => ({
  job_id: r.jobId, org_id: r.orgId, kind: r.kind, filter: r.filter, status: r.status, total: r.total, done: r.done, failed: r.failed,
  skipped: r.skipped, cursor: r.cursor ?? null, created_by: r.createdBy, created_at: r.createdAt, updated_at: r.updatedAt,
  finished_at: r.finishedAt ?? null, error: r.error ?? null,
});

/** What a create call answers: the count alone for a dry run, else the new job. */
export type JobCreated = { dry_run: true; total: number } | { dry_run: false; job: JobOut };

/**
 * Creates a bulk job over the org's runs (`runs.retry`) or events (`events.replay`), runner+
 * (another org is 404 before the role is checked). The filter is frozen at this instant
 * (job-filters.ts: `until` = min(given, now); an action, endpoint or trigger id not of this org
 * is a 422) and `total` counted once. A dry run answers the
 * count and writes nothing. Otherwise the job is stored `queued` and its first `job.step`
 * enqueued; if the queue refuses, the job is left `failed` with the reason and a 503
 * `queue_unavailable` is thrown (nothing was worked).
 */
export async function createJob(ctx: Ctx, orgId: string, kind: JobKind, input: { filter: RunJobFilterIn | EventJobFilterIn; dry_run?: boolean }): Promise<JobCreated> {
  await openOrg(ctx, orgId, "runner");
  const at = nowIso();
  const filter = freezeFilter(kind, input.filter, at);
  await checkFilterIds(ctx.db, orgId, filter);
  const total = await countMatches(ctx.db, orgId, kind, filter, at);
  if (input.dry_run) return { dry_run: true, total };
  const row: JobRow = {
    jobId: uuidv7(), orgId, kind, filter, status: "queued", total, done: 0, failed: 0, skipped: 0, cursor: null, leaseUntil: null,
    createdBy: ctx.actor.id, finishedAt: null, error: null, createdAt: at, updatedAt: at,
  };
  await ctx.db.insert(jobs).values(row);
  try {
    await ctx.env.TASKS.send({ v: 1, kind: "job.step", job_id: row.jobId });
  } catch (err) {
    const msg = "the work queue is unavailable; the job was recorded as failed and nothing was done — create it again";
    console.error(JSON.stringify({ level: "error", msg: "job not enqueued; marked failed", job_id: row.jobId, error: String(err) }));
    await ctx.db.update(jobs).set({ status: "failed", error: msg, finishedAt: nowIso(), updatedAt: nowIso() }).where(inOrg(jobs, orgId, eq(jobs.jobId, row.jobId)));
    throw new AppError("unavailable", msg, [{ loc: [], msg, type: "queue_unavailable" }]);
  }
  return { dry_run: false, job: toJobOut(row) };
}

async function findJob(ctx: Ctx, orgId: string, jobId: string): Promise<JobRow> {
  await gateOrg(ctx, orgId);
  const row = await ctx.db.select().from(jobs).where(inOrg(jobs, orgId, eq(jobs.jobId, jobId))).get();
  if (!row) throw notFound("job", ["path", "job_id"]);
  return row;
}

/** One job of the org (viewer+; another org's job and an unknown id are the same 404). */
export async function getJob(ctx: Ctx, orgId: string, jobId: string): Promise<JobOut> {
  const row = await findJob(ctx, orgId, jobId);
  assertRole(ctx.actor, "viewer");
  return toJobOut(row);
}

/** The org's jobs, newest first, optionally by kind and status (viewer+; the same cursor paging as every list). */
export async function listJobs(ctx: Ctx, orgId: string, q: { kind?: JobKind; status?: JobStatus }, page: PageIn): Promise<Page<JobOut>> {
  await openOrg(ctx, orgId, "viewer");
  const where = inOrg(jobs, orgId, q.kind ? eq(jobs.kind, q.kind) : undefined, q.status ? eq(jobs.status, q.status) : undefined);
  return pageOf(ctx.db, jobs, jobs.jobId, where, page, toJobOut);
}

/**
 * Cancels an open job (runner+, as for creating; tenancy first). The step working a batch
 * finishes and records that batch (its items were worked), then no further step runs. A
 * finished job (succeeded, failed, cancelled) is a 409, also when it finished concurrently.
 */
export async function cancelJob(ctx: Ctx, orgId: string, jobId: string): Promise<JobOut> {
  const row = await findJob(ctx, orgId, jobId);
  assertRole(ctx.actor, "runner");
  if (!(OPEN as readonly string[]).includes(row.status)) throw conflict(`this job is ${row.status}; only a queued or running job can be cancelled`);
  const at = nowIso();
  const [done] = await ctx.db
    .update(jobs)
    .set({ status: "cancelled", finishedAt: at, updatedAt: at })
    .where(inOrg(jobs, orgId, eq(jobs.jobId, jobId), inArray(jobs.status, [...OPEN])))
    .returning();
  if (!done) throw conflict("this job finished before it could be cancelled");
  return toJobOut(done);
}

type Outcome = "done" | "failed" | "skipped";

/**
 * Works one item with the single-item verb: a run through retryRun (its guards make a second
 * retry of one execution a 409), an event through replayEventOnce (keyed by job and event, so
 * a second replay stores nothing and answers `already`). A refused item (409: not retriable,
 * already retried; 404: purged) is skipped; a 503 (queue refused) is failed.
 */
async function workItem(ctx: Ctx, job: JobRow, id: string): Promise<{ outcome: Outcome; error?: string }> {
  try {
    if (job.kind === "runs.retry") await retryRun(ctx, job.orgId, id);
    else await replayEventOnce(ctx, job.orgId, id, `job:${job.jobId}:${id}`);
    return { outcome: "done" };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === "conflict" || err.code === "not_found") return { outcome: "skipped" };
    return { outcome: "failed", error: `${id}: ${err.message}` };
  }
}

/**
 * Handles `job.step`: works the next batch (JOB_BATCH items in id order after `cursor`) of an
 * open job. Guarantees: a step first claims the batch (lease, guarded on the cursor it read),
 * so a duplicated or concurrent step finds it held and does nothing; the batch's counts and
 * the new cursor are written in one statement guarded on that cursor and lease, so a step
 * whose lease was taken over records nothing (its items are redone by the new holder and, being
 * idempotent, counted once). The last batch sets `succeeded`; items that left the set before
 * they were reached (purged) are counted skipped then, so total = done + failed + skipped. A
 * cancelled job stops at its next step. Unexpected errors free the lease and rethrow (the
 * queue retries the step).
 */
export async function handleJobStep(env: Env, task: Extract<Task, { kind: "job.step" }>): Promise<void> {
  const db = getDb(env.DB);
  const job = await db.select().from(jobs).where(eq(jobs.jobId, task.job_id)).get();
  if (!job || !(OPEN as readonly string[]).includes(job.status)) return;
  const now = new Date();
  const at = now.toISOString();
  const lease = plusSeconds(now, JOB_LEASE_SECONDS);
  const onCursor = job.cursor === null ? isNull(jobs.cursor) : eq(jobs.cursor, job.cursor);
  const claimed = await db
    .update(jobs)
    .set({ status: "running", leaseUntil: lease, updatedAt: at })
    .where(and(eq(jobs.jobId, job.jobId), inArray(jobs.status, [...OPEN]), onCursor, or(isNull(jobs.leaseUntil), lte(jobs.leaseUntil, at))))
    .returning({ jobId: jobs.jobId })
    .get();
  if (!claimed) return;
  const ctx: Ctx = { db, env, actor: SYSTEM_ACTOR, requestId: `job:${job.jobId}` };
  const n = { done: 0, failed: 0, skipped: 0 };
  let lastError: string | undefined;
  let ids: string[];
  try {
    ids = await nextMatches(db, job.orgId, job.kind, job.filter as FrozenFilter, job.createdAt, job.cursor, JOB_BATCH);
    for (const id of ids) {
      const r = await workItem(ctx, job, id);
      n[r.outcome]++;
      if (r.error) lastError = r.error;
    }
  } catch (err) {
    await db.update(jobs).set({ leaseUntil: null }).where(and(eq(jobs.jobId, job.jobId), eq(jobs.leaseUntil, lease)));
    throw err;
  }
  const last = ids.length < JOB_BATCH;
  const committed = await commitBatch(db, job, lease, ids.at(-1) ?? job.cursor, n, last, lastError);
  if (!committed || committed.status !== "running" || last) return;
  await env.TASKS.send({ v: 1, kind: "job.step", job_id: job.jobId }).catch((err: unknown) => {
    // The job stays running and untouched: the minute cron re-drives it after JOB_STALE_SECONDS.
    console.error(JSON.stringify({ level: "error", msg: "next job step not enqueued; the cron re-drives it", job_id: job.jobId, error: String(err) }));
  });
}

/** Records one worked batch (see handleJobStep); returns the job's status, or undefined when the claim was lost. */
async function commitBatch(db: Db, job: JobRow, lease: string, cursor: string | null, n: Record<Outcome, number>, last: boolean, lastError?: string) {
  const at = nowIso();
  const finishing = sql`${jobs.status} = 'running'`;
  // The last batch also counts, as skipped, items that left the set before they were reached.
  const shortfall = sql`max(${jobs.total} - ${jobs.done} - ${jobs.failed} - ${jobs.skipped} - ${n.done + n.failed + n.skipped}, 0)`;
  const heldBatch = and(eq(jobs.jobId, job.jobId), job.cursor === null ? isNull(jobs.cursor) : eq(jobs.cursor, job.cursor), eq(jobs.leaseUntil, lease));
  return db
    .update(jobs)
    .set({
      cursor,
      done: sql`${jobs.done} + ${n.done}`,
      failed: sql`${jobs.failed} + ${n.failed}`,
      skipped: last ? sql`${jobs.skipped} + ${n.skipped} + ${shortfall}` : sql`${jobs.skipped} + ${n.skipped}`,
      leaseUntil: null,
      updatedAt: at,
      ...(lastError ? { error: lastError } : {}),
      ...(last ? { status: sql`CASE WHEN ${finishing} THEN 'succeeded' ELSE ${jobs.status} END`, finishedAt: sql`CASE WHEN ${finishing} THEN ${at} ELSE ${jobs.finishedAt} END` } : {}),
    })
    .where(heldBatch)
    .returning({ status: jobs.status })
    .get();
}

/**
 * The minute cron's part for jobs: enqueues a `job.step` for every open job (queued or
 * running) not touched for JOB_STALE_SECONDS (its step was lost: local queues do not survive
 * a restart, or the next step could not be enqueued). At most SWEEP_LIMIT jobs a minute.
 * Safe beside a live step: a step holding the batch's lease makes the extra one a no-op.
 * Returns how many steps were enqueued.
 */
export async function redriveJobs(env: Env, now: Date): Promise<number> {
  const db = getDb(env.DB);
  const stale = await db
    .select({ jobId: jobs.jobId })
    .from(jobs)
    .where(and(inArray(jobs.status, [...OPEN]), lt(jobs.updatedAt, plusSeconds(now, -JOB_STALE_SECONDS))))
    .orderBy(jobs.updatedAt)
    .limit(SWEEP_LIMIT);
  const tasks: Task[] = stale.map((j) => ({ v: 1, kind: "job.step", job_id: j.jobId }));
  const sent = await sendInChunks(env.TASKS, tasks, async (chunk, err) => {
    console.error(JSON.stringify({ level: "error", msg: "job re-drive refused; retried next minute", tasks: chunk.length, error: String(err) }));
  });
  if (stale.length) console.warn(JSON.stringify({ level: "warn", msg: "cron re-drove jobs", sent }));
  return sent;
}
