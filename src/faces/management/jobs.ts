import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { JOB_KINDS, JOB_STATUSES } from "../../db/tables/jobs";
import { ctxOf } from "../../http/middleware";
import type { AppEnv, AuditNote } from "../../http/router";
import { ErrorOut, errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { REPLAY_JOB_STATUSES, RETRY_JOB_STATUSES } from "../../services/job-filters";
import { cancelJob, createJob, getJob, JOB_BATCH, listJobs, type JobCreated } from "../../services/jobs";
import { OrgParams } from "./schemas";

const tags = ["Jobs"];
const Id = z.string().min(1).max(100);
const JobParams = OrgParams.extend({ job_id: Id });
const Time = (what: string) => z.string().max(64).optional().openapi({ description: what, example: "2026-01-31T12:00:00Z" });

/** Filters are strict: an unknown (misspelt) key is a 422, never a silently wider bulk operation. */
const RunsFilter = z
  .object({
    status: z.enum(RETRY_JOB_STATUSES).optional().openapi({ description: "The latest attempt's status. Default: failed (only failed runs are retried; other matches are skipped)" }),
    action_id: Id.optional().openapi({ description: "Only runs of this action" }),
    endpoint_id: Id.optional().openapi({ description: "Only runs of actions pointing at this endpoint" }),
    since: Time("Runs triggered at or after this ISO-8601 time"),
    until: Time("Runs triggered before this ISO-8601 time (exclusive; at most the job's creation time, which is the default)"),
  })
  .strict()
  .openapi("RunsRetryFilter");
const EventsFilter = z
  .object({
    trigger_id: Id.optional().openapi({ description: "Only events of this project_trigger_id" }),
    status: z.enum(REPLAY_JOB_STATUSES).optional().openapi({ description: "Only events in this status (received events are still being routed and cannot be selected)" }),
    event_type: z.string().min(1).max(200).optional().openapi({ description: "Only events of this type" }),
    since: Time("Events received at or after this ISO-8601 time"),
    until: Time("Events received before this ISO-8601 time (exclusive; at most the job's creation time, which is the default)"),
  })
  .strict()
  .openapi("EventsReplayFilter");
const DryRun = z.boolean().optional().openapi({ description: "true: only count the matches (200 {dry_run, total}); nothing is created. Default: false" });
const RetryIn = z.object({ filter: RunsFilter, dry_run: DryRun }).openapi("RunsRetryIn");
const ReplayIn = z.object({ filter: EventsFilter, dry_run: DryRun }).openapi("EventsReplayIn");

export const JobOut = z
  .object({
    job_id: z.string(), org_id: z.string(), kind: z.enum(JOB_KINDS),
    filter: z.record(z.string(), z.string()).openapi({ description: "The filter as frozen at creation (times in UTC, `until` always set, a retry's `status` defaulted)" }),
    status: z.enum(JOB_STATUSES).openapi({ description: "queued → running → succeeded | failed (the queue refused it at creation) | cancelled" }),
    total: z.number().int().openapi({ description: "Items matched at creation; at the end total = done + failed + skipped" }),
    done: z.number().int(), failed: z.number().int(), skipped: z.number().int().openapi({ description: "Matched but not eligible (not failed, a pipeline step, already retried, body dropped) or gone" }),
    cursor: z.string().nullable().openapi({ description: "The last processed item id (run_id or event_id)" }),
    created_by: z.string(), created_at: z.string(), updated_at: z.string(), finished_at: z.string().nullable(),
    error: z.string().nullable().openapi({ description: "Why the job failed, or the last item failure" }),
  })
  .openapi("Job");
const DryRunOut = z.object({ dry_run: z.literal(true), total: z.number().int() }).openapi("JobDryRun");
const unavailable = { 503: { description: "The work queue refused the job (it is left failed)", content: { "application/json": { schema: ErrorOut } } } };
const created = { 200: jsonOk(DryRunOut, "Dry run: the count only"), 202: jsonOk(JobOut, "Accepted: the job is queued"), ...unavailable, ...errorResponses };
const how = `Matches are frozen at creation and worked in id order, ${JOB_BATCH} per queue step. Runner role or higher.`;

const retry = createRoute({
  method: "post", path: "/v1/orgs/{org_id}/runs/retry", tags, summary: "Retry runs in bulk (runner+)",
  description: `Retries the latest attempt of every execution matching the filter, as POST …/runs/{run_id}/retry does one. ${how}`,
  request: { params: OrgParams, body: jsonBody(RetryIn) }, responses: created,
});
const replay = createRoute({
  method: "post", path: "/v1/orgs/{org_id}/events/replay", tags, summary: "Replay events in bulk (runner+)",
  description: `Replays every matching event once (one new copy each), as POST …/events/{event_id}/replay does one. ${how}`,
  request: { params: OrgParams, body: jsonBody(ReplayIn) }, responses: created,
});
const list = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/jobs", tags, summary: "List jobs (newest first)",
  request: { params: OrgParams, query: PageQuery.extend({ kind: z.enum(JOB_KINDS).optional(), status: z.enum(JOB_STATUSES).optional() }) },
  responses: { 200: jsonOk(listOf("jobs", JobOut)), ...errorResponses },
});
const get = createRoute({ method: "get", path: "/v1/orgs/{org_id}/jobs/{job_id}", tags, summary: "Get a job and its progress", request: { params: JobParams }, responses: { 200: jsonOk(JobOut), ...errorResponses } });
const cancel = createRoute({
  method: "post", path: "/v1/orgs/{org_id}/jobs/{job_id}/cancel", tags, summary: "Cancel a job (runner+)",
  description: "The batch being worked is finished and recorded; no further batch runs. A finished job is a 409.",
  request: { params: JobParams },
  responses: { 200: jsonOk(JobOut), 409: { description: "The job already finished", content: { "application/json": { schema: ErrorOut } } }, ...errorResponses },
});

