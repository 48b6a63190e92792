import type { HeldReason } from "../../core/circuit";
import { z } from "@hono/zod-openapi";
import type { ActionRow, RunRow } from "../../services/executions";
import { RUN_STATUSES } from "../../services/runs";

/** Path parameters of the actions document. */
export const AppParams = z.object({ org_id: z.string(), workspace_id: z.string(), app_id: z.string() });
export const ActionParams = AppParams.extend({ action_id: z.string() });
export const RunParams = ActionParams.extend({ run_id: z.string() });

const json = z.record(z.string(), z.unknown());

/** Fields a client may write. Unknown fields are ignored (FastAPI's default). */
const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable(),
  endpoint_id: z.string().min(1),
  namespace_id: z.string().min(1).max(200).openapi({ description: "Free-form namespace the action belongs to (grouping key for agents/threads)." }),
  thread_mode: z.enum(["new_each_run", "fixed", "template"]).openapi({ description: "new_each_run: thread id = execution id; fixed: thread_id; template: rendered thread_id_template. Default new_each_run." }),
  thread_id: z.string().max(500).nullable(),
  thread_id_template: z.string().max(2000).nullable(),
  payload: json.openapi({ description: "JSON body sent to the endpoint; string leaves are Liquid templates. Default {}." }),
  action_type: z.enum(["trigger", "scheduled"]).openapi({ description: "trigger: runs on demand and on events; scheduled: also requires schedule_type. Default derived from schedule_type." }),
  schedule_type: z.enum(["cron", "once"]).nullable(),
  cron_expression: z.string().max(200).nullable(),
  scheduled_at: z.iso.datetime({ offset: true }).nullable(),
  timezone: z.string().max(100).nullable().openapi({ description: "IANA time zone of cron_expression. Default UTC." }),
  max_retries: z.number().int().min(0).max(10).openapi({ description: "Retries after the first attempt (0-10). Default 0." }),
  retry_delay_seconds: z.number().int().min(0).max(43200).openapi({ description: "Base delay; doubles per attempt, capped at 12 h. Default 60." }),
  is_enabled: z.boolean(),
  trigger_ids: z.array(z.string().min(1)).max(50).openapi({ description: "Project trigger ids that fire this action. Default []." }),
  filter: json.nullable().openapi({ description: "Hookdeck-style filter on {body, headers, type} of the event." }),
  approval_required: z.boolean(),
  manual_inputs_schema: json.nullable().openapi({ description: "JSON Schema the trigger's inputs must satisfy." }),
  headers_template: z.record(z.string(), z.string()).nullable(),
  entity_type: z.string().max(200).nullable(),
  owner: z.unknown().nullable(),
};

const { name, endpoint_id, namespace_id, ...optionalFields } = fields;
export const ActionIn = z.object(optionalFields).partial().extend({ name, endpoint_id, namespace_id }).openapi("ActionIn");
export const ActionPatch = ActionIn.partial().openapi("ActionPatch");

