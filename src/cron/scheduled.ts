import type { Env } from "../env";
import { superviseCircuits, superviseFifo } from "../services/circuit";
import { kickInboxes } from "../services/ingest-handoff";
import { redriveJobs } from "../services/jobs";
import { claimDueTriggers } from "../services/polling";
import { purgeExpired, type PurgeResult } from "../services/retention";
import { claimDueActions } from "../services/schedules";
import { sweep, type SweepResult } from "../services/sweeper";

/**
 * The minute Cron Trigger: claims due scheduled actions, polling triggers and scheduled
 * triggers in D1 and enqueues them, then sweeps (re-drives stuck runs, unrouted events, lost
 * slots and stalled pipelines: services/sweeper.ts), re-drives bulk jobs whose step was lost
 * (services/jobs.ts), purges what retention says has expired (services/retention.ts, bounded
 * per invocation), probes open circuits, drains closed ones that still hold runs and releases
 * FIFO heads (services/circuit.ts), and has every ingest inbox flush what it still holds
 * (services/ingest-handoff.ts; `inbox` is how many acknowledged events wait for D1). Safe to run twice for the same minute:
 * claims are atomic UPDATE … RETURNING, so a slot is claimed once, and every re-drive is
 * idempotent. A failing part is logged and does not stop the others.
 */
export async function onMinute(
  controller: ScheduledController,
  env: Env,
): Promise<{ actions: number; triggers: number; swept: SweepResult | null; jobs: number; purged: PurgeResult | null; circuits: { probes: number; drains: number } | null; fifo: number; inbox: number }> {
  const now = new Date(controller.scheduledTime);
  const part = async <T>(name: string, p: Promise<T>, fallback: T): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: `minute cron: ${name} failed`, error: String(err) }));
      return fallback;
    }
  };
  const [actions, triggers, swept, jobs, purged, circuits, fifo, inbox] = await Promise.all([
    part("claimDueActions", claimDueActions(env, now), 0),
    part("claimDueTriggers", claimDueTriggers(env, now), 0),
    part<SweepResult | null>("sweep", sweep(env, now), null),
    part("redriveJobs", redriveJobs(env, now), 0),
    part<PurgeResult | null>("purgeExpired", purgeExpired(env, now), null),
    part<{ probes: number; drains: number } | null>("superviseCircuits", superviseCircuits(env, now), null),
    part("superviseFifo", superviseFifo(env), 0),
    part("kickInboxes", kickInboxes(env), 0),
  ]);
  console.log(JSON.stringify({ level: "info", msg: "minute cron", actions, triggers, swept, jobs, purged, circuits, fifo, inbox }));
  return { actions, triggers, swept, jobs, purged, circuits, fifo, inbox };
}
