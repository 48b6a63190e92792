import { and, eq } from "drizzle-orm";
import { decryptSecret } from "../core/crypto";
import { nowIso, uuidv7 } from "../core/ids";
import { outboundProblem } from "../core/outbound-policy";
import { retryDelaySeconds } from "../core/retry";
import { standardWebhookHeaders } from "../core/signing";
import { OVERDUE_GRACE_SECONDS, plusSeconds } from "../core/recovery";
import { renderBudget, renderString, renderValue, TemplateError, type TemplateContext } from "../core/templates";
import { getDb, type Db } from "../db/client";
import { actions, endpoints, events, executions, runs, triggers } from "../db/schema";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { circuitTransition, healthStatement, releaseFifoHeads } from "./circuit";
import { passGates, releaseSlot } from "./delivery-gate";
import { afterCompletion, closeUnqueuedRun, completionStatements, nextAttempt, type RunRow } from "./executions";

/** Largest response body excerpt kept on a run. */
const EXCERPT_BYTES = 2048;

type Loaded = NonNullable<Awaited<ReturnType<typeof load>>>;
/** What one attempt produced. `retry: false` means retrying cannot help (bad template, policy…). */
type Outcome = (
  | { ok: true; status: number; body: string }
  | { ok: false; code: string; message: string; retry: boolean; status?: number; body?: string }
) & { sent?: Record<string, string> };

/** Header names whose values are credentials: shown as "[redacted]" wherever a run's sent headers are kept. */
const CREDENTIAL_HEADER = /authorization|cookie|secret|token|password|api[-_]?key|signature/i;

/**
 * The headers an attempt sent, as kept on the run (`request_headers`) for operators to read.
 * Guarantee: the value of every header whose name looks like a credential (Authorization,
 * cookies, `webhook-signature`, anything with secret/token/key/password) is replaced by
 * "[redacted]", so neither the signing secret nor anything derived from it is ever shown.
 */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => (out[k] = CREDENTIAL_HEADER.test(k) ? "[redacted]" : v));
  return out;
}

/** Loads what one attempt needs in two round trips (D1 caps a result at 100 columns, so no single 5-way join). */
async function load(db: Db, run: RunRow) {
  const head = await db
    .select({ exec: executions, action: actions })
    .from(executions)
    .leftJoin(actions, and(eq(actions.orgId, executions.orgId), eq(actions.actionId, executions.actionId)))
    .where(and(eq(executions.orgId, run.orgId), eq(executions.executionId, run.executionId)))
    .get();
  if (!head) return undefined;
  const { exec, action } = head;
  const [endpoint, event, trigger] = await db.batch([
    db.select().from(endpoints).where(and(eq(endpoints.orgId, run.orgId), eq(endpoints.endpointId, action?.endpointId ?? ""))),
    db.select().from(events).where(and(eq(events.orgId, run.orgId), eq(events.eventId, exec.eventId ?? ""))),
    db.select().from(triggers).where(and(eq(triggers.orgId, run.orgId), eq(triggers.projectTriggerId, exec.projectTriggerId ?? ""))),
  ]);
  return { exec, action, endpoint: endpoint[0] ?? null, event: event[0] ?? null, trigger: trigger[0] ?? null };
}

/** The Liquid context of one run (see core/templates). `user` only when a person invoked it. */
export function templateContext(l: Loaded, run: RunRow): TemplateContext {
  const { exec, action, event, trigger } = l;
  let body: unknown = event?.body ?? null;
  if (event) {
    try {
      body = JSON.parse(event.body);
    } catch {
      body = event.body;
    }
  }
  const inputs = exec.inputs ?? {};
  const ctx: TemplateContext = {
    event: event ? { id: event.eventId, type: event.eventType, body, headers: event.headers } : null,
    inputs,
    manualInputs: inputs,
    env: exec.env ?? {},
    target: exec.target ?? null,
    trigger: trigger ? { id: trigger.projectTriggerId, provider_id: trigger.providerId, trigger_id: trigger.triggerId, trigger_type: trigger.triggerType } : null,
    action: action
      ? { id: action.actionId, action_id: action.actionId, name: action.name, description: action.description, namespace_id: action.namespaceId, app_id: action.appId, workspace_id: action.workspaceId, entity_type: action.entityType, owner: action.owner }
      : {},
    run: { id: run.runId, run_id: run.runId, attempt: run.attempt, execution_id: run.executionId, trigger_type: run.triggerType, triggered_at: run.triggeredAt },
  };
  if (exec.user) ctx.user = exec.user as TemplateContext["user"];
  return ctx;
}

/** Reads at most EXCERPT_BYTES of a response body, then stops reading. */
async function excerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < EXCERPT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) all.set(c, (o += c.byteLength) - c.byteLength);
  return new TextDecoder().decode(all.slice(0, EXCERPT_BYTES));
}

interface Rendered { payload: unknown; threadId: string; headers: Record<string, string> }

