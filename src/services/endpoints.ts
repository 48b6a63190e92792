import { and, eq } from "drizzle-orm";
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
  created_at: string;
  updated_at: string;
}

export interface EndpointIn {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** A signing secret, "generate" for a fresh `whsec_…` key, or (update only) null to remove it. */
  secret?: string | null;
  timeout_seconds?: number;
}

type Row = typeof endpoints.$inferSelect;
const out = (r: Row): EndpointOut => ({
  endpoint_id: r.endpointId, org_id: r.orgId, workspace_id: r.workspaceId, app_id: r.appId, name: r.name, url: r.url,
  method: r.method, headers: r.headers, timeout_seconds: r.timeoutSeconds, has_secret: r.secretEnc !== null,
  created_at: r.createdAt, updated_at: r.updatedAt,
});
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
  const row: Row = {
    endpointId: uuidv7(), orgId, workspaceId, appId, name: input.name, url: input.url, method: input.method ?? "POST",
    headers: input.headers ?? {}, secretEnc: plain ? await encryptSecret(ctx.env.ENCRYPTION_KEY, plain) : null,
    timeoutSeconds: input.timeout_seconds ?? 30, createdAt: t, updatedAt: t,
  };
  await ctx.db.insert(endpoints).values(row);
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
    secretEnc: plain === undefined ? row.secretEnc : plain === null || plain === "" ? null : await encryptSecret(ctx.env.ENCRYPTION_KEY, plain),
    updatedAt: nowIso(),
  };
  const { endpointId: _id, orgId: _o, workspaceId: _w, appId: _a, createdAt: _c, ...changes } = next;
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
