import { and, asc, count, eq, gt } from "drizzle-orm";
import type { Actor } from "../../core/actor";
import { AppError } from "../../core/errors";
import { nowIso, UUID_RE, uuidv7 } from "../../core/ids";
import type { Db } from "../../db/client";
import { actions, executions } from "../../db/schema";
import { inOrg } from "../../db/scope";
import type { Env } from "../../env";
import { recordAudit } from "../../services/audit";
import { startExecution, type ActionRow } from "../../services/executions";

/** Opaque global id: base64 of `gid://switchyard/<Type>/<uuid>`. */
export const toGid = (type: string, id: string): string => btoa(`gid://switchyard/${type}/${id}`);

/** The uuid inside a global id of `type` (a raw UUID is accepted too), or null. */
export function fromGid(type: string, gid: unknown): string | null {
  if (typeof gid !== "string") return null;
  if (UUID_RE.test(gid)) return gid;
  try {
    const m = /^gid:\/\/switchyard\/([A-Za-z]+)\/([0-9a-f-]{36})$/i.exec(atob(gid));
    return m && m[1] === type && UUID_RE.test(m[2]!) ? m[2]! : null;
  } catch {
    return null;
  }
}

const STATUS: Record<string, string> = { pending: "PENDING", running: "PENDING", pending_approval: "PENDING_APPROVAL", success: "SUCCESS", failed: "FAILURE", cancelled: "FAILURE", rejected: "FAILURE" };

function owner(v: unknown) {
  if (!v || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  const s = (x: unknown) => (x === undefined || x === null ? null : String(x));
  return { id: s(o.id), name: s(o.name), href: s(o.href) };
}

const definition = (a: ActionRow) => ({
  id: toGid("CustomActionsTriggerDefinition", a.actionId),
  name: a.name,
  description: a.description,
  entityType: a.entityType,
  owner: owner(a.owner),
  approvalRequired: a.approvalRequired,
  manualInputsSchema: a.manualInputsSchema ?? null,
});

export interface GqlContext {
  db: Db;
  env: Env;
  actor: Actor & { orgId: string };
  requestId: string;
}

type InvokePayload = { triggerEvent: Awaited<ReturnType<typeof eventOf>>; errors: GqlError[] };

/**
 * Writes the audit row of one invoke: action `graphql.customActionsTriggerInvoke`, target the
 * action id (null only when the given id is not an action id at all), result success when an
 * execution started. A failed audit write is logged and does not undo the invoke.
 */
async function auditInvoke(ctx: GqlContext, actionId: string | null, payload: InvokePayload): Promise<void> {
  const executionId = payload.triggerEvent ? fromGid("CustomActionsTriggerEvent", payload.triggerEvent.id) : null;
  try {
    await recordAudit(ctx.db, {
      auditId: uuidv7(),
      orgId: ctx.actor.orgId,
      actorType: ctx.actor.kind,
      actorId: ctx.actor.id,
      action: "graphql.customActionsTriggerInvoke",
      targetType: "action",
      targetId: actionId,
      result: payload.triggerEvent ? "success" : "failure",
      statusCode: 200,
      requestId: ctx.requestId,
      details: executionId ? { execution_id: executionId } : { errors: payload.errors.map((e) => e.message) },
      createdAt: nowIso(),
    });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "audit write failed", request_id: ctx.requestId, error: String(err) }));
  }
}

type GqlError = { message: string; path: string[] };

/** Deepest nesting accepted in `manualInputs` (objects and arrays). */
export const MAX_INPUT_DEPTH = 32;

/**
 * A plain-JSON copy of a value built by graphql-js or the JSON scalar: objects written inline
 * in a document have a null prototype, which the storage layer cannot handle. Non-JSON leaves
 * (functions, symbols, undefined) are dropped from objects and become null in arrays, as in
 * JSON; null when nesting exceeds MAX_INPUT_DEPTH.
 */
export function toPlainJson(v: unknown, depth = 0): { ok: true; value: unknown } | { ok: false } {
  if (v === null || typeof v === "string" || typeof v === "boolean") return { ok: true, value: v };
  if (typeof v === "number") return { ok: true, value: Number.isFinite(v) ? v : null };
  if (typeof v !== "object") return { ok: true, value: undefined };
  if (depth >= MAX_INPUT_DEPTH) return { ok: false };
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const r = toPlainJson(x, depth + 1);
      if (!r.ok) return r;
      out.push(r.value === undefined ? null : r.value);
    }
    return { ok: true, value: out };
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const r = toPlainJson((v as Record<string, unknown>)[k], depth + 1);
    if (!r.ok) return r;
    if (r.value !== undefined) out[k] = r.value;
  }
  return { ok: true, value: out };
}

/** AppError items → GraphQL `errors[]`; input locations are renamed to the mutation's argument names. */
function toErrors(err: AppError): GqlError[] {
  return err.items.map((i) => {
    const loc = i.loc.map(String);
    const path = loc[0] === "body" && loc[1] === "inputs" ? ["manualInputs", ...loc.slice(2)] : loc[0] === "body" ? loc.slice(1) : loc;
    return { message: i.msg, path };
  });
}

