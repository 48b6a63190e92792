import { and, eq, ne } from "drizzle-orm";
import type { Ctx } from "../core/context";
import { encryptSecret, toBase64 } from "../core/crypto";
import { conflict, invalid, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import { outboundProblem } from "../core/outbound-policy";
import type { Page } from "../core/pagination";
import { actions, endpoints } from "../db/schema";
import { inOrg } from "../db/scope";
import { findApp } from "./apps";
import { assertRole } from "../core/actor";
import { gateOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";
import { CIRCUIT_DEFAULTS } from "../core/circuit";
import { emitOperationalEvent } from "./operational";
import { startDrain } from "./circuit";

const pick = <T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> => Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

/** An endpoint as the API shows it: the signing secret is never included, only `has_secret`. */
export interface EndpointOut {
  endpoint_id: string;
  org_id: string;
  workspace_id: string;
  app_id: string;
  name: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  timeout_seconds: number;
  has_secret: boolean;
  circuit_breaker: { enabled: boolean; failure_threshold: number; failing_for_seconds: number; probe_interval_seconds: number };
  rate_limit: RateLimit | null;
  max_concurrency: number | null;
  ordering: "none" | "fifo";
  /** The endpoint's health and circuit state (see services/circuit.ts). */
  circuit: {
    state: "closed" | "open" | "half_open" | "disabled";
    reason: string | null;
    changed_at: string | null;
    consecutive_failures: number;
    failing_since: string | null;
    next_probe_at: string | null;
    last_failure: { at: string; status: number | null; error: string | null } | null;
  };
  created_at: string;
  updated_at: string;
}

export interface RateLimit {
  count: number;
  period: "second" | "minute";
}

export interface EndpointIn {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** A signing secret, "generate" for a fresh `whsec_…` key, or (update only) null to remove it. */
  secret?: string | null;
  timeout_seconds?: number;
  /** Partial: absent fields keep their value (defaults: core/circuit.ts CIRCUIT_DEFAULTS). */
  circuit_breaker?: Partial<EndpointOut["circuit_breaker"]>;
  rate_limit?: RateLimit | null;
  max_concurrency?: number | null;
  ordering?: "none" | "fifo";
}

type Row = typeof endpoints.$inferSelect;
const out = (r: Row): EndpointOut => ({
  endpoint_id: r.endpointId, org_id: r.orgId, workspace_id: r.workspaceId, app_id: r.appId, name: r.name, url: r.url,
  method: r.method, headers: r.headers, timeout_seconds: r.timeoutSeconds, has_secret: r.secretEnc !== null,
  circuit_breaker: { enabled: r.cbEnabled, failure_threshold: r.cbFailureThreshold, failing_for_seconds: r.cbFailingForSeconds, probe_interval_seconds: r.cbProbeIntervalSeconds },
  rate_limit: r.rateLimitCount && r.rateLimitPeriod ? { count: r.rateLimitCount, period: r.rateLimitPeriod } : null,
  max_concurrency: r.maxConcurrency,
  ordering: r.ordering,
  circuit: {
    state: r.circuitState, reason: r.circuitReason, changed_at: r.circuitChangedAt, consecutive_failures: r.consecutiveFailures,
    failing_since: r.failingSince, next_probe_at: r.nextProbeAt,
    last_failure: r.lastFailureAt ? { at: r.lastFailureAt, status: r.lastFailureStatus, error: r.lastFailureError } : null,
  },
  created_at: r.createdAt, updated_at: r.updatedAt,
});

/** The flow-control columns an input sets (absent fields: `prev`'s value, or the defaults). */
function flowColumns(input: Partial<EndpointIn>, prev?: Row) {
  const cb = input.circuit_breaker ?? {};
  const rate = input.rate_limit === undefined ? (prev ? { count: prev.rateLimitCount, period: prev.rateLimitPeriod } : null) : input.rate_limit;
  return {
    cbEnabled: cb.enabled ?? prev?.cbEnabled ?? CIRCUIT_DEFAULTS.enabled,
    cbFailureThreshold: cb.failure_threshold ?? prev?.cbFailureThreshold ?? CIRCUIT_DEFAULTS.failure_threshold,
    cbFailingForSeconds: cb.failing_for_seconds ?? prev?.cbFailingForSeconds ?? CIRCUIT_DEFAULTS.failing_for_seconds,
    cbProbeIntervalSeconds: cb.probe_interval_seconds ?? prev?.cbProbeIntervalSeconds ?? CIRCUIT_DEFAULTS.probe_interval_seconds,
    rateLimitCount: rate?.count ?? null,
    rateLimitPeriod: rate?.period ?? null,
    maxConcurrency: input.max_concurrency === undefined ? (prev?.maxConcurrency ?? null) : input.max_concurrency,
    ordering: input.ordering ?? prev?.ordering ?? "none",
  };
}
const where = (orgId: string, appId: string, endpointId: string) => inOrg(endpoints, orgId, and(eq(endpoints.appId, appId), eq(endpoints.endpointId, endpointId)));

/** A Standard Webhooks signing key: `whsec_` + base64 of 24 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

/** 422 on `body.url` when the outbound policy refuses the URL. */
function checkUrl(ctx: Ctx, url: string): void {
  const problem = outboundProblem(url, ctx.env.OUTBOUND_ALLOW);
  if (problem) throw invalid(["body", "url"], problem, url);
}

/** Resolves the requested secret: plaintext to seal (and to show once if generated). */
function resolveSecret(secret: string | null | undefined): { plain: string | null | undefined; generated: boolean } {
  if (secret === "generate") return { plain: generateSigningSecret(), generated: true };
  return { plain: secret, generated: false };
}

/**
 * Creates an endpoint (editor+) in an app of the given workspace. The URL must pass the
 * outbound policy. The secret is sealed with ENCRYPTION_KEY; a generated one is returned
 * once as `secret` and never again.
 */
export async function createEndpoint(ctx: Ctx, orgId: string, workspaceId: string, appId: string, input: EndpointIn): Promise<EndpointOut & { secret?: string }> {
  await gateOrg(ctx, orgId);
  await findApp(ctx, orgId, workspaceId, appId);
  assertRole(ctx.actor, "editor");
  checkUrl(ctx, input.url);
  const { plain, generated } = resolveSecret(input.secret);
  const t = nowIso();
  const values: typeof endpoints.$inferInsert = {
    endpointId: uuidv7(), orgId, workspaceId, appId, name: input.name, url: input.url, method: input.method ?? "POST",
    headers: input.headers ?? {}, secretEnc: plain ? await encryptSecret(ctx.env.ENCRYPTION_KEY, plain) : null,
    timeoutSeconds: input.timeout_seconds ?? 30, ...flowColumns(input), createdAt: t, updatedAt: t,
  };
  // RETURNING gives the row with the circuit's column defaults, in the same statement.
  const row = (await ctx.db.insert(endpoints).values(values).returning())[0]!;
  return generated && plain ? { ...out(row), secret: plain } : out(row);
}

/** Lists an app's endpoints newest first (viewer+). */
export async function listEndpoints(ctx: Ctx, orgId: string, workspaceId: string, appId: string, page: PageIn): Promise<Page<EndpointOut>> {
  await gateOrg(ctx, orgId);
  await findApp(ctx, orgId, workspaceId, appId);
  assertRole(ctx.actor, "viewer");
  return pageOf(ctx.db, endpoints, endpoints.endpointId, inOrg(endpoints, orgId, eq(endpoints.appId, appId)), page, out);
}

async function findEndpoint(ctx: Ctx, orgId: string, workspaceId: string, appId: string, endpointId: string): Promise<Row> {
  await findApp(ctx, orgId, workspaceId, appId);
  const row = (await ctx.db.select().from(endpoints).where(where(orgId, appId, endpointId)).limit(1))[0];
  if (!row) throw notFound("endpoint");
  return row;
}

/** The org's endpoint by id alone, for faces that address it without its app path (viewer+; another org's id is the same 404). */
export async function findEndpointOfOrg(ctx: Ctx, orgId: string, endpointId: string): Promise<Row> {
  await gateOrg(ctx, orgId);
  const row = await ctx.db.select().from(endpoints).where(inOrg(endpoints, orgId, eq(endpoints.endpointId, endpointId))).get();
  if (!row) throw notFound("endpoint");
  assertRole(ctx.actor, "viewer");
  return row;
}

/** Reads one endpoint (viewer+). */
export async function getEndpoint(ctx: Ctx, orgId: string, workspaceId: string, appId: string, endpointId: string): Promise<EndpointOut> {
  await gateOrg(ctx, orgId);
  const row = await findEndpoint(ctx, orgId, workspaceId, appId, endpointId);
  assertRole(ctx.actor, "viewer");
  return out(row);
}

/**
 * Partial update (editor+): absent fields keep their value; `secret: null` removes the
 * secret, `secret: "generate"` rotates it (the new one is returned once).
 */
export async function updateEndpoint(ctx: Ctx, orgId: string, workspaceId: string, appId: string, endpointId: string, patch: Partial<EndpointIn>): Promise<EndpointOut & { secret?: string }> {
  await gateOrg(ctx, orgId);
  const row = await findEndpoint(ctx, orgId, workspaceId, appId, endpointId);
  assertRole(ctx.actor, "editor");
  if (patch.url !== undefined) checkUrl(ctx, patch.url);
  const { plain, generated } = resolveSecret(patch.secret);
  const next: Row = {
    ...row,
    name: patch.name ?? row.name,
    url: patch.url ?? row.url,
    method: patch.method ?? row.method,
    headers: patch.headers ?? row.headers,
    timeoutSeconds: patch.timeout_seconds ?? row.timeoutSeconds,
    ...flowColumns(patch, row),
    secretEnc: plain === undefined ? row.secretEnc : plain === null || plain === "" ? null : await encryptSecret(ctx.env.ENCRYPTION_KEY, plain),
    updatedAt: nowIso(),
  };
  const { endpointId: _id, orgId: _o, workspaceId: _w, appId: _a, createdAt: _c, ...all } = next;
  // The circuit's state is written only by deliveries, the cron and enable/disable, never by an edit.
  const changes = pick(all, ["name", "url", "method", "headers", "timeoutSeconds", "secretEnc", "updatedAt", ...(Object.keys(flowColumns({})) as (keyof typeof all)[])]);
  await ctx.db.update(endpoints).set(changes).where(where(orgId, appId, endpointId));
  return generated && plain ? { ...out(next), secret: plain } : out(next);
}

/** Deletes an endpoint (editor+); 409 while an action still delivers to it. */
export async function deleteEndpoint(ctx: Ctx, orgId: string, workspaceId: string, appId: string, endpointId: string): Promise<void> {
  await gateOrg(ctx, orgId);
  await findEndpoint(ctx, orgId, workspaceId, appId, endpointId);
  assertRole(ctx.actor, "editor");
  const n = await ctx.db.$count(actions, inOrg(actions, orgId, eq(actions.endpointId, endpointId)));
  if (n > 0) throw conflict(`endpoint is used by ${n} action(s); point them elsewhere or delete them first`);
  await ctx.db.delete(endpoints).where(where(orgId, appId, endpointId));
}

/**
 * Disables (editor+) an endpoint by hand: its new and retrying runs are held with reason
 * `endpoint_disabled` until it is enabled; runs already in flight finish. Emits
 * `endpoint.disabled` (by: the actor). Idempotent: disabling a disabled endpoint changes
 * nothing and emits nothing.
 */
export async function disableEndpoint(ctx: Ctx, orgId: string, workspaceId: string, appId: string, endpointId: string, reason?: string): Promise<EndpointOut> {
  await gateOrg(ctx, orgId);
  const row = await findEndpoint(ctx, orgId, workspaceId, appId, endpointId);
  assertRole(ctx.actor, "editor");
  const at = nowIso();
  const text = `disabled by ${ctx.actor.id}${reason ? `: ${reason}` : ""}`;
  const changed = await ctx.db
    .update(endpoints)
    .set({ circuitState: "disabled", circuitReason: text, circuitChangedAt: at, circuitChangedBy: ctx.actor.id, probeRunId: null, nextProbeAt: null })
    .where(and(where(orgId, appId, endpointId), ne(endpoints.circuitState, "disabled")))
    .returning();
  if (changed[0]) await emitOperationalEvent(ctx.db, ctx.env, "endpoint.disabled", row, { reason: text, circuit_state: "disabled", by: ctx.actor.id }, at);
  return out(changed[0] ?? (await findEndpoint(ctx, orgId, workspaceId, appId, endpointId)));
}

/**
 * Enables (editor+) a disabled endpoint, or closes an open circuit by hand: the circuit is
 * closed with a fresh failure streak, `endpoint.recovered` is emitted, and the held runs
 * drain oldest first. Idempotent: enabling a closed endpoint changes nothing.
 */
export async function enableEndpoint(ctx: Ctx, orgId: string, workspaceId: string, appId: string, endpointId: string): Promise<EndpointOut> {
  await gateOrg(ctx, orgId);
  const row = await findEndpoint(ctx, orgId, workspaceId, appId, endpointId);
  assertRole(ctx.actor, "editor");
  const at = nowIso();
  const text = `enabled by ${ctx.actor.id}`;
  const changed = await ctx.db
    .update(endpoints)
    .set({ circuitState: "closed", circuitReason: text, circuitChangedAt: at, circuitChangedBy: ctx.actor.id, consecutiveFailures: 0, failingSince: null, probeFailures: 0, probeRunId: null, nextProbeAt: null })
    .where(and(where(orgId, appId, endpointId), ne(endpoints.circuitState, "closed")))
    .returning();
  if (changed[0]) {
    await emitOperationalEvent(ctx.db, ctx.env, "endpoint.recovered", row, { reason: text, circuit_state: "closed", by: ctx.actor.id }, at);
    await startDrain(ctx.env, endpointId);
  }
  return out(changed[0] ?? row);
}