/** Renders one attempt's payload, headers and thread id, all drawing on ONE render budget (see core/templates). */
async function render(l: Loaded, run: RunRow): Promise<Rendered> {
  const action = l.action!;
  const ctx = templateContext(l, run);
  const budget = renderBudget();
  const payload = await renderValue(action.payload, ctx, ["payload"], budget);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.headersTemplate ?? {})) headers[k] = await renderString(v, ctx, ["headers_template", k], budget);
  let threadId = run.resolvedThreadId;
  if (!threadId && action.threadMode === "fixed") threadId = action.threadId;
  if (!threadId && action.threadMode === "template" && action.threadIdTemplate) {
    threadId = (await renderString(action.threadIdTemplate, ctx, ["thread_id_template"], budget)).trim();
  }
  return { payload, headers, threadId: threadId || run.executionId };
}

async function call(env: Env, l: Loaded, run: RunRow, r: Rendered): Promise<Outcome> {
  const built = await send(env, l, run, r);
  return built.headers ? { ...built.outcome, sent: redactHeaders(built.headers) } : built.outcome;
}

async function send(env: Env, l: Loaded, run: RunRow, r: Rendered): Promise<{ outcome: Outcome; headers?: Headers }> {
  const ep = l.endpoint!;
  const refused = outboundProblem(ep.url, env.OUTBOUND_ALLOW);
  if (refused) return { outcome: { ok: false, code: "outbound_policy", message: refused, retry: false } };
  const method = ep.method.toUpperCase();
  const body = method === "GET" || method === "HEAD" ? "" : JSON.stringify(r.payload);
  let headers: Headers;
  try {
    headers = new Headers({ ...ep.headers, ...r.headers });
  } catch (err) {
    return { outcome: { ok: false, code: "invalid_header", message: `a header is not valid HTTP: ${(err as Error).message}`, retry: false } };
  }
  if (body && !headers.has("content-type")) headers.set("content-type", "application/json");
  headers.set("user-agent", "Switchyard/0.1 (+webhook router)");
  headers.set("x-switchyard-thread-id", r.threadId);
  headers.set("x-switchyard-execution-id", run.executionId);
  headers.set("x-switchyard-attempt", String(run.attempt));
  if (ep.secretEnc) {
    let secret: string;
    try {
      secret = await decryptSecret(env.ENCRYPTION_KEY, ep.secretEnc);
    } catch {
      return { outcome: { ok: false, code: "secret_unreadable", message: "the endpoint secret cannot be decrypted with the current ENCRYPTION_KEY; set the secret again", retry: false } };
    }
    // webhook-id is the EXECUTION id: every retry of one execution carries the same id, so a receiver can deduplicate.
    for (const [k, v] of Object.entries(await standardWebhookHeaders(secret, run.executionId, Date.now() / 1000, body))) headers.set(k, v);
  }
  try {
    const res = await fetch(ep.url, { method, headers, body: body || undefined, signal: AbortSignal.timeout(ep.timeoutSeconds * 1000), redirect: "manual" });
    const text = await excerpt(res).catch(() => "");
    if (res.status >= 200 && res.status < 300) return { headers, outcome: { ok: true, status: res.status, body: text } };
    return { headers, outcome: { ok: false, code: `http_${res.status}`, message: `endpoint answered HTTP ${res.status}`, retry: true, status: res.status, body: text } };
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") return { headers, outcome: { ok: false, code: "timeout", message: `no response within ${ep.timeoutSeconds} s`, retry: true } };
    return { headers, outcome: { ok: false, code: "network_error", message: `request failed: ${(err as Error)?.message ?? String(err)}`, retry: true } };
  }
}

async function attempt(env: Env, l: Loaded | undefined, run: RunRow): Promise<{ outcome: Outcome; rendered?: Rendered }> {
  if (!l?.action) return { outcome: { ok: false, code: "action_deleted", message: "the action was deleted", retry: false } };
  if (!l.endpoint) return { outcome: { ok: false, code: "endpoint_missing", message: "the action's endpoint no longer exists", retry: false } };
  let rendered: Rendered;
  try {
    rendered = await render(l, run);
  } catch (err) {
    if (err instanceof TemplateError) return { outcome: { ok: false, code: err.budget ? "template_budget" : "template_error", message: err.message, retry: false } };
    throw err;
  }
  return { outcome: await call(env, l, run, rendered), rendered };
}

/**
 * Handles `run.deliver`: one delivery attempt of one run. Guarantees: only a `pending` run is
 * delivered, claimed `pending → running` by a guarded UPDATE that also sets its lease, so a
 * redelivered task does nothing; if this invocation dies before recording the outcome, the
 * sweeper finds the expired lease and delivers the run again (same `webhook-id`), and this
 * invocation's late record, if any, is ignored (it is fenced by `recoveries`); the result is
 * recorded on the run; a retryable failure with attempts left (`attempt <= max_retries`)
 * creates attempt+1 and enqueues it after `retryDelaySeconds(retry_delay_seconds, attempt)`;
 * the last failure fails the execution, updates counters and dead-letters the task; a
 * finished pipeline step enqueues `pipeline.advance`. The execution row is written only when
 * it becomes final: while its runs are tried it stays `pending` (the run says `running`).
 */
