import type { Env } from "../env";

/**
 * The one typed way to reach a TriggerState object. `key` is a project_trigger_id for
 * trigger-owned state, `action:<action_id>` for directly invoked action runs and
 * `pipeline:<pipeline_id>` for a pipeline's runs and gates, `ratelimit:<key>` for a
 * failed-attempt counter (see `rateLimiterFor`), `endpoint:<endpoint_id>` for an endpoint's
 * flow control, `inbox:<shard>` for an ingest inbox (see `inboxFor`).
 */
export function triggerStateFor(env: Env, key: string) {
  return env.TRIGGER_STATE.get(env.TRIGGER_STATE.idFromName(key));
}

/** The failed-attempt counter of `key` (e.g. `user:<hash>`, `ip:<address>`): one object per key. */
export function rateLimiterFor(env: Env, key: string) {
  return triggerStateFor(env, `ratelimit:${key}`);
}

/** The flow-control object of one endpoint (rate limit, concurrency): one object per endpoint, so one tenant's limits never touch another's. */
export function endpointGateFor(env: Env, endpointId: string) {
  return triggerStateFor(env, `endpoint:${endpointId}`);
}

/** Inbox shards (objects `inbox:0` … `inbox:3`): hot ingest spreads over this many objects. */
export const INBOX_SHARDS = 4;

/** The inbox shard of event `eventId`: chosen by the id, so a replay meets its original. */
export const inboxShardOf = (eventId: string): number => (parseInt(eventId.slice(0, 2), 16) || 0) % INBOX_SHARDS;

/** Inbox shard number `shard` (0 … INBOX_SHARDS - 1). */
export function inboxShard(env: Env, shard: number) {
  return triggerStateFor(env, `inbox:${shard}`);
}

/** The inbox object that holds (or would hold) event `eventId`. */
export function inboxFor(env: Env, eventId: string) {
  return inboxShard(env, inboxShardOf(eventId));
}
