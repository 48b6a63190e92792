import { pipelineControl, pipelineRun } from "../../services/pipeline-control";
import { listPipelines } from "../../services/pipelines";
import { Act, Empty, Pager, Status } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/** Pipelines per page of the list. */
export const PIPELINES_PAGE_SIZE = 50;

/** Pipelines: each with its steps (the current one marked) and Run, Stop, Reset (runner+), Approve and Reject (editor+). */
export async function pipelinesPage(c: CC) {
  const v = viewOf(c);
  const page = await listPipelines(v.ctx, v.orgId, undefined, { limit: PIPELINES_PAGE_SIZE, cursor: c.req.query("cursor") || undefined });
  const done = c.req.query("done");
  const base = (id: string, op: string) => `/console/pipelines/${id}/${op}`;
  return c.html(
    <Layout title="Pipelines" current="pipelines" csrf={v.csrf} who={v.who} flash={done && /^(run|stop|reset|approve|reject)$/.test(done) ? { kind: "ok", text: `Done: ${done}.` } : null}>
      {page.items.length ? (
        page.items.map((p) => (
          <section class="pipeline" data-pipeline={p.pipeline_id}>
            <h2>
              {p.name} <Status value={p.state} />
            </h2>
            {p.description ? <p>{p.description}</p> : null}
            <ol class="steps">
              {p.steps.map((s, i) => (
                <li aria-current={p.current_step === i && p.state !== "idle" ? "step" : undefined}>
                  {s.name} <span class="muted">{"type" in s && s.type === "approval" ? "approval gate" : "action"}</span>
                  {p.current_step === i && p.state !== "idle" ? <strong> ← current</strong> : null}
                </li>
              ))}
            </ol>
            <div class="buttons">
              <Act action={base(p.pipeline_id, "run")} csrf={v.csrf} label="Run" allowed={v.can("runner")} />
              <Act action={base(p.pipeline_id, "stop")} csrf={v.csrf} label="Stop" allowed={v.can("runner")} danger />
              <Act action={base(p.pipeline_id, "reset")} csrf={v.csrf} label="Reset" allowed={v.can("runner")} />
              <Act action={base(p.pipeline_id, "approve")} csrf={v.csrf} label="Approve" allowed={v.can("editor")} />
              <Act action={base(p.pipeline_id, "reject")} csrf={v.csrf} label="Reject" allowed={v.can("editor")} danger>
                <label>
                  message <input name="message" type="text" required maxlength={2000} />
                </label>
              </Act>
            </div>
          </section>
        ))
      ) : (
        <Empty>No pipelines yet. Create one with POST /api/v2/pipelines (see /docs): ordered steps, each an action or an approval gate.</Empty>
      )}
      <Pager base="/console/pipelines" params={{}} next={page.next_cursor} />
    </Layout>,
  );
}

/** POST a pipeline op: run (runner+), stop, reset (runner+), approve, reject (editor+). Conflicts (409) show the service's message. */
export async function pipelineAction(c: CC) {
  const v = viewOf(c);
  const id = c.req.param("pipeline_id")!;
  const op = c.req.param("op") as "run" | "stop" | "reset" | "approve" | "reject";
  const form = await c.req.parseBody();
  const message = typeof form.message === "string" && form.message.trim() ? form.message.trim().slice(0, 2000) : undefined;
  c.set("audit", { action: `${op}.pipeline`, targetType: "pipeline", targetId: id });
  if (op === "run") await pipelineRun(v.ctx, id, undefined, ["path", "pipeline_id"]);
  else await pipelineControl(v.ctx, op, id, message, ["path", "pipeline_id"]);
  return c.redirect(`/console/pipelines?done=${op}`, 303);
}
