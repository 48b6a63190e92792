/** `switchyard pipelines list|run|status|stop`, over the unified face (`/api/v2/pipelines`, `/api/v2/actions`). */
import { call, requireOrg, unified } from "../lib/api.mjs";
import { collect, connectFor, optionsOf, pairs, show } from "../lib/command.mjs";
import { statusColor } from "../lib/output.mjs";

const COLUMNS = [
  ["PIPELINE_ID", (p) => p.pipeline_id],
  ["NAME", (p) => p.name],
  ["STATE", (p) => statusColor(p.state)],
  ["STEP", (p) => (p.current_step ?? "")],
  ["STEPS", (p) => p.steps?.length ?? 0],
];

/** Registers `pipelines` on `program`. */
export function registerPipelines(program) {
  const group = program.command("pipelines").description("list, run, inspect and stop pipelines");
  group
    .command("list")
    .description("list the org's pipelines")
    .option("--app <app_id>", "only this app's pipelines")
    .action(async (_o, cmd) => {
      const c = connectFor(cmd);
      const o = optionsOf(cmd);
      const data = await call(c.api.GET("/api/v2/pipelines", { params: { query: { org_id: requireOrg(c), app_id: o.app } } }));
      show(cmd, data, { rows: (d) => d.pipelines, columns: COLUMNS });
    });
  const op = (verb, description, settings) =>
    group
      .command(verb)
      .description(description)
      .argument("<pipeline_id>")
      .option("--env <k=v>", "a variable for this run, repeatable (run only)", collect)
      .action(async (id, _o, cmd) => {
        const c = connectFor(cmd);
        const o = optionsOf(cmd);
        const { response, result } = await unified(c, { action: verb, type: "pipeline", version: 1, target: [id], ...(settings ? { settings: settings(o) } : {}) });
        show(cmd, o.json ? response : result.data ?? result);
      });
  op("run", "start a pipeline run", (o) => ({ env: pairs(o.env) }));
  op("status", "show a pipeline's state and current step");
  op("stop", "stop a running pipeline");
}