export const ActionOut = z
  .object({
    action_id: z.string(),
    workspace_id: z.string(),
    app_id: z.string(),
    endpoint_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    namespace_id: z.string(),
    thread_mode: z.enum(["new_each_run", "fixed", "template"]),
    thread_id: z.string().nullable(),
    thread_id_template: z.string().nullable(),
    payload: z.unknown(),
    action_type: z.enum(["trigger", "scheduled"]),
    schedule_type: z.enum(["cron", "once"]).nullable(),
    cron_expression: z.string().nullable(),
    scheduled_at: z.string().nullable(),
    timezone: z.string().nullable(),
    max_retries: z.number().int(),
    retry_delay_seconds: z.number().int(),
    is_enabled: z.boolean(),
    is_running: z.boolean(),
    next_run_at: z.string().nullable(),
    last_run_at: z.string().nullable(),
    last_run_status: z.enum(RUN_STATUSES).nullable(),
    last_execution_id: z.string().nullable(),
    total_runs: z.number().int(),
    successful_runs: z.number().int(),
    failed_runs: z.number().int(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    trigger_ids: z.array(z.string()),
    filter: z.unknown().nullable(),
    approval_required: z.boolean(),
    manual_inputs_schema: z.unknown().nullable(),
    headers_template: z.record(z.string(), z.string()).nullable(),
    entity_type: z.string().nullable(),
    owner: z.unknown().nullable(),
  })
  .openapi("Action");

export const RunOut = z
  .object({
    run_id: z.string(),
    action_id: z.string(),
    workspace_id: z.string(),
    execution_id: z.string(),
    status: z.enum(RUN_STATUSES),
    attempt: z.number().int(),
    trigger_type: z.string(),
    triggered_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    duration_seconds: z.number().nullable(),
    resolved_payload: z.unknown().nullable(),
    resolved_thread_id: z.string().nullable(),
    error_message: z.string().nullable(),
    error_code: z.string().nullable(),
    response_status: z.number().int().nullable(),
    response_body: z.string().nullable().openapi({ description: "First 2 KB of the endpoint's response body." }),
    decided_by: z.string().nullable(),
    decision_message: z.string().nullable(),
    decided_at: z.string().nullable(),
    held_reason: z.enum(["circuit_open", "endpoint_disabled", "fifo"]).nullable().openapi({
      description: "Why a `held` run waits: its endpoint's circuit is open (`circuit_open`), an operator disabled the endpoint (`endpoint_disabled`), or an older run of its FIFO key is unfinished (`fifo`). Null otherwise.",
    }),
  })
  .openapi("ActionRun");

export const TriggerIn = z
  .object({
    inputs: json.optional(),
    target: z.unknown().optional(),
    thread_id: z.string().max(500).nullable().optional(),
  })
  .openapi("ActionTriggerIn");

export const TriggerOut = z
  .object({
    action_id: z.string(),
    run_id: z.string(),
    execution_id: z.string(),
    status: z.enum(["pending", "pending_approval"]),
    message: z.string(),
  })
  .openapi("ActionTriggerOut");

/** Row → documented JSON (every field, nulls included). */
export function toActionOut(r: ActionRow): z.infer<typeof ActionOut> {
  return {
    action_id: r.actionId, workspace_id: r.workspaceId, app_id: r.appId, endpoint_id: r.endpointId, name: r.name, description: r.description,
    namespace_id: r.namespaceId, thread_mode: r.threadMode as "new_each_run", thread_id: r.threadId, thread_id_template: r.threadIdTemplate,
    payload: r.payload, action_type: r.actionType as "trigger", schedule_type: r.scheduleType as "cron" | null, cron_expression: r.cronExpression,
    scheduled_at: r.scheduledAt, timezone: r.timezone, max_retries: r.maxRetries, retry_delay_seconds: r.retryDelaySeconds, is_enabled: r.isEnabled,
    is_running: r.runningCount > 0, next_run_at: r.nextRunAt, last_run_at: r.lastRunAt, last_run_status: r.lastRunStatus as "pending" | null,
    last_execution_id: r.lastExecutionId, total_runs: r.totalRuns, successful_runs: r.successfulRuns, failed_runs: r.failedRuns,
    created_by: r.createdBy, created_at: r.createdAt, updated_at: r.updatedAt, trigger_ids: r.triggerIds, filter: r.filter ?? null,
    approval_required: r.approvalRequired, manual_inputs_schema: r.manualInputsSchema ?? null, headers_template: r.headersTemplate ?? null,
    entity_type: r.entityType, owner: r.owner ?? null,
  };
}

/** Maps a runs row to the documented run object (every field of the actions document, plus extras). */
export function toRunOut(r: RunRow): z.infer<typeof RunOut> {
  return {
    run_id: r.runId, action_id: r.actionId, workspace_id: r.workspaceId, execution_id: r.executionId, status: r.status, attempt: r.attempt,
    trigger_type: r.triggerType, triggered_at: r.triggeredAt, started_at: r.startedAt, completed_at: r.completedAt, duration_seconds: r.durationSeconds,
    resolved_payload: r.resolvedPayload ?? null, resolved_thread_id: r.resolvedThreadId, error_message: r.errorMessage, error_code: r.errorCode,
    response_status: r.responseStatus, response_body: r.responseBody, decided_by: r.decidedBy, decision_message: r.decisionMessage, decided_at: r.decidedAt,
    held_reason: (r.heldReason as HeldReason | null) ?? null,
  };
}
