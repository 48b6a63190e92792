/**
 * `switchyard orgs|workspaces|apps|endpoints|connections|triggers|actions list|get|create|delete`,
 * and `switchyard triggers enable|disable <id>`. One table drives them all: each resource
 * names its API paths, its scope (org, workspace, app), its create flags and its columns.
 */
import { Option } from "commander";
import { call, requireOrg } from "../lib/api.mjs";
import { connectFor, dataOption, optionsOf, pairs, collect, show } from "../lib/command.mjs";
import { UsageError } from "../lib/errors.mjs";
import { statusColor } from "../lib/output.mjs";

const wsOpt = () => new Option("--workspace <workspace_id>", "workspace id").env("SWITCHYARD_WORKSPACE");
const appOpt = () => new Option("--app <app_id>", "app id").env("SWITCHYARD_APP");

const need = (o, key, flag) => {
  if (!o[key]) throw new UsageError(`${flag} is required`);
  return o[key];
};
const orgPath = (c) => ({ org_id: requireOrg(c) });
const wsPath = (c, o) => ({ ...orgPath(c), workspace_id: need(o, "workspace", "--workspace") });
const appPath = (c, o) => ({ ...wsPath(c, o), app_id: need(o, "app", "--app") });
const ago = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "");

/** @type {Record<string, any>} */
const RESOURCES = {
  orgs: {
    one: "org", id: "org_id", scope: [],
    list: "/v1/orgs", item: "/v1/orgs/{org_id}", listKey: "orgs",
    path: () => ({}), idPath: (_c, _o, id) => ({ org_id: id }),
    flags: [["--name <name>", "org name", true]],
    body: (o) => ({ name: o.name }),
    columns: [["ORG_ID", (r) => r.org_id], ["NAME", (r) => r.name], ["CREATED", (r) => ago(r.created_at)]],
  },
  workspaces: {
    one: "workspace", id: "workspace_id", scope: [],
    list: "/v1/orgs/{org_id}/workspaces", item: "/v1/orgs/{org_id}/workspaces/{workspace_id}", listKey: "workspaces",
    path: (c) => orgPath(c), idPath: (c, _o, id) => ({ ...orgPath(c), workspace_id: id }),
    flags: [["--name <name>", "workspace name", true]],
    body: (o) => ({ name: o.name }),
    columns: [["WORKSPACE_ID", (r) => r.workspace_id], ["NAME", (r) => r.name], ["CREATED", (r) => ago(r.created_at)]],
  },
  apps: {
    one: "app", id: "app_id", scope: [wsOpt],
    list: "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps", item: "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}", listKey: "apps",
    path: wsPath, idPath: (c, o, id) => ({ ...wsPath(c, o), app_id: id }),
    flags: [["--name <name>", "app name", true]],
    body: (o) => ({ name: o.name }),
    columns: [["APP_ID", (r) => r.app_id], ["NAME", (r) => r.name], ["WORKSPACE", (r) => r.workspace_id]],
  },
  endpoints: {
    one: "endpoint", id: "endpoint_id", scope: [wsOpt, appOpt],
    list: "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/endpoints",
    item: "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/endpoints/{endpoint_id}", listKey: "endpoints",
    path: appPath, idPath: (c, o, id) => ({ ...appPath(c, o), endpoint_id: id }),
    flags: [["--name <name>", "endpoint name", true], ["--url <url>", "where deliveries go", true], ["--method <method>", "HTTP method (default POST)"], ["--secret <secret>", 'signing secret, or "generate"']],
    body: (o) => ({ name: o.name, url: o.url, method: o.method, secret: o.secret }),
    columns: [["ENDPOINT_ID", (r) => r.endpoint_id], ["NAME", (r) => r.name], ["METHOD", (r) => r.method], ["URL", (r) => r.url], ["SIGNED", (r) => (r.has_secret ? "yes" : "no")]],
  },
  connections: {
    one: "connection", id: "connection_id", scope: [],
    list: "/v1/orgs/{org_id}/connections", item: "/v1/orgs/{org_id}/connections/{connection_id}", listKey: "connections",
    path: orgPath, idPath: (c, _o, id) => ({ ...orgPath(c), connection_id: id }),
    flags: [["--provider <provider_id>", "provider, e.g. stripe", true], ["--name <name>", "connection name", true], ["--secret <k=v>", "a credential, repeatable (e.g. signing_secret=whsec_…)", false, collect]],
    body: (o) => ({ provider_id: o.provider, name: o.name, secrets: pairs(o.secret) }),
    columns: [["CONNECTION_ID", (r) => r.connection_id], ["PROVIDER", (r) => r.provider_id], ["NAME", (r) => r.name], ["SECRETS", (r) => (r.secret_keys ?? []).join(",")]],
  },
  triggers: {
    one: "trigger", id: "project_trigger_id", scope: [appOpt],
    // Listing by app uses the project path; without --app, the org's triggers.
    list: (o) => (o.app ? "/projects/{project_id}/triggers" : "/triggers"),
    item: "/triggers/{project_trigger_id}", create: "/projects/{project_id}/triggers",
    path: (c, o) => (o.app ? { project_id: o.app } : {}),
    query: (c, o) => (o.app ? undefined : { org_id: requireOrg(c) }),
    createPath: (_c, o) => ({ project_id: need(o, "app", "--app") }),
    idPath: (_c, _o, id) => ({ project_trigger_id: id }),
    flags: [["--provider <provider_id>", "provider, e.g. stripe or generic", true], ["--trigger <trigger_id>", "the provider's trigger, e.g. webhook", true], ["--connection <connection_id>", "connection holding the signing secret"], ["--route-key <key>", "the provider's own id for routing"]],
    body: (o) => ({ provider_id: o.provider, trigger_id: o.trigger, connection_id: o.connection, route_key: o.routeKey }),
    columns: [["TRIGGER_ID", (r) => r.project_trigger_id], ["PROVIDER", (r) => r.provider_id], ["TRIGGER", (r) => r.trigger_id], ["STATUS", (r) => statusColor(r.status)], ["WEBHOOK_URL", (r) => r.webhook_data?.webhook_url ?? ""]],
  },
  actions: {
    one: "action", id: "action_id", scope: [wsOpt, appOpt],
    list: (o) => (o.app ? "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/actions" : "/v1/orgs/{org_id}/actions"),
    item: "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/actions/{action_id}", listKey: "actions",
    path: (c, o) => (o.app ? appPath(c, o) : orgPath(c)), createPath: appPath,
    idPath: (c, o, id) => ({ ...appPath(c, o), action_id: id }),
    flags: [["--name <name>", "action name", true], ["--endpoint <endpoint_id>", "where it delivers", true], ["--namespace <namespace_id>", "namespace (default: default)"], ["--on <trigger_id>", "run on this trigger's events, repeatable", false, collect]],
    body: (o) => ({ name: o.name, endpoint_id: o.endpoint, namespace_id: o.namespace ?? "default", trigger_ids: o.on }),
    columns: [["ACTION_ID", (r) => r.action_id], ["NAME", (r) => r.name], ["ENABLED", (r) => (r.is_enabled ? "yes" : "no")], ["LAST", (r) => statusColor(r.last_run_status ?? "")], ["RUNS", (r) => r.total_runs]],
  },
};

