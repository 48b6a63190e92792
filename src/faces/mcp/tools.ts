import { z } from "@hono/zod-openapi";
import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { Ctx } from "../../core/context";
import { invalid } from "../../core/errors";
import type { AuditNote } from "../../http/router";
import { PageQuery } from "../../http/schemas";
import { findActionById, getAction, listActions, triggerAction } from "../../services/actions";
import { appScopeOf } from "../../services/apps";
import { decide } from "../../services/approvals";
import { getEvent, listEvents, replayEvent } from "../../services/events";
import { listPipelines } from "../../services/pipelines";
import { getRunById, listRuns, RUN_STATUSES } from "../../services/runs";
import { listOrgTriggers, listProjectTriggers, type TriggerOut } from "../../services/triggers";
import { ActionOut, RunOut, toActionOut, toRunOut, TriggerIn, TriggerOut as TriggeredOut } from "../actions/schema";
import { EventOut, EventQuery, EventSummary, Replayed } from "../management/events";
import { OrgTriggerOut } from "../triggers/schemas";
import { DecisionIn } from "../unified/approvals";
import { dispatchUnified, UnifiedIn, UnifiedOut } from "../unified/dispatch";
import { PipelineOutSchema } from "../unified/pipelines";
import { bodyPage, EVENT_BODY_CHARS, type Structured } from "./results";

/** Most items one MCP list call returns (REST allows 200; a model's context is smaller). */
export const MCP_PAGE_MAX = 50;
/** Items a list call returns when `limit` is not given. */
export const MCP_PAGE_DEFAULT = 20;

/** What a tool handler gets besides its arguments. */
export interface ToolEnv {
  ctx: Ctx;
  /** The origin the agent reached us at, for absolute webhook URLs. */
  origin: string;
  /** Tells the audit log what this call did (write tools only, as REST audits its non-GET calls). */
  audit: (note: AuditNote) => void;
  /** Set when the answer is a refusal although it has a structured body (pipeline_action with every target failed). */
  fail: () => void;
}

/** One MCP tool: its contract (schemas, hints, text for a model) and the service call behind it. */
export interface Tool {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  annotations: ToolAnnotations;
  /** Write tools: what the audit log records when a call is refused before it runs (invalid arguments). */
  write?: { action: string; targetType: string; targetArg?: string };
  run: (env: ToolEnv, args: never) => Promise<Structured>;
}

const tool = <I extends z.ZodObject, O extends z.ZodObject>(t: {
  name: string; title: string; description: string; input: I; output: O; annotations: ToolAnnotations;
  write?: Tool["write"];
  run: (env: ToolEnv, args: z.infer<I>) => Promise<z.infer<O>>;
}): Tool => t as unknown as Tool;

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const ID = (what: string, example: string) => z.string().min(1).max(100).describe(`${what}, e.g. ${example}`);
const UUID_EG = "0193a5c8-7b1e-7000-8000-00000000abcd";
const Limit = z.number().int().min(1).max(MCP_PAGE_MAX).default(MCP_PAGE_DEFAULT).describe(`Items per page, 1-${MCP_PAGE_MAX} (default ${MCP_PAGE_DEFAULT})`);
const Page = { limit: Limit, cursor: PageQuery.shape.cursor.describe("The next_cursor of the previous page; omit for the first page") };
const OrgArg = { org_id: ID("Only for the admin token, which has no org: the org to read. Org API keys and users always read their own org", UUID_EG).optional() };
const Truncated = { truncated: z.array(z.string()).optional().describe("Paths of long strings that were cut to fit the result size cap; fetch the single item to see them whole") };
const envelope = <K extends string, T extends z.ZodType>(key: K, item: T) =>
  z.object({ total: z.number().int(), has_more: z.boolean(), next_cursor: z.string().nullable(), ...({ [key]: z.array(item) } as { [P in K]: z.ZodArray<T> }), ...Truncated });

/** The org a tool reads: the caller's own (`org_id` is ignored then, as for REST's org-less lists), or the one the admin token names. */
function orgOf(ctx: Ctx, given: string | undefined): string {
  const org = ctx.actor.orgId ?? given;
  if (!org) throw invalid(["arguments", "org_id"], "the admin token has no org: pass org_id");
  return org;
}

