/**
 * `switchyard listen <trigger_id> --forward <url>`: forwards every new event of a trigger to
 * a local server, prints one line per event and records the local answer in Switchyard
 * (`POST …/events/{id}/forwards`). `--new <provider>` creates the trigger first.
 * `switchyard tail`: follows new events and their runs, one line each.
 */
import { call, requireOrg } from "../lib/api.mjs";
import { connectFor, intOption, optionsOf } from "../lib/command.mjs";
import { UsageError } from "../lib/errors.mjs";
import { follow } from "../lib/follow.mjs";
import { paint, statusColor } from "../lib/output.mjs";

/** Request headers never forwarded: hop-by-hop ones (RFC 9110 §7.6.1), ones fetch sets itself, and credentials. */
const DROP = new Set([
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length",
  "authorization", "proxy-authorization", "cookie", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "true-client-ip",
]);
const dropped = (name) => DROP.has(name) || name.startsWith("cf-") || name.startsWith("x-switchyard-");
const BODY_KEEP = 2048;

/** The headers to send locally: the event's own, minus hop-by-hop, proxy and credential headers. */
export function forwardHeaders(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (!dropped(k.toLowerCase())) out[k] = v;
  return out;
}

async function forwardOne(c, event, target, timeoutMs) {
  const full = await call(c.api.GET("/v1/orgs/{org_id}/events/{event_id}", { params: { path: { org_id: c.org, event_id: event.event_id }, query: { raw: "true" } } }));
  const t0 = performance.now();
  let status = null;
  let body = null;
  let error = null;
  try {
    const res = await fetch(target, { method: "POST", headers: forwardHeaders(full.headers), body: full.body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    body = (await res.text()).slice(0, BODY_KEEP);
  } catch (err) {
    error = err?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : String(err?.cause?.code ?? err?.cause?.message ?? err?.message ?? err).slice(0, 500);
  }
  const ms = Math.round(performance.now() - t0);
  // Record the local answer; a refusal here is reported, never fatal to the session.
  let recorded = true;
  try {
    await call(c.api.POST("/v1/orgs/{org_id}/events/{event_id}/forwards", { params: { path: { org_id: c.org, event_id: event.event_id } }, body: { target, status, response_body: body, duration_ms: ms, error } }));
  } catch (err) {
    recorded = false;
    process.stderr.write(`${paint("warning", "yellow", process.stderr)}: could not record the forward of ${event.event_id}: ${err.message}\n`);
  }
  return { status, error, ms, recorded };
}

const now = () => new Date().toISOString().slice(11, 23);

async function createTrigger(c, provider, o) {
  if (!o.app) throw new UsageError("--new needs --app <app_id> (the app the trigger belongs to)");
  const t = await call(c.api.POST("/projects/{project_id}/triggers", { params: { path: { project_id: o.app } }, body: { provider_id: provider, trigger_id: o.triggerType ?? "on_any_event" } }), "creating the trigger");
  await call(c.api.POST("/triggers/{project_trigger_id}/enable", { params: { path: { project_trigger_id: t.project_trigger_id } } }));
  return t;
}

/** Stops `follow` on SIGINT/SIGTERM, so the process ends with exit code 0. */
function stopOnSignal() {
  const ac = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => ac.abort());
  return ac.signal;
}

/** Registers `listen` and `tail` on `program`. */
export function registerListen(program) {
  program
    .command("listen")
    .description("forward a trigger's new events to a local server and record its answers")
    .argument("[trigger_id]", "the trigger to listen to (or --new <provider>)")
    .requiredOption("--forward <url>", "local URL to forward to, e.g. http://localhost:3000/webhooks")
    .option("--new <provider>", "create a trigger for this provider first and print its webhook URL")
    .option("--app <app_id>", "the app for --new")
    .option("--trigger-type <id>", "the provider trigger for --new (default on_any_event)")
    .option("--since <time>", "also forward events received since this ISO-8601 time")
    .option("--last <n>", "also forward the last N events first", intOption("--last"))
    .option("--interval <ms>", "poll interval in milliseconds (default 500)", intOption("--interval"))
    .option("--timeout <ms>", "local request timeout in milliseconds (default 10000)", intOption("--timeout"))
    .action(async (triggerId, _o, cmd) => {
      const o = optionsOf(cmd);
      if (!triggerId === !o.new) throw new UsageError("give a trigger id or --new <provider>, not both");
      let target;
      try {
        target = new URL(o.forward).toString();
      } catch {
        throw new UsageError(`--forward "${o.forward}" is not a URL`);
      }
      const c = connectFor(cmd);
      c.org = requireOrg(c);
      const trigger = o.new
        ? await createTrigger(c, o.new, o)
        : await call(c.api.GET("/triggers/{project_trigger_id}", { params: { path: { project_trigger_id: triggerId } } }));
      const url = trigger.webhook_data?.webhook_url ? new URL(trigger.webhook_data.webhook_url, c.url).toString() : undefined;
      if (!o.json) {
        process.stderr.write(`${paint("listening", "green", process.stderr)} on trigger ${trigger.project_trigger_id} (${trigger.provider_id}/${trigger.trigger_id})${url ? `\nwebhook URL: ${url}` : ""}\nforwarding to ${target}  (Ctrl-C to stop)\n`);
      }
      await follow(c, {
        trigger: trigger.project_trigger_id, since: o.since, last: o.last, intervalMs: o.interval, signal: stopOnSignal(),
        onRetry: (err) => process.stderr.write(`${paint("reconnecting", "yellow", process.stderr)}: ${err.message}\n`),
        onEvent: async (e) => {
          const r = await forwardOne(c, e, target, o.timeout ?? 10_000);
          if (o.json) return void process.stdout.write(`${JSON.stringify({ event_id: e.event_id, event_type: e.event_type, received_at: e.received_at, status: r.status, error: r.error, duration_ms: r.ms, recorded: r.recorded })}\n`);
          const shown = r.status === null ? paint(`error ${r.error}`, "red") : statusColor(r.status);
          process.stdout.write(`${now()}  ${(e.event_type ?? "(no type)").padEnd(28)} ${e.event_id}  → ${shown}  ${r.ms} ms\n`);
        },
      });
    });

  program
    .command("tail")
    .description("follow new events and runs live, one line each")
    .option("--trigger <trigger_id>", "only this trigger's events")
    .option("--interval <ms>", "poll interval in milliseconds (default 1000)", intOption("--interval"))
    .action(async (_o, cmd) => {
      const o = optionsOf(cmd);
      const c = connectFor(cmd);
      c.org = requireOrg(c);
      const signal = stopOnSignal();
      let since = new Date().toISOString();
      const seenRuns = new Map();
      const pollRuns = async () => {
        const page = await call(c.api.GET("/v1/orgs/{org_id}/runs", { params: { path: { org_id: c.org }, query: { limit: 50 } } }));
        for (const r of page.runs.slice().reverse()) {
          const key = `${r.run_id}:${r.status}`;
          if (seenRuns.has(key) || r.triggered_at < since) continue;
          seenRuns.set(key, true);
          if (o.json) process.stdout.write(`${JSON.stringify({ kind: "run", ...r })}\n`);
          else process.stdout.write(`${now()}  run    ${r.run_id}  ${statusColor(r.status)}  attempt ${r.attempt}${r.response_status ? `  HTTP ${r.response_status}` : ""}${r.error_code ? `  ${r.error_code}` : ""}\n`);
        }
      };
      const runsLoop = (async () => {
        while (!signal.aborted) {
          await pollRuns().catch(() => undefined);
          await new Promise((r) => setTimeout(r, o.interval ?? 1000));
        }
      })();
      await follow(c, {
        trigger: o.trigger, since, intervalMs: o.interval ?? 1000, signal,
        onRetry: (err) => process.stderr.write(`${paint("reconnecting", "yellow", process.stderr)}: ${err.message}\n`),
        onEvent: async (e) => {
          if (o.json) return void process.stdout.write(`${JSON.stringify({ kind: "event", ...e })}\n`);
          process.stdout.write(`${now()}  event  ${e.event_id}  ${(e.event_type ?? "(no type)").padEnd(24)} ${statusColor(e.status)}  trigger ${e.project_trigger_id}\n`);
        },
      });
      await runsLoop;
    });
}