const resolve = (v, o) => (typeof v === "function" ? v(o) : v);
const strip = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** Registers every resource command group on `program`. */
export function registerResources(program) {
  for (const [name, r] of Object.entries(RESOURCES)) {
    const group = program.command(name).description(`manage ${name}`);
    const scoped = (cmd) => {
      for (const opt of r.scope) cmd.addOption(opt());
      return cmd;
    };
    scoped(group.command("list").description(`list ${name}`)).action(async (_o, cmd) => {
      const c = connectFor(cmd);
      const o = optionsOf(cmd);
      const data = await call(c.api.GET(resolve(r.list, o), { params: { path: r.path(c, o), query: r.query?.(c, o) } }));
      show(cmd, data, { rows: (d) => (Array.isArray(d) ? d : d[r.listKey] ?? []), columns: r.columns });
    });
    scoped(group.command("get").description(`show one ${r.one}`).argument(`<${r.id}>`)).action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      const data = await call(c.api.GET(r.item, { params: { path: r.idPath(c, optionsOf(cmd), id) } }));
      show(cmd, data);
    });
    const create = scoped(group.command("create").description(`create a ${r.one} (flags for the common fields, --data for the rest)`));
    for (const [flags, desc, , fn] of r.flags) (fn ? create.option(flags, desc, fn) : create.option(flags, desc));
    create.option("--data <json|@file>", "more fields as a JSON object (flags win)");
    create.action(async (_o, cmd) => {
      const c = connectFor(cmd);
      const o = optionsOf(cmd);
      const body = { ...dataOption(o.data), ...strip(r.body(o)) };
      for (const [flags, , required] of r.flags) {
        const key = flags.split(" ")[0].replace(/^--/, "").replace(/-(\w)/g, (_m, ch) => ch.toUpperCase());
        if (required && o[key] === undefined && !o.data) throw new UsageError(`${flags.split(" ")[0]} is required (or give it in --data)`);
      }
      const path = (r.createPath ?? r.path)(c, o);
      const data = await call(c.api.POST(r.create ?? resolve(r.list, o), { params: { path }, body }), `creating the ${r.one}`);
      show(cmd, data);
    });
    scoped(group.command("delete").description(`delete a ${r.one}`).argument(`<${r.id}>`)).action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      const data = await call(c.api.DELETE(r.item, { params: { path: r.idPath(c, optionsOf(cmd), id) } }));
      show(cmd, data, { done: `deleted ${r.one} ${id}` });
    });
    if (name === "triggers") {
      for (const verb of ["enable", "disable"]) {
        group.command(verb).description(`${verb} a trigger`).argument("<trigger_id>").action(async (id, _o, cmd) => {
          const c = connectFor(cmd);
          show(cmd, await call(c.api.POST(`/triggers/{project_trigger_id}/${verb}`, { params: { path: { project_trigger_id: id } } })));
        });
      }
    }
  }
}
