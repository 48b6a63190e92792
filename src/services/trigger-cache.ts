/**
 * An in-isolate cache of webhook trigger lookups (trigger row + sealed connection secrets),
 * so a busy webhook URL costs one D1 round trip instead of two. Correctness does not rest on
 * it: a cached row that fails verification is re-read from D1 before answering, and the
 * event insert re-checks in the same D1 batch that the trigger is still ENABLED. What the
 * TTL allows: a rotated signing secret keeps verifying for at most TTL_MS after rotation.
 */
import type { Candidate } from "./ingest";

/** How long a lookup is reused. Default: 5 s. */
export const TTL_MS = 5_000;
/** Most entries kept; the oldest is dropped beyond it. */
const MAX_ENTRIES = 1_000;

const entries = new Map<string, { candidate: Candidate; expires: number }>();

/** The cached lookup of `triggerId`, if fresh. */
export function cachedCandidate(triggerId: string, now = Date.now()): Candidate | undefined {
  const hit = entries.get(triggerId);
  if (!hit) return undefined;
  if (hit.expires <= now) {
    entries.delete(triggerId);
    return undefined;
  }
  return hit.candidate;
}

/** Remembers a lookup for TTL_MS. */
export function cacheCandidate(triggerId: string, candidate: Candidate, now = Date.now()): void {
  entries.delete(triggerId);
  entries.set(triggerId, { candidate, expires: now + TTL_MS });
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
}

/** Forgets a trigger (called when it is enabled, disabled, deleted, or fails from cache). */
export function forgetCandidate(triggerId: string): void {
  entries.delete(triggerId);
}
