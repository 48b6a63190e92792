import { invalid } from "../../core/errors";
import { listProviderTriggers, PROVIDER_IDS } from "../../providers/catalog";
import { listApps } from "../../services/apps";
import { listConnections } from "../../services/connections";
import { lastEventTimes } from "../../services/events";
import { createTrigger, listOrgTriggers, setTriggerStatus } from "../../services/triggers";
import { listWorkspaces } from "../../services/workspaces";
import { Act, Copy, Empty, Status, When } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/** Every catalog trigger as a `provider_id:trigger_id` option. */
const CATALOG_OPTIONS = PROVIDER_IDS.flatMap((p) => (listProviderTriggers(p) ?? []).map((t) => ({ value: `${p}:${t.trigger_id}`, label: `${p} · ${t.trigger_name} (${t.trigger_type})` })));

/** Triggers: webhook URL with a copy button, status with enable/disable, provider, last event; a create form driven by the provider catalog (editor+). */
export async function triggersPage(c: CC) {
  const v = viewOf(c);
  const list = await listOrgTriggers(v.ctx, v.orgId);
  const last = await lastEventTimes(v.ctx, v.orgId, list.map((t) => t.project_trigger_id));
  const origin = new URL(c.req.url).origin;
  const editor = v.can("editor");
  const [workspaces, conns] = editor ? await Promise.all([listWorkspaces(v.ctx, v.orgId, { limit: 20 }), listConnections(v.ctx, v.orgId, { limit: 200 }).catch(() => null)]) : [null, null];
  const apps = workspaces ? (await Promise.all(workspaces.items.map((w) => listApps(v.ctx, v.orgId, w.workspace_id, { limit: 50 })))).flatMap((p) => p.items) : [];
  return c.html(
    <Layout title="Triggers" current="triggers" csrf={v.csrf} who={v.who} flash={c.req.query("created") ? { kind: "ok", text: "Trigger created (disabled): enable it to accept events." } : null}>
      {list.length ? (
        <table>
          <thead>
            <tr><th scope="col">provider</th><th scope="col">trigger</th><th scope="col">project</th><th scope="col">webhook URL</th><th scope="col">status</th><th scope="col">last event</th>{editor ? <th scope="col">change</th> : null}</tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr data-trigger={t.project_trigger_id}>
                <td>{t.provider_id}</td>
                <td>{t.trigger_id}<br /><span class="muted">{t.project_trigger_id}</span></td>
                <td>{t.project_name ?? t.project_id}</td>
                <td>{t.webhook_data ? <Copy text={`${origin}/v1/webhooks/${t.project_trigger_id}`} label="Copy the webhook URL" /> : <span class="muted">{t.provider_id === "schedule" ? "scheduled" : "polling"}</span>}</td>
                <td><Status value={t.status} /></td>
                <td><When at={last.get(t.project_trigger_id)} /></td>
                {editor ? (
                  <td>
                    <Act action={`/console/triggers/${t.project_trigger_id}/${t.status === "ENABLED" ? "disable" : "enable"}`} csrf={v.csrf} label={t.status === "ENABLED" ? "Disable" : "Enable"} allowed={editor} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>No triggers yet. {editor ? "Create one below: a generic webhook (provider webhook, any event) needs nothing else." : "Ask an editor to create one."}</Empty>
      )}
      {editor ? (
        <section>
          <h2>New trigger</h2>
          {apps.length ? (
            <form method="post" action="/console/triggers" class="stack">
              <input type="hidden" name="_csrf" value={v.csrf} />
              <label>
                provider trigger
                <select name="catalog" required>
                  {CATALOG_OPTIONS.map((o) => <option value={o.value}>{o.label}</option>)}
                </select>
              </label>
              <label>
                project
                <select name="project_id" required>
                  {apps.map((a) => <option value={a.app_id}>{a.name}</option>)}
                </select>
              </label>
              <label>
                connection (signing secret or credentials)
                <select name="connection_id">
                  <option value="">none</option>
                  {(conns?.items ?? []).map((k) => <option value={k.connection_id}>{`${k.provider_id} · ${k.name}`}</option>)}
                </select>
              </label>
              <label>
                trigger_config (JSON object; polling: url, items_path, id_field, polling_frequency; schedule: cron, timezone)
                <textarea name="trigger_config" rows={3}>{"{}"}</textarea>
              </label>
              <button type="submit">Create trigger</button>
            </form>
          ) : (
            <p>Create a workspace and an app (project) through the API first; see the README.</p>
          )}
        </section>
      ) : null}
    </Layout>,
  );
}

/** POST create (editor+; the service validates the catalog ids, the config and the connection). */
export async function createTriggerAction(c: CC) {
  const v = viewOf(c);
  const form = await c.req.parseBody();
  const [providerId, triggerId] = String(form.catalog ?? "").split(":");
  let config: Record<string, unknown> | null = null;
  const raw = String(form.trigger_config ?? "").trim();
  if (raw && raw !== "{}") {
    try {
      config = JSON.parse(raw);
    } catch {
      throw invalid(["body", "trigger_config"], "trigger_config is not valid JSON", raw);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw invalid(["body", "trigger_config"], "trigger_config must be a JSON object", raw);
  }
  c.set("audit", { action: "trigger.create", targetType: "trigger" });
  const row = await createTrigger(v.ctx, String(form.project_id ?? ""), {
    provider_id: providerId ?? "", trigger_id: triggerId ?? "", connection_id: form.connection_id ? String(form.connection_id) : null, trigger_config: config,
  });
  c.set("audit", { action: "trigger.create", targetType: "trigger", targetId: row.projectTriggerId });
  return c.redirect("/console/triggers?created=1", 303);
}

/** POST enable / disable (editor+, as REST). */
export async function triggerStatusAction(c: CC, status: "ENABLED" | "DISABLED") {
  const v = viewOf(c);
  const id = c.req.param("trigger_id")!;
  c.set("audit", { action: status === "ENABLED" ? "trigger.enable" : "trigger.disable", targetType: "trigger", targetId: id });
  await setTriggerStatus(v.ctx, id, status);
  return c.redirect("/console/triggers", 303);
}