const TriggerWithUrl = OrgTriggerOut.extend({
  project_name: z.string().nullable().optional(),
  webhook_url: z.string().nullable().describe("Absolute URL providers POST to (webhook triggers); null for polling and scheduled triggers"),
});
const webhookUrl = (origin: string, data: Record<string, unknown> | null) => (typeof data?.webhook_url === "string" ? `${origin}${data.webhook_url}` : null);

/** The fixed tool set (names are a public contract: scripts depend on them). */
export const TOOLS: Tool[] = [
  tool({
    name: "list_triggers",
    title: "List triggers",
    description:
      "Lists the org's triggers (the sources events come from), newest first, each with its status (ENABLED/DISABLED), provider and absolute webhook_url. " +
      "Pass app_id (the trigger document calls it project_id) to see one app's triggers; page with cursor = next_cursor while has_more is true. " +
      "An event's project_trigger_id is a trigger id here; use list_events with trigger_id to see what a trigger received.",
    input: z.object({ app_id: ID("Only the triggers of this app (project)", UUID_EG).optional(), ...OrgArg, ...Page }),
    output: envelope("triggers", TriggerWithUrl),
    annotations: READ,
    run: async ({ ctx, origin }, a) => {
      // The trigger document's lists are not paged; the tool pages their newest-first order by id.
      const rows: (TriggerOut & { project_name?: string | null })[] = a.app_id ? await listProjectTriggers(ctx, a.app_id) : await listOrgTriggers(ctx, a.org_id);
      const after = a.cursor ? rows.filter((t) => t.project_trigger_id < a.cursor!) : rows;
      const page = after.slice(0, a.limit);
      const has_more = after.length > page.length;
      return {
        total: rows.length, has_more, next_cursor: has_more ? page[page.length - 1]!.project_trigger_id : null,
        triggers: page.map((t) => ({ ...t, webhook_url: webhookUrl(origin, t.webhook_data) })),
      };
    },
  }),
  tool({
    name: "list_actions",
    title: "List actions",
    description:
      "Lists the actions of one app, newest first. An action is a signed HTTP call to an endpoint, fired by triggers, schedules or trigger_action. " +
      "search matches name and description. Page with cursor = the previous next_cursor while has_more is true. Then use get_action, list_runs or trigger_action with an action_id.",
    input: z.object({ app_id: ID("The app whose actions to list", UUID_EG), search: z.string().max(200).optional().describe("Text to find in name or description"), ...Page }),
    output: envelope("actions", ActionOut),
    annotations: READ,
    run: async ({ ctx }, a) => {
      const page = await listActions(ctx, await appScopeOf(ctx, a.app_id, ["arguments", "app_id"]), { search: a.search, limit: a.limit, cursor: a.cursor });
      return { total: page.total, has_more: page.has_more, next_cursor: page.next_cursor, actions: page.items.map(toActionOut) };
    },
  }),
  tool({
    name: "get_action",
    title: "Get an action",
    description:
      "One action with its counters (total_runs, successful_runs, failed_runs), last_run_status, schedule and next_run_at, and manual_inputs_schema " +
      "(the JSON Schema trigger_action's inputs must satisfy). Action ids are UUIDs from list_actions.",
    input: z.object({ action_id: ID("The action's id", UUID_EG) }),
    output: ActionOut.extend(Truncated),
    annotations: READ,
    run: async ({ ctx }, a) => {
      const { scope } = await findActionById(ctx, a.action_id, "action", ["arguments", "action_id"]);
      return toActionOut(await getAction(ctx, scope, a.action_id));
    },
  }),
  tool({
    name: "trigger_action",
    title: "Trigger an action now",
    description:
      "Starts one execution of an action now (runner role or higher) and returns {execution_id, run_id, status}. inputs are checked against the action's " +
      "manual_inputs_schema (see get_action); target is passed to its templates. status is pending (queued for delivery) or pending_approval " +
      "(the action needs approval: call decide_run). Then poll get_run with run_id until status is final: success, failed, cancelled or rejected.",
    input: TriggerIn.extend({ action_id: ID("The action to run", UUID_EG) }),
    output: TriggeredOut.extend(Truncated),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    write: { action: "action.trigger", targetType: "action", targetArg: "action_id" },
    run: async ({ ctx, audit }, a) => {
      const { action_id, ...body } = a;
      audit({ action: "action.trigger", targetType: "action", targetId: action_id });
      const { scope } = await findActionById(ctx, action_id, "action", ["arguments", "action_id"]);
      const started = await triggerAction(ctx, scope, action_id, body);
      audit({ orgId: scope.orgId, action: "action.trigger", targetType: "action", targetId: action_id, details: { run_id: started.run_id, execution_id: started.execution_id } });
      const message = started.status === "pending" ? "Action triggered; the run is queued for delivery. Poll get_run until its status is final" : "Action triggered; the run is waiting for approval (decide_run)";
      return { ...started, message };
    },
  }),
  tool({
    name: "list_runs",
    title: "List an action's runs",
    description:
      "The runs (delivery attempts) of one action, newest first, optionally only one status: pending, pending_approval, running, success, failed, cancelled, rejected. " +
      "Each run has its resolved payload, response status and body (first 2 KB), error_code and error_message. Use get_run for one run.",
    input: z.object({ action_id: ID("The action whose runs to list", UUID_EG), status: z.enum(RUN_STATUSES).optional().describe("Only runs in this status"), ...Page }),
    output: envelope("runs", RunOut),
    annotations: READ,
    run: async ({ ctx }, a) => {
      const { scope } = await findActionById(ctx, a.action_id, "action", ["arguments", "action_id"]);
      const page = await listRuns(ctx, scope, a.action_id, { status: a.status, limit: a.limit, cursor: a.cursor });
      return { total: page.total, has_more: page.has_more, next_cursor: page.next_cursor, runs: page.items.map(toRunOut) };
    },
  }),
  tool({
    name: "get_run",
    title: "Get a run",
    description:
      "One run: status, attempt, the resolved request payload, the endpoint's response_status and response_body, error_code and error_message, " +
      "and who decided it if it needed approval. Poll this after trigger_action or decide_run until status is success, failed, cancelled or rejected (every few seconds; retries can take minutes).",
    input: z.object({ run_id: ID("The run's id (from trigger_action or list_runs)", UUID_EG) }),
    output: RunOut.extend(Truncated),
    annotations: READ,
    run: async ({ ctx }, a) => toRunOut(await getRunById(ctx, a.run_id, ["arguments", "run_id"])),
  }),
  tool({
    name: "decide_run",
    title: "Approve or reject a run",
    description:
      "Decides a run waiting in pending_approval (editor role or higher, as in REST). approve queues it for delivery; reject ends it as rejected and it is never sent. " +
      "Exactly one decision wins: a second one is refused with who decided first. After approve, poll get_run until status is final.",
    input: DecisionIn.extend({ run_id: ID("The run waiting in pending_approval", UUID_EG), decision: z.enum(["approve", "reject"]).describe("approve or reject") }),
    output: RunOut.extend(Truncated),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    write: { action: "run.decide", targetType: "run", targetArg: "run_id" },
    run: async ({ ctx, audit }, a) => {
      const note = (orgId: string | undefined) => audit({ orgId, action: `run.${a.decision}`, targetType: "run", targetId: a.run_id, details: { message: a.message ?? null } });
      note(ctx.actor.orgId ?? undefined);
      const run = await decide(ctx, a.run_id, a.decision, a.message);
      note(run.orgId);
      return toRunOut(run);
    },
  }),
  tool({
    name: "list_events",
    title: "List events",
    description:
      "The org's received webhook and poll events, newest first, without bodies. Filter by trigger_id (a project_trigger_id from list_triggers), " +
      "status (received, routed, unmatched, failed) and received time (since/until, ISO-8601). matched_actions names the actions an event started. " +
      "Use get_event for headers and body, replay_event to route an event again.",
    input: EventQuery.omit({ limit: true, cursor: true }).extend({ ...Page, ...OrgArg }),
    output: envelope("events", EventSummary),
    annotations: READ,
    run: async ({ ctx }, a) => {
      const { limit, cursor, org_id, ...filter } = a;
      const { items, ...page } = await listEvents(ctx, orgOf(ctx, org_id), filter, { limit, cursor });
      return { ...page, events: items };
    },
  }),
  tool({
    name: "get_event",
    title: "Get an event",
    description:
      `One event with its headers and body (parsed JSON, or the raw text). A body longer than ${EVENT_BODY_CHARS} characters comes in pages of its JSON text: ` +
      "body_truncated is true and next_body_offset says where the next page starts; call get_event again with body_offset set to it until next_body_offset is null.",
    input: z.object({
      event_id: ID("The event's id (from list_events)", UUID_EG),
      body_offset: z.number().int().min(0).default(0).describe("Where to start reading a long body (a previous next_body_offset)"),
      ...OrgArg,
    }),
    output: EventOut.extend({
      body_truncated: z.boolean().describe("True when body is a page of the body's text, not the whole body"),
      body_total_chars: z.number().int(),
      body_offset: z.number().int(),
      next_body_offset: z.number().int().nullable().describe("Pass as body_offset to read on; null when this page ends the body"),
      ...Truncated,
    }),
    annotations: READ,
    run: async ({ ctx }, a) => {
      const ev = await getEvent(ctx, orgOf(ctx, a.org_id), a.event_id);
      return { ...ev, ...bodyPage(ev.body, a.body_offset) };
    },
  }),
  tool({
    name: "replay_event",
    title: "Replay an event",
    description:
      "Routes a stored event again as if it had just arrived (runner role or higher): a copy is stored with replay_of set to the original and its matching actions run again. " +
      "Returns the new event_id; call get_event on it to see which actions it matched, then list_runs.",
    input: z.object({ event_id: ID("The event to replay", UUID_EG), ...OrgArg }),
    output: Replayed.extend(Truncated),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    write: { action: "event.replay", targetType: "event", targetArg: "event_id" },
    run: async ({ ctx, audit }, a) => {
      const orgId = orgOf(ctx, a.org_id);
      audit({ orgId, action: "event.replay", targetType: "event", targetId: a.event_id });
      const out = await replayEvent(ctx, orgId, a.event_id);
      audit({ orgId, action: "event.replay", targetType: "event", targetId: a.event_id, details: { replay_event_id: out.event_id } });
      return out;
    },
  }),
  tool({
    name: "pipeline_action",
    title: "Manage pipelines and tasks",
    description:
      "The unified actions API (POST /api/v2/actions), body for body. action × type: status, create, update, run, stop for type pipeline or task (a task is an action); " +
      "reset, delete, approve, reject for pipelines only. version is 1. Batch actions take target as an array of ids; update takes one id string; create takes no target and " +
      "the resource in settings (a task needs settings.app_id); run takes settings {env} (pipeline) or {inputs, target} (task); reject needs message. " +
      "results has one entry per target with its own ok/status/data or error. After run, call again with action status to follow the pipeline; approve/reject decide its approval gate.",
    input: UnifiedIn,
    output: UnifiedOut.extend({ http_status: z.number().int().describe("The HTTP status REST would answer: 200, 207, or the status every target failed with"), ...Truncated }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    write: { action: "unified.invalid", targetType: "pipeline_action" },
    run: async ({ ctx, audit, fail }, a) => {
      const { status, out } = await dispatchUnified(ctx, a, audit);
      if (status >= 400) fail();
      return { ...out, http_status: status };
    },
  }),
  tool({
    name: "list_pipelines",
    title: "List pipelines",
    description:
      "The org's pipelines, newest first, each with its steps, state (idle, running, pending_approval, success, failed, stopped), current_step and current_run_id. " +
      "Pass app_id for one app. Act on one with pipeline_action (type pipeline): run, status, stop, reset, approve, reject.",
    input: z.object({ app_id: ID("Only pipelines of this app", UUID_EG).optional(), ...OrgArg, ...Page }),
    output: envelope("pipelines", PipelineOutSchema),
    annotations: READ,
    run: async ({ ctx }, a) => {
      const { items, ...page } = await listPipelines(ctx, a.org_id, a.app_id, { limit: a.limit, cursor: a.cursor });
      return { ...page, pipelines: items };
    },
  }),
];
