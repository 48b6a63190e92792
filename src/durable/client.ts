import type { Env } from "../env";

/**
 * The one typed way to reach a TriggerState object. `key` is a project_trigger_id for
 * trigger-owned state, `action:<action_id>` for directly invoked action runs and
 * `pipeline:<pipeline_id>` for a pipeline's runs and gates, `ratelimit:<key>` for a
 * failed-attempt counter (see `rateLimiterFor`).
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
