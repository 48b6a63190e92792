import type { Env } from "../env";
import { claimDueTriggers } from "../services/polling";
import { claimDueActions } from "../services/schedules";

/**
 * The minute Cron Trigger: claims due scheduled actions, polling triggers and scheduled
 * triggers in D1 and enqueues them. Safe to run twice for the same minute: claims are
 * atomic UPDATE … RETURNING, so a slot is claimed once.
 */
export async function onMinute(controller: ScheduledController, env: Env): Promise<{ actions: number; triggers: number }> {
  const now = new Date(controller.scheduledTime);
  const [actions, triggers] = await Promise.all([claimDueActions(env, now), claimDueTriggers(env, now)]);
  console.log(JSON.stringify({ level: "info", msg: "minute cron", actions, triggers }));
  return { actions, triggers };
}
