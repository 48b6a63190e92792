/**
 * Following a trigger's (or the org's) new events by cursor polling of the events API, the
 * transport `listen` and `tail` share (docs/cli.md says why polling). Guarantees: each
 * event is yielded at most once per session (a seen-set, pruned only well behind the
 * cursor); events are yielded oldest first; a failed poll is retried with backoff (1 s up to
 * 5 s) and reported through `onRetry`, except 401/403/404, which end the loop with the
 * ApiError; `stop()` ends it within one interval.
 */
import { call } from "./api.mjs";
import { ApiError } from "./errors.mjs";

/**
 * How far behind the newest seen `received_at` each poll looks again: events reach the events
 * API after their `received_at` (queue-first ingest stores them when their batch is consumed,
 * about 1 s; more when the consumer has a backlog). Default: 30 s.
 */
const OVERLAP_MS = 30_000;
const PAGE = 200;

const sleep = (ms, signal) => new Promise((r) => {
  const t = setTimeout(r, ms);
  signal?.addEventListener("abort", () => { clearTimeout(t); r(); }, { once: true });
});

/**
 * @param {{api: any, org: string}} conn
 * @param {{trigger?: string, since?: string, last?: number, intervalMs?: number, onEvent: (e: any) => Promise<void>, onRetry?: (err: Error) => void, signal?: AbortSignal}} o
 */
export async function follow(conn, o) {
  const interval = o.intervalMs ?? 500;
  const seen = new Map(); // event_id → received_at (ms)
  const list = async (query) => call(conn.api.GET("/v1/orgs/{org_id}/events", { params: { path: { org_id: conn.org }, query: { trigger_id: o.trigger, limit: PAGE, ...query } } }), "polling events");

  // Everything newer than `since` (ISO), oldest first, paging back until a seen id or the end.
  const fresh = async (since) => {
    const out = [];
    let cursor;
    for (let pages = 0; pages < 50; pages++) {
      const page = await list({ since, cursor });
      let reachedSeen = false;
      for (const e of page.events) {
        if (seen.has(e.event_id)) reachedSeen = true;
        else out.push(e);
      }
      if (!page.has_more || reachedSeen) break;
      cursor = page.next_cursor;
    }
    return out.reverse();
  };

  let cursorMs;
  let replay = [];
  if (o.last) {
    const page = await list({ limit: Math.min(o.last, PAGE) });
    replay = page.events.slice(0, o.last).reverse();
    cursorMs = replay.length ? Date.parse(replay[replay.length - 1].received_at) : 0;
    for (const e of page.events) seen.set(e.event_id, Date.parse(e.received_at));
  } else if (o.since) {
    cursorMs = Date.parse(o.since) + OVERLAP_MS; // the first poll then starts exactly at --since
  } else {
    // Baseline: what exists now is not forwarded; only what arrives from here on.
    const newest = (await list({ limit: 1 })).events[0];
    cursorMs = newest ? Date.parse(newest.received_at) : 0;
    if (newest) for (const e of (await list({ since: new Date(cursorMs - OVERLAP_MS).toISOString() })).events) seen.set(e.event_id, Date.parse(e.received_at));
  }
  for (const e of replay) await o.onEvent(e);

  let backoff = 1000;
  while (!o.signal?.aborted) {
    try {
      const events = await fresh(new Date(Math.max(0, cursorMs - OVERLAP_MS)).toISOString());
      backoff = 1000;
      for (const e of events) {
        if (o.signal?.aborted) return;
        const at = Date.parse(e.received_at);
        seen.set(e.event_id, at);
        cursorMs = Math.max(cursorMs, at);
        await o.onEvent(e);
      }
      for (const [id, at] of seen) if (at < cursorMs - 10 * OVERLAP_MS) seen.delete(id);
      await sleep(interval, o.signal);
    } catch (err) {
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) throw err;
      o.onRetry?.(err);
      await sleep(backoff, o.signal);
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}