export async function handleRunDeliver(env: Env, task: Extract<Task, { kind: "run.deliver" }>): Promise<void> {
  const db = getDb(env.DB);
  const pending = await db.select().from(runs).where(and(eq(runs.runId, task.run_id), eq(runs.status, "pending"))).get();
  if (!pending) return;
  const loaded = await load(db, pending);
  const gated = await passGates(db, env, pending, loaded?.endpoint ?? null, loaded?.action ?? null, () => templateContext(loaded!, pending));
  if (!gated.claimed) return;
  const run = gated.claimed;
  const t0 = Date.now();
  const l = loaded;
  let result: { outcome: Outcome; rendered?: Rendered };
  try {
    result = await attempt(env, l, run);
  } catch (err) {
    result = { outcome: { ok: false, code: "internal_error", message: `delivery failed unexpectedly: ${String((err as { cause?: unknown })?.cause ?? err).slice(0, 500)}`, retry: true } };
  }
  await record(db, env, l, run, result, (Date.now() - t0) / 1000);
  if (l?.endpoint) await afterAttempt(db, env, l.endpoint, run);
}

/** After an attempt was recorded: the concurrency slot goes back, and a FIFO key's next run may start. Never throws. */
async function afterAttempt(db: Db, env: Env, ep: NonNullable<Loaded["endpoint"]>, run: RunRow): Promise<void> {
  if (ep.maxConcurrency) await releaseSlot(env, ep, run.runId);
  if (ep.ordering === "fifo") {
    await releaseFifoHeads(db, env, ep).catch((err) => console.error(JSON.stringify({ level: "error", msg: "FIFO release failed; the minute cron releases", run_id: run.runId, error: String(err) })));
  }
}

async function record(db: Db, env: Env, l: Loaded | undefined, run: RunRow, r: { outcome: Outcome; rendered?: Rendered }, duration: number) {
  const at = nowIso();
  const o = r.outcome;
  const closeRun = db
    .update(runs)
    .set({
      status: o.ok ? "success" : "failed",
      completedAt: at,
      durationSeconds: duration,
      resolvedPayload: r.rendered?.payload ?? null,
      resolvedThreadId: r.rendered?.threadId ?? run.resolvedThreadId,
      requestHeaders: o.sent ?? null,
      responseStatus: o.status ?? null,
      responseBody: o.body ?? null,
      errorCode: o.ok ? null : o.code,
      errorMessage: o.ok ? null : o.message,
      leaseUntil: null,
    })
    // Fenced by `recoveries`: once the sweeper has re-driven this run, this claim's late outcome is ignored.
    .where(and(eq(runs.runId, run.runId), eq(runs.status, "running"), eq(runs.recoveries, run.recoveries)))
    .returning({ runId: runs.runId });
  const exec = { executionId: run.executionId, actionId: run.actionId, orgId: run.orgId };
  const health = l?.endpoint ? healthStatement(db, l.endpoint, run.runId, o.ok ? { ok: true } : { ok: false, code: o.code, message: o.message, status: o.status }, at) : null;
  const circuit = (returned: unknown) => (l?.endpoint ? circuitTransition(db, env, l.endpoint, run.runId, returned as never) : Promise.resolve());
  const maxRetries = l?.action?.maxRetries ?? 0;
  if (!o.ok && o.retry && run.attempt <= maxRetries) {
    const nextId = uuidv7();
    const delay = retryDelaySeconds(l?.action?.retryDelaySeconds ?? 60, run.attempt);
    // The retry is re-driven by the sweeper if its delayed task is lost (local queues do not survive a restart).
    const nextLease = plusSeconds(at, delay + OVERDUE_GRACE_SECONDS);
    const [closed, , returned] = await db.batch([
      closeRun,
      // The next attempt exists only if this attempt was really closed by us just now.
      nextAttempt(db, { runId: run.runId, nextId, at, leaseUntil: nextLease, guard: and(eq(runs.status, "failed"), eq(runs.completedAt, at))! }),
      ...(health ? [health] : []),
    ]);
    if (closed.length === 0) return;
    await circuit(returned);
    try {
      await env.TASKS.send({ v: 1, kind: "run.deliver", run_id: nextId }, { delaySeconds: delay });
    } catch (err) {
      // Never strand the next attempt in `pending`: close it and the execution as failed.
      await closeUnqueuedRun(db, exec, nextId, err);
      await env.DLQ.send({ v: 1, kind: "run.deliver", run_id: nextId }).catch(() => undefined);
      if (l) await afterCompletion(env, l.exec);
    }
    return;
  }
  const [closed, , , returned] = await db.batch([closeRun, ...completionStatements(db, exec, o.ok ? "success" : "failed", at), ...(health ? [health] : [])]);
  if (closed.length === 0) return;
  await circuit(returned);
  // The run is final in D1 already; the dead letter is a record for operators, so a refusal is only logged.
  if (!o.ok) await env.DLQ.send({ v: 1, kind: "run.deliver", run_id: run.runId }).catch((err) => console.error(JSON.stringify({ level: "error", msg: "dead letter refused", run_id: run.runId, error: String(err) })));
  if (l) await afterCompletion(env, l.exec);
}