async function eventOf(ctx: GqlContext, executionId: string) {
  const row = await ctx.db
    .select({ exec: executions, action: actions })
    .from(executions)
    .leftJoin(actions, and(eq(actions.orgId, executions.orgId), eq(actions.actionId, executions.actionId)))
    .where(inOrg(executions, ctx.actor.orgId, eq(executions.executionId, executionId)))
    .get();
  if (!row) return null;
  return {
    id: toGid("CustomActionsTriggerEvent", row.exec.executionId),
    status: STATUS[row.exec.status] ?? "PENDING",
    definition: row.action ? definition(row.action) : null,
    createdAt: row.exec.createdAt,
    updatedAt: row.exec.updatedAt,
  };
}

/** The root value: `account` for queries and the invoke mutation. Every read is scoped to the token's org. */
export const rootValue = {
  account: (_args: unknown, ctx: GqlContext) => ({
    id: toGid("Account", ctx.actor.orgId),
    customActionsTriggerDefinitions: async (args: { first?: number | null; after?: string | null }) => {
      const first = Math.min(Math.max(args.first ?? 100, 1), 500);
      const after = args.after ? fromGid("CustomActionsTriggerDefinition", args.after) : null;
      const [rows, total] = await Promise.all([
        ctx.db.select().from(actions).where(inOrg(actions, ctx.actor.orgId, after ? gt(actions.actionId, after) : undefined)).orderBy(asc(actions.actionId)).limit(first + 1),
        ctx.db.select({ n: count() }).from(actions).where(inOrg(actions, ctx.actor.orgId)).get(),
      ]);
      const nodes = rows.slice(0, first).map(definition);
      return { totalCount: total?.n ?? 0, nodes, pageInfo: { hasNextPage: rows.length > first, endCursor: nodes.at(-1)?.id ?? null } };
    },
    customActionsTriggerEvent: async (args: { id: string }) => {
      const id = fromGid("CustomActionsTriggerEvent", args.id);
      return id ? eventOf(ctx, id) : null;
    },
  }),

  /** One invoke, audited with its own row (see auditInvoke). */
  customActionsTriggerInvoke: async (args: InvokeArgs, ctx: GqlContext): Promise<InvokePayload> => {
    const actionId = fromGid("CustomActionsTriggerDefinition", args.input.triggerDefinition.id);
    let payload: InvokePayload;
    try {
      payload = await invoke(args, actionId, ctx);
    } catch (err) {
      await auditInvoke(ctx, actionId, { triggerEvent: null, errors: [{ message: "internal error", path: [] }] });
      throw err;
    }
    await auditInvoke(ctx, actionId, payload);
    return payload;
  },
};

type InvokeArgs = { input: { triggerDefinition: { id?: string | null }; targetObject?: { id?: string | null; alias?: string | null } | null; manualInputs?: unknown } };

/** The invoke itself: domain problems are payload errors; only unexpected failures throw. */
async function invoke(args: InvokeArgs, actionId: string | null, ctx: GqlContext): Promise<InvokePayload> {
  const fail = (message: string, path: string[]) => ({ triggerEvent: null, errors: [{ message, path }] });
  const { input } = args;
  if (!actionId) return fail("triggerDefinition.id is not a trigger definition id of this API", ["input", "triggerDefinition", "id"]);
  const action = await ctx.db.select().from(actions).where(inOrg(actions, ctx.actor.orgId, eq(actions.actionId, actionId))).get();
  if (!action) return fail("trigger definition not found", ["input", "triggerDefinition", "id"]);
  if (!action.isEnabled) return fail("trigger definition is disabled; enable the action first", ["input", "triggerDefinition", "id"]);
  let inputs: unknown = input.manualInputs ?? {};
  if (typeof inputs === "string") {
    try {
      inputs = JSON.parse(inputs);
    } catch {
      return fail("manualInputs is a string but not valid JSON", ["manualInputs"]);
    }
  }
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) return fail("manualInputs must be a JSON object of input values", ["manualInputs"]);
  const plain = toPlainJson(inputs);
  if (!plain.ok) return fail(`manualInputs nests deeper than ${MAX_INPUT_DEPTH} levels`, ["manualInputs"]);
  inputs = plain.value;
  const str = (v: unknown) => (v === undefined || v === null ? null : String(v));
  const target = input.targetObject ? { id: str(input.targetObject.id), alias: str(input.targetObject.alias) } : null;
  try {
    const started = await startExecution(ctx.db, ctx.env, {
      action,
      triggerType: "graphql",
      inputs: inputs as Record<string, unknown>,
      target,
      // Only a person gets `user` in templates; API tokens never do (seed 000).
      user: ctx.actor.kind === "user" ? (ctx.actor.user ?? null) : null,
      invokedBy: ctx.actor.id,
    });
    return { triggerEvent: await eventOf(ctx, started.execution_id), errors: [] };
  } catch (err) {
    if (err instanceof AppError) return { triggerEvent: null, errors: toErrors(err) };
    throw err;
  }
}
