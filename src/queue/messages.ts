import * as z from "zod";
import { IngestedEvent } from "../engine/event-log";

/**
 * Queue tasks: small, tagged, versioned, ID-only. The consumer reloads everything else
 * from D1, so a task never carries stale data or secrets. The one exception is
 * `event.ingest`, which IS the event until D1 holds it (verified headers and body, never a
 * credential header nor a secret; at most MESSAGE_BYTES, see services/ingest-handoff.ts).
 */
export const Task = z.discriminatedUnion("kind", [
  /** Store an acknowledged event in D1 (queue-first ingest), then route it. */
  z.object({ v: z.literal(1), kind: z.literal("event.ingest"), event: IngestedEvent }),
  /** Fan an accepted event out to the actions that list its trigger. */
  z.object({ v: z.literal(1), kind: z.literal("event.route"), event_id: z.string() }),
  /** Deliver one run (one attempt) to its endpoint. */
  z.object({ v: z.literal(1), kind: z.literal("run.deliver"), run_id: z.string() }),
  /** Start an execution of a scheduled action for the slot the cron claimed. */
  z.object({ v: z.literal(1), kind: z.literal("action.scheduled"), action_id: z.string(), due_at: z.string() }),
  /** Poll a polling trigger once (through its Durable Object). */
  z.object({ v: z.literal(1), kind: z.literal("trigger.poll"), project_trigger_id: z.string() }),
  /** Emit one tick event of a scheduled trigger. */
  z.object({ v: z.literal(1), kind: z.literal("trigger.tick"), project_trigger_id: z.string(), due_at: z.string() }),
  /** Move a pipeline run forward after a step finished or a gate was decided. */
  z.object({ v: z.literal(1), kind: z.literal("pipeline.advance"), pipeline_run_id: z.string() }),
  /** Release the held runs of an endpoint whose circuit closed, one bounded batch per step. */
  z.object({ v: z.literal(1), kind: z.literal("endpoint.drain"), endpoint_id: z.string() }),
  /** Work the next batch of a bulk job (runs retry, events replay). */
  z.object({ v: z.literal(1), kind: z.literal("job.step"), job_id: z.string() }),
]);
export type Task = z.infer<typeof Task>;
