/** `switchyard events list|get|replay`: the org's stored events, with each one's local forwards. */
import { Option } from "commander";
import { call, requireOrg } from "../lib/api.mjs";
import { connectFor, intOption, optionsOf, show } from "../lib/command.mjs";
import { paint, printJson, printObject, printTable, statusColor } from "../lib/output.mjs";

export const EVENT_COLUMNS = [
  ["EVENT_ID", (e) => e.event_id],
  ["RECEIVED", (e) => e.received_at.replace("T", " ").slice(0, 19)],
  ["TYPE", (e) => e.event_type ?? ""],
  ["STATUS", (e) => statusColor(e.status)],
  ["TRIGGER", (e) => e.project_trigger_id],
];

/** Registers `events` on `program`. */
export function registerEvents(program) {
  const events = program.command("events").description("inspect and replay received events");
  events
    .command("list")
    .description("list events, newest first")
    .option("--trigger <trigger_id>", "only this trigger's events")
    .addOption(new Option("--status <status>", "only events in this state").choices(["received", "routed", "unmatched", "failed"]))
    .option("--since <time>", "only events received at or after this ISO-8601 time")
    .option("--limit <n>", "how many (1-200, default 50)", intOption("--limit"))
    .action(async (_o, cmd) => {
      const c = connectFor(cmd);
      const o = optionsOf(cmd);
      const data = await call(c.api.GET("/v1/orgs/{org_id}/events", {
        params: { path: { org_id: requireOrg(c) }, query: { trigger_id: o.trigger, status: o.status, since: o.since, limit: o.limit ?? 50 } },
      }));
      show(cmd, data, { rows: (d) => d.events, columns: EVENT_COLUMNS });
    });
  events
    .command("get")
    .description("show one event with its headers, body and local forwards")
    .argument("<event_id>")
    .action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      const path = { org_id: requireOrg(c), event_id: id };
      const event = await call(c.api.GET("/v1/orgs/{org_id}/events/{event_id}", { params: { path } }));
      const { forwards } = await call(c.api.GET("/v1/orgs/{org_id}/events/{event_id}/forwards", { params: { path } }));
      if (optionsOf(cmd).json) return printJson({ ...event, forwards });
      const { headers, body, ...summary } = event;
      printObject(summary);
      process.stdout.write(`${paint("headers", "bold")}\n${JSON.stringify(headers, null, 2)}\n${paint("body", "bold")}\n${typeof body === "string" ? body : JSON.stringify(body, null, 2)}\n`);
      process.stdout.write(`${paint("forwards", "bold")}\n`);
      printTable(forwards, [["FORWARDED", (f) => f.forwarded_at.replace("T", " ").slice(0, 19)], ["TARGET", (f) => f.target], ["STATUS", (f) => (f.status === null ? paint(f.error ?? "error", "red") : statusColor(f.status))], ["MS", (f) => f.duration_ms]]);
    });
  events
    .command("replay")
    .description("store a copy of the event and route it again")
    .argument("<event_id>")
    .action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      show(cmd, await call(c.api.POST("/v1/orgs/{org_id}/events/{event_id}/replay", { params: { path: { org_id: requireOrg(c), event_id: id } } })));
    });
}
