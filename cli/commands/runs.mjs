/**
 * `switchyard runs list|get|retry`, `switchyard approve|reject <run_id>` and
 * `switchyard trigger <action_id> --input k=v…`.
 */
import { Option } from "commander";
import { call, requireOrg, unified } from "../lib/api.mjs";
import { collect, connectFor, intOption, optionsOf, pairs, show } from "../lib/command.mjs";
import { statusColor } from "../lib/output.mjs";

export const RUN_COLUMNS = [
  ["RUN_ID", (r) => r.run_id],
  ["TRIGGERED", (r) => (r.triggered_at ?? "").replace("T", " ").slice(0, 19)],
  ["ACTION", (r) => r.action_id],
  ["STATUS", (r) => statusColor(r.status)],
  ["ATTEMPT", (r) => r.attempt],
  ["HTTP", (r) => r.response_status ?? ""],
  ["ERROR", (r) => r.error_code ?? ""],
];
const RUN_STATUSES = ["pending", "pending_approval", "running", "success", "failed", "cancelled", "rejected"];

/** Registers `runs`, `approve`, `reject` and `trigger` on `program`. */
export function registerRuns(program) {
  const runs = program.command("runs").description("inspect and retry action runs");
  runs
    .command("list")
    .description("list the org's runs, newest first")
    .option("--action <action_id>", "only this action's runs")
    .addOption(new Option("--status <status>", "only runs in this state").choices(RUN_STATUSES))
    .option("--limit <n>", "how many (1-200, default 50)", intOption("--limit"))
    .action(async (_o, cmd) => {
      const c = connectFor(cmd);
      const o = optionsOf(cmd);
      const data = await call(c.api.GET("/v1/orgs/{org_id}/runs", { params: { path: { org_id: requireOrg(c) }, query: { action_id: o.action, status: o.status, limit: o.limit ?? 50 } } }));
      show(cmd, data, { rows: (d) => d.runs, columns: RUN_COLUMNS });
    });
  runs
    .command("get")
    .description("show one run with every attempt of its execution")
    .argument("<run_id>")
    .action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      const data = await call(c.api.GET("/v1/orgs/{org_id}/runs/{run_id}", { params: { path: { org_id: requireOrg(c), run_id: id } } }));
      show(cmd, data, optionsOf(cmd).json ? {} : { rows: (d) => d.attempts, columns: RUN_COLUMNS });
    });
  runs
    .command("retry")
    .description("retry a failed run now (a new attempt with the same webhook-id)")
    .argument("<run_id>")
    .action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      show(cmd, await call(c.api.POST("/v1/orgs/{org_id}/runs/{run_id}/retry", { params: { path: { org_id: requireOrg(c), run_id: id } } })));
    });

  program
    .command("approve")
    .description("approve a run that waits for approval")
    .argument("<run_id>")
    .option("-m, --message <msg>", "why")
    .action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      const o = optionsOf(cmd);
      show(cmd, await call(c.api.POST("/v1/runs/{run_id}/approve", { params: { path: { run_id: id } }, body: o.message ? { message: o.message } : {} })));
    });
  program
    .command("reject")
    .description("reject a run that waits for approval (a message is required)")
    .argument("<run_id>")
    .requiredOption("-m, --message <msg>", "why (stored as the run's decision message)")
    .action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      show(cmd, await call(c.api.POST("/v1/runs/{run_id}/reject", { params: { path: { run_id: id } }, body: { message: optionsOf(cmd).message } })));
    });
  program
    .command("trigger")
    .description("run an action now with manual inputs")
    .argument("<action_id>")
    .option("--input <k=v>", "a manual input, repeatable (values that parse as JSON are used parsed)", collect)
    .action(async (id, _o, cmd) => {
      const c = connectFor(cmd);
      const inputs = pairs(optionsOf(cmd).input);
      const { response, result } = await unified(c, { action: "run", type: "task", version: 1, target: [id], settings: { inputs } });
      if (optionsOf(cmd).json) return show(cmd, response);
      show(cmd, result.data ?? result);
    });
}