/** The audit note of a create: `job.create` (target: the new job) or `job.dry_run`, with the kind, the filter as given and the total. */
function auditOf(kind: string, filter: unknown, out: JobCreated): AuditNote {
  if (out.dry_run) return { action: "job.dry_run", targetType: "job", targetId: null, details: { kind, filter, total: out.total } };
  return { action: "job.create", targetType: "job", targetId: out.job.job_id, details: { kind, filter, frozen_filter: out.job.filter, total: out.job.total } };
}

/** Registers the bulk job routes: runs retry, events replay, and the job resource. */
export function registerJobs(r: OpenAPIHono<AppEnv>): void {
  r.openapi(retry, async (c) => {
    const body = c.req.valid("json");
    const out = await createJob(ctxOf(c), c.req.valid("param").org_id, "runs.retry", body);
    c.set("audit", auditOf("runs.retry", body.filter, out));
    return out.dry_run ? c.json({ dry_run: true as const, total: out.total }, 200) : c.json(out.job, 202);
  });
  r.openapi(replay, async (c) => {
    const body = c.req.valid("json");
    const out = await createJob(ctxOf(c), c.req.valid("param").org_id, "events.replay", body);
    c.set("audit", auditOf("events.replay", body.filter, out));
    return out.dry_run ? c.json({ dry_run: true as const, total: out.total }, 200) : c.json(out.job, 202);
  });
  r.openapi(list, async (c) => {
    const { limit, cursor, ...q } = c.req.valid("query");
    const { items, ...page } = await listJobs(ctxOf(c), c.req.valid("param").org_id, q, { limit, cursor });
    return c.json({ ...page, jobs: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getJob(ctxOf(c), p.org_id, p.job_id), 200);
  });
  r.openapi(cancel, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "job.cancel", targetType: "job", targetId: p.job_id });
    return c.json(await cancelJob(ctxOf(c), p.org_id, p.job_id), 200);
  });
}
