import { listEvents, type EventFilter, type EventStatus, type EventSummary } from "../../services/events";
import { listOrgTriggers } from "../../services/triggers";
import { Choice, Copy, Empty, Pager, Status, When } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/** Events per page of the list. */
export const EVENTS_PAGE_SIZE = 50;
const STATUSES: EventStatus[] = ["received", "routed", "unmatched", "failed"];

/** The curl line that sends a first test event to a trigger. */
export const curlLine = (origin: string, triggerId: string) => `curl -X POST ${origin}/v1/webhooks/${triggerId} -H 'content-type: application/json' -d '{"hello":"world"}'`;

function Rows(p: { items: EventSummary[] }) {
  return (
    <>
      {p.items.map((e) => (
        <tr>
          <td><When at={e.received_at} /></td>
          <td><a href={`/console/events/${e.event_id}`}>{e.event_id}</a></td>
          <td>{e.provider_id}</td>
          <td>{e.event_type ?? "—"}</td>
          <td><Status value={e.status} /></td>
          <td>{e.matched_actions.length}</td>
        </tr>
      ))}
    </>
  );
}

/**
 * Events: filtered by trigger, status and time, newest first, cursor pages. The first page
 * refreshes itself every few seconds (console.js fetches `?partial=rows` and swaps the rows);
 * without JavaScript it is a plain list.
 */
export async function eventsPage(c: CC) {
  const v = viewOf(c);
  const q = c.req.query();
  const filter: EventFilter = {
    trigger_id: q.trigger_id || undefined,
    status: STATUSES.includes(q.status as EventStatus) ? (q.status as EventStatus) : undefined,
    since: q.since || undefined,
    until: q.until || undefined,
  };
  const page = await listEvents(v.ctx, v.orgId, filter, { limit: EVENTS_PAGE_SIZE, cursor: q.cursor || undefined });
  if (q.partial === "rows") return c.html(<Rows items={page.items} />);
  const triggers = await listOrgTriggers(v.ctx, v.orgId);
  const filtered = Object.values(filter).some(Boolean);
  const live = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => !!e[1]));
  live.set("partial", "rows");
  const origin = new URL(c.req.url).origin;
  const first = triggers.find((t) => t.status === "ENABLED" && t.webhook_data) ?? triggers[0];
  return c.html(
    <Layout title="Events" current="events" csrf={v.csrf} who={v.who}>
      <form method="get" action="/console/events" class="filters">
        <Choice
          label="trigger"
          name="trigger_id"
          selected={filter.trigger_id}
          options={triggers.map((t) => ({ value: t.project_trigger_id, label: `${t.provider_id} · ${t.project_name ?? t.project_id} · ${t.project_trigger_id.slice(0, 8)}` }))}
        />
        <Choice label="status" name="status" selected={filter.status} options={STATUSES.map((s) => ({ value: s, label: s }))} />
        <label>
          since <input name="since" type="text" placeholder="2026-01-31T12:00:00Z" value={filter.since ?? ""} />
        </label>
        <label>
          until <input name="until" type="text" placeholder="ISO-8601" value={filter.until ?? ""} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {page.items.length === 0 && !filtered && !q.cursor ? (
        <Empty>
          <p>No events yet.</p>
          {first ? (
            <p>
              Send one to the trigger {first.project_trigger_id}: <Copy text={curlLine(origin, first.project_trigger_id)} label="Copy the curl command" />
            </p>
          ) : (
            <p>
              Create a trigger first on the <a href="/console/triggers">triggers</a> page, then send it a webhook.
            </p>
          )}
        </Empty>
      ) : null}
      <p class="muted">
        {page.total} {page.total === 1 ? "event" : "events"}
        {q.cursor ? "" : " · updates every 5 seconds"}
      </p>
      <table>
        <thead>
          <tr><th scope="col">received</th><th scope="col">event</th><th scope="col">provider</th><th scope="col">type</th><th scope="col">status</th><th scope="col">matched</th></tr>
        </thead>
        <tbody id="event-rows" data-live={q.cursor ? undefined : `/console/events?${live}`}>
          <Rows items={page.items} />
        </tbody>
      </table>
      <Pager base="/console/events" params={{ trigger_id: filter.trigger_id, status: filter.status, since: filter.since, until: filter.until }} next={page.next_cursor} />
    </Layout>,
  );
}
