import { AppError } from "../../core/errors";
import { decide, listPendingApprovals } from "../../services/approvals";
import { pipelineControl } from "../../services/pipeline-control";
import { Empty, When } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout, type Flash } from "./layout";

function DecisionForm(p: { action: string; csrf: string; label: string }) {
  return (
    <form method="post" action={p.action} class="decide">
      <input type="hidden" name="_csrf" value={p.csrf} />
      <label>
        message <input name="message" type="text" maxlength={2000} aria-label={`message for ${p.label}`} />
      </label>
      <button type="submit" name="decision" value="approve">Approve</button>
      <button type="submit" name="decision" value="reject" class="danger">Reject</button>
    </form>
  );
}

/** Approvals: the inbox of runs and pipeline gates in pending_approval, each with Approve, Reject and a message (editor+ sees the forms). */
export async function approvalsPage(c: CC, flash: Flash | null = null, status: 200 | 409 | 422 = 200) {
  const v = viewOf(c);
  const box = await listPendingApprovals(v.ctx, v.orgId);
  const done = c.req.query("decided");
  const f = flash ?? (done === "approve" ? { kind: "ok" as const, text: "Approved." } : done === "reject" ? { kind: "ok" as const, text: "Rejected." } : null);
  const editor = v.can("editor");
  return c.html(
    <Layout title="Approvals" current="approvals" csrf={v.csrf} who={v.who} flash={f}>
      {box.runs.length + box.gates.length === 0 ? <Empty>Nothing is waiting for approval. Runs of actions with approval_required, and pipeline approval steps, wait here.</Empty> : null}
      {box.runs.length ? (
        <section>
          <h2>Runs</h2>
          <table>
            <thead>
              <tr><th scope="col">action</th><th scope="col">run</th><th scope="col">waiting since</th>{editor ? <th scope="col">decision</th> : null}</tr>
            </thead>
            <tbody>
              {box.runs.map((r) => (
                <tr data-run={r.runId}>
                  <td>{r.action_name ?? r.actionId}</td>
                  <td><a href={`/console/runs/${r.runId}`}>{r.runId}</a></td>
                  <td><When at={r.triggeredAt} /></td>
                  {editor ? <td><DecisionForm action={`/console/approvals/runs/${r.runId}`} csrf={v.csrf} label={`run ${r.runId}`} /></td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {box.gates.length ? (
        <section>
          <h2>Pipeline gates</h2>
          <table>
            <thead>
              <tr><th scope="col">pipeline</th><th scope="col">run</th><th scope="col">step</th><th scope="col">waiting since</th>{editor ? <th scope="col">decision</th> : null}</tr>
            </thead>
            <tbody>
              {box.gates.map((g) => (
                <tr data-pipeline-run={g.pipeline_run_id}>
                  <td><a href="/console/pipelines">{g.pipeline_name ?? g.pipeline_id}</a></td>
                  <td>{g.pipeline_run_id}</td>
                  <td>{g.current_step + 1}</td>
                  <td><When at={g.updated_at} /></td>
                  {editor ? <td><DecisionForm action={`/console/approvals/gates/${g.pipeline_id}`} csrf={v.csrf} label={`pipeline ${g.pipeline_name ?? g.pipeline_id}`} /></td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </Layout>,
    status,
  );
}

async function decision(c: CC): Promise<{ decision: "approve" | "reject"; message: string | undefined }> {
  const form = await c.req.parseBody();
  const d = form.decision === "reject" ? "reject" : "approve";
  const m = typeof form.message === "string" && form.message.trim() ? form.message.trim().slice(0, 2000) : undefined;
  return { decision: d, message: m };
}

/**
 * POST a decision (editor+; tenancy first). A decision someone else already took (409) or a
 * refused one (422, e.g. a rejection without a message for a gate) renders the inbox again
 * with the reason — which names who decided — instead of an error page.
 */
export async function decideAction(c: CC, kind: "runs" | "gates") {
  const v = viewOf(c);
  const id = c.req.param("id")!;
  const d = await decision(c);
  c.set("audit", { action: kind === "runs" ? `run.${d.decision}` : `pipeline.${d.decision}`, targetType: kind === "runs" ? "run" : "pipeline", targetId: id, details: { message: d.message ?? null } });
  try {
    if (kind === "runs") await decide(v.ctx, id, d.decision, d.message);
    else await pipelineControl(v.ctx, d.decision, id, d.message, ["path", "pipeline_id"]);
  } catch (err) {
    if (err instanceof AppError && (err.status === 409 || err.status === 422)) return approvalsPage(c, { kind: "error", text: err.message }, err.status);
    throw err;
  }
  return c.redirect(`/console/approvals?decided=${d.decision}`, 303);
}
