import { findActionById } from "../../services/actions";
import { getOrgRun, retryRun } from "../../services/runs";
import { Act, Facts, Json, Status, When } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/**
 * One run: its facts and the attempt timeline of its execution — for each attempt the
 * resolved payload, the headers sent (credentials redacted when stored), the response status
 * and body, the duration and the error code — and Retry for a failed latest attempt.
 */
export async function runPage(c: CC) {
  const v = viewOf(c);
  const d = await getOrgRun(v.ctx, v.orgId, c.req.param("run_id")!);
  const action = await findActionById(v.ctx, d.run.actionId).then((f) => f.row, () => null);
  const latest = d.attempts[d.attempts.length - 1];
  const retriable = latest?.runId === d.run.runId && d.run.status === "failed" && !d.execution.pipeline_run_id;
  return c.html(
    <Layout title={`Run ${d.run.runId}`} current="runs" csrf={v.csrf} who={v.who} flash={c.req.query("retried") ? { kind: "ok", text: "Retry queued: this is the new attempt." } : null}>
      <Facts
        items={[
          ["status", <Status value={d.run.status} />],
          ["action", action ? <a href={`/console/actions/${action.actionId}`}>{action.name}</a> : d.run.actionId],
          ["attempt", String(d.run.attempt)],
          ["execution", d.run.executionId],
          ["trigger type", d.run.triggerType],
          ["event", d.execution.event_id ? <a href={`/console/events/${d.execution.event_id}`}>{d.execution.event_id}</a> : "—"],
          ["decided by", d.run.decidedBy ? `${d.run.decidedBy}${d.run.decisionMessage ? ` — ${d.run.decisionMessage}` : ""}` : "—"],
        ]}
      />
      {d.run.status === "pending_approval" ? <p><a href="/console/approvals">Decide it in the approvals inbox</a></p> : null}
      <Act action={`/console/runs/${d.run.runId}/retry`} csrf={v.csrf} label="Retry" allowed={retriable && v.can("runner")} />
      <h2>Attempts</h2>
      <ol class="timeline">
        {d.attempts.map((a) => (
          <li id={`attempt-${a.attempt}`} aria-current={a.runId === d.run.runId ? "true" : undefined}>
            <h3>
              Attempt {a.attempt} <Status value={a.status} /> {a.runId === d.run.runId ? null : <a href={`/console/runs/${a.runId}`}>open</a>}
            </h3>
            <Facts
              items={[
                ["triggered", <When at={a.triggeredAt} />],
                ["started", <When at={a.startedAt} />],
                ["completed", <When at={a.completedAt} />],
                ["duration", a.durationSeconds == null ? "—" : `${Math.round(a.durationSeconds * 1000)} ms`],
                ["response status", a.responseStatus == null ? "—" : String(a.responseStatus)],
                ["error code", a.errorCode ?? "—"],
                ["error", a.errorMessage ?? "—"],
              ]}
            />
            <details open={a.runId === d.run.runId}>
              <summary>Payload, headers sent and response</summary>
              <h4>Resolved payload</h4>
              <Json value={a.resolvedPayload ?? null} />
              <h4>Headers sent</h4>
              {a.requestHeaders ? (
                <table>
                  <tbody>
                    {Object.entries(a.requestHeaders).map(([k, val]) => (
                      <tr><th scope="row">{k}</th><td>{val}</td></tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p class="muted">Not recorded (not sent yet, or sent before headers were kept).</p>
              )}
              <h4>Response body</h4>
              <Json value={a.responseBody ?? ""} />
            </details>
          </li>
        ))}
      </ol>
    </Layout>,
  );
}

/** POST Retry (runner+): a new attempt of the failed execution; shows it. */
export async function retryAction(c: CC) {
  const v = viewOf(c);
  const id = c.req.param("run_id")!;
  c.set("audit", { action: "run.retry", targetType: "run", targetId: id });
  const next = await retryRun(v.ctx, v.orgId, id);
  return c.redirect(`/console/runs/${next.runId}?retried=1`, 303);
}
