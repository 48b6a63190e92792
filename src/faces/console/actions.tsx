import type { Child } from "hono/jsx";
import { invalid } from "../../core/errors";
import { findActionById, listOrgActions, triggerAction } from "../../services/actions";
import { Empty, Facts, Json, Pager, Status, When } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/** Actions per page of the list. */
export const ACTIONS_PAGE_SIZE = 50;

const schedule = (a: { scheduleType: string | null; cronExpression: string | null; timezone: string | null; scheduledAt: string | null }) =>
  a.scheduleType === "cron" ? `cron ${a.cronExpression} (${a.timezone ?? "UTC"})` : a.scheduleType === "once" ? `once at ${a.scheduledAt}` : "—";

/** Actions: the list with counters, schedule and next_run_at. */
export async function actionsPage(c: CC) {
  const v = viewOf(c);
  const cursor = c.req.query("cursor") || undefined;
  const page = await listOrgActions(v.ctx, v.orgId, { limit: ACTIONS_PAGE_SIZE, cursor });
  return c.html(
    <Layout title="Actions" current="actions" csrf={v.csrf} who={v.who}>
      {page.items.length ? (
        <table>
          <thead>
            <tr><th scope="col">action</th><th scope="col">enabled</th><th scope="col">runs</th><th scope="col">succeeded</th><th scope="col">failed</th><th scope="col">running</th><th scope="col">schedule</th><th scope="col">next run</th><th scope="col">last</th></tr>
          </thead>
          <tbody>
            {page.items.map((a) => (
              <tr>
                <td><a href={`/console/actions/${a.actionId}`}>{a.name}</a></td>
                <td>{a.isEnabled ? "yes" : "no"}</td>
                <td>{a.totalRuns}</td><td>{a.successfulRuns}</td><td>{a.failedRuns}</td><td>{a.runningCount}</td>
                <td>{schedule(a)}</td>
                <td><When at={a.nextRunAt} /></td>
                <td><Status value={a.lastRunStatus} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>No actions yet. Create one with POST …/apps/{"{app_id}"}/actions (see /docs): it names an endpoint, a payload template and the triggers that feed it.</Empty>
      )}
      <Pager base="/console/actions" params={{}} next={page.next_cursor} />
    </Layout>,
  );
}

type Prop = { type?: string | string[]; enum?: unknown[]; description?: string; title?: string; default?: unknown };

/** One input of the Run now form, from one property of `manual_inputs_schema`. */
function Field(p: { name: string; prop: Prop; required: boolean }): Child {
  const label = `${p.prop.title ?? p.name}${p.required ? " (required)" : ""}`;
  const t = Array.isArray(p.prop.type) ? p.prop.type[0] : p.prop.type;
  const name = `in.${p.name}`;
  if (p.prop.enum) {
    return (
      <label>
        {label}
        <select name={name} required={p.required}>
          {p.prop.enum.map((e) => <option value={JSON.stringify(e)}>{String(e)}</option>)}
        </select>
      </label>
    );
  }
  if (t === "boolean") return <label><input type="checkbox" name={name} value="true" /> {label}</label>;
  if (t === "number" || t === "integer") return <label>{label}<input type="number" name={name} step={t === "integer" ? "1" : "any"} required={p.required} /></label>;
  if (t === "string" || t === undefined) return <label>{label}<input type="text" name={name} required={p.required} /></label>;
  return <label>{`${label} — JSON`}<textarea name={name} rows={3} required={p.required}></textarea></label>;
}

/** One action: facts, counters, schedule, next_run_at, and Run now with a form generated from `manual_inputs_schema` (runner+). */
export async function actionPage(c: CC) {
  const v = viewOf(c);
  // Every org role may read an action; a write checks its own role in the service.
  const { row: a } = await findActionById(v.ctx, c.req.param("action_id")!, "action", ["path", "action_id"]);
  const schema = (a.manualInputsSchema ?? null) as { properties?: Record<string, Prop>; required?: string[] } | null;
  const props = Object.entries(schema?.properties ?? {});
  return c.html(
    <Layout title={`Action ${a.name}`} current="actions" csrf={v.csrf} who={v.who}>
      <Facts
        items={[
          ["enabled", a.isEnabled ? "yes" : "no"],
          ["description", a.description ?? "—"],
          ["runs / succeeded / failed / running", `${a.totalRuns} / ${a.successfulRuns} / ${a.failedRuns} / ${a.runningCount}`],
          ["schedule", schedule(a)],
          ["next run", <When at={a.nextRunAt} />],
          ["last run", <><Status value={a.lastRunStatus} /> <When at={a.lastRunAt} /></>],
          ["approval required", a.approvalRequired ? "yes" : "no"],
          ["retries", `${a.maxRetries} (every ${a.retryDelaySeconds} s, growing)`],
          ["triggers", a.triggerIds.length ? a.triggerIds.join(", ") : "none (manual, API or schedule only)"],
          ["last error", a.lastError ?? "—"],
        ]}
      />
      <p><a href={`/console/runs?action_id=${a.actionId}`}>Runs of this action</a></p>
      <h2>Payload template</h2>
      <Json value={a.payload} />
      {v.can("runner") ? (
        <section>
          <h2>Run now</h2>
          <form method="post" action={`/console/actions/${a.actionId}/run`} class="stack">
            <input type="hidden" name="_csrf" value={v.csrf} />
            {props.map(([name, prop]) => <Field name={name} prop={prop} required={(schema?.required ?? []).includes(name)} />)}
            <button type="submit" disabled={!a.isEnabled}>Run now</button>
          </form>
        </section>
      ) : null}
    </Layout>,
  );
}

/** Form fields `in.<name>` → inputs, typed by the schema (numbers, booleans, enums and JSON). */
function inputsOf(form: Record<string, unknown>, schema: { properties?: Record<string, Prop> } | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    const raw = form[`in.${name}`];
    const t = Array.isArray(prop.type) ? prop.type[0] : prop.type;
    if (t === "boolean") {
      out[name] = raw === "true";
      continue;
    }
    if (typeof raw !== "string" || raw === "") continue;
    if (prop.enum) out[name] = JSON.parse(raw);
    else if (t === "number" || t === "integer") out[name] = Number(raw);
    else if (t === "string" || t === undefined) out[name] = raw;
    else {
      try {
        out[name] = JSON.parse(raw);
      } catch {
        throw invalid(["body", "inputs", name], `${name} must be JSON`, raw);
      }
    }
  }
  return out;
}

/** POST Run now (runner+): inputs are validated against manual_inputs_schema by the service; shows the new run. */
export async function runActionNow(c: CC) {
  const v = viewOf(c);
  const { row: a } = await findActionById(v.ctx, c.req.param("action_id")!, "action", ["path", "action_id"]);
  const form = await c.req.parseBody();
  let inputs: Record<string, unknown>;
  try {
    inputs = inputsOf(form, a.manualInputsSchema as { properties?: Record<string, Prop> } | null);
  } catch (err) {
    if (err instanceof SyntaxError) throw invalid(["body", "inputs"], "an enum value is not valid", null);
    throw err;
  }
  c.set("audit", { action: "action.trigger", targetType: "action", targetId: a.actionId });
  const started = await triggerAction(v.ctx, { orgId: a.orgId, workspaceId: a.workspaceId, appId: a.appId }, a.actionId, { inputs });
  return c.redirect(`/console/runs/${started.run_id}`, 303);
}
