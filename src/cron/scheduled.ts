import type { Env } from "../env";

/**
 * The minute Cron Trigger: claims due scheduled actions, polling triggers and scheduled
 * triggers in D1 and enqueues them. Safe to run twice for the same minute.
 */
export async function onMinute(_controller: ScheduledController, _env: Env): Promise<void> {
  // Filled by the actions engine (schedules) and durable-state work (polling, ticks).
}
