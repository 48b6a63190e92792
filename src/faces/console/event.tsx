import { AppError } from "../../core/errors";
import { listForwards } from "../../services/event-forwards";
import { eventRuns, getEvent, replayEvent } from "../../services/events";
import { Act, Facts, Json, Status, When } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/** One event: its facts, headers, pretty-printed body (raw when not JSON), the matched actions with their runs, its local forwards (`switchyard listen`), and Replay. */
export async function eventPage(c: CC) {
  const v = viewOf(c);
  const id = c.req.param("event_id")!;
  const e = await getEvent(v.ctx, v.orgId, id);
  // getEvent also answers an event its inbox still holds (not in D1 yet): it has no runs and no forwards yet.
  const none = (err: unknown): never[] => {
    if (err instanceof AppError && err.code === "not_found") return [];
    throw err;
  };
  const [runs, forwards] = await Promise.all([eventRuns(v.ctx, v.orgId, id).catch(none), listForwards(v.ctx, v.orgId, id).catch(none)]);
  const replayed = c.req.query("replayed");
  return c.html(
    <Layout title={`Event ${e.event_id}`} current="events" csrf={v.csrf} who={v.who} flash={replayed ? { kind: "ok", text: "Replayed: a copy of this event is being routed." } : null}>
      {replayed && /^[0-9a-f-]{36}$/.test(replayed) ? (
        <p>
          The copy: <a href={`/console/events/${replayed}`}>{replayed}</a>
        </p>
      ) : null}
      <Facts
        items={[
          ["status", <Status value={e.status} />],
          ["received", <When at={e.received_at} />],
          ["provider", e.provider_id],
          ["type", e.event_type ?? "—"],
          ["trigger", e.project_trigger_id],
          ["replay of", e.replay_of ? <a href={`/console/events/${e.replay_of}`}>{e.replay_of}</a> : "—"],
          ["routing error", e.route_error ?? "—"],
        ]}
      />
      <Act action={`/console/events/${e.event_id}/replay`} csrf={v.csrf} label="Replay" allowed={v.can("runner")} />
      <h2>Headers</h2>
      <table>
        <tbody>
          {Object.entries(e.headers).map(([k, val]) => (
            <tr>
              <th scope="row">{k}</th>
              <td>{val}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Body</h2>
      <Json value={e.body} />
      <h2>Matched actions and their runs</h2>
      {runs.length ? (
        <table>
          <thead>
            <tr><th scope="col">action</th><th scope="col">run</th><th scope="col">attempt</th><th scope="col">status</th><th scope="col">triggered</th></tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr>
                <td>{r.action_name ?? r.actionId}</td>
                <td><a href={`/console/runs/${r.runId}`}>{r.runId}</a></td>
                <td>{r.attempt}</td>
                <td><Status value={r.status} /></td>
                <td><When at={r.triggeredAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="empty">{e.matched_actions.length ? "Matched, runs are being created." : "No action matched this event. Add this trigger to an action's trigger_ids, then replay it."}</p>
      )}
      <h2>Local forwards</h2>
      {forwards.length ? (
        <table>
          <thead>
            <tr><th scope="col">forwarded</th><th scope="col">to</th><th scope="col">status</th><th scope="col">ms</th><th scope="col">answer</th></tr>
          </thead>
          <tbody>
            {forwards.map((f) => (
              <tr>
                <td><When at={f.forwarded_at} /></td>
                <td>{f.target}</td>
                <td>{f.status === null ? <span class="bad">{f.error ?? "no answer"}</span> : f.status}</td>
                <td>{f.duration_ms}</td>
                <td><code>{(f.response_body ?? "").slice(0, 200)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="empty">None. <code>switchyard listen {e.project_trigger_id} --forward http://localhost:3000/…</code> forwards this trigger's events to your machine and records each answer here.</p>
      )}
    </Layout>,
  );
}

/** POST Replay (runner+; the service checks tenancy, then the role). */
export async function replayAction(c: CC) {
  const v = viewOf(c);
  const id = c.req.param("event_id")!;
  c.set("audit", { action: "event.replay", targetType: "event", targetId: id });
  const out = await replayEvent(v.ctx, v.orgId, id);
  // The Location is built from stored ids only (the original's and the copy's), never from the path.
  return c.redirect(`/console/events/${out.replay_of}?replayed=${out.event_id}`, 303);
}
