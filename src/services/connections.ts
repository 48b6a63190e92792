import { eq } from "drizzle-orm";
import type { Ctx } from "../core/context";
import { conflict, invalid, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import { connections, triggers } from "../db/schema";
import { inOrg } from "../db/scope";
import { connectionSecretProblem } from "../providers/registry";
import { openSecrets, sealSecrets, type Secrets } from "./connection-secrets";
import { assertRole } from "../core/actor";
import { gateOrg, openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";

/** A connection as the API shows it: secret values never, only the names of the keys. */
export interface ConnectionOut {
  connection_id: string;
  org_id: string;
  provider_id: string;
  name: string;
  secret_keys: string[];
  created_at: string;
  updated_at: string;
}

export interface ConnectionIn {
  provider_id: string;
  name: string;
  secrets: Secrets;
}

type Row = typeof connections.$inferSelect;
const where = (orgId: string, id: string) => inOrg(connections, orgId, eq(connections.connectionId, id));

async function out(ctx: Ctx, r: Row): Promise<ConnectionOut> {
  const keys = Object.keys(await openSecrets(ctx.env.ENCRYPTION_KEY, r.secretsEnc)).sort();
  return { connection_id: r.connectionId, org_id: r.orgId, provider_id: r.providerId, name: r.name, secret_keys: keys, created_at: r.createdAt, updated_at: r.updatedAt };
}

/** Creates a connection (admin); `secrets` is sealed with ENCRYPTION_KEY and never returned. */
export async function createConnection(ctx: Ctx, orgId: string, input: ConnectionIn): Promise<ConnectionOut> {
  await openOrg(ctx, orgId, "admin");
  const t = nowIso();
  const row: Row = { connectionId: uuidv7(), orgId, providerId: input.provider_id, name: input.name, secretsEnc: await sealSecrets(ctx.env.ENCRYPTION_KEY, input.secrets), createdAt: t, updatedAt: t };
  await ctx.db.insert(connections).values(row);
  return out(ctx, row);
}

/** Lists the org's connections (viewer+: nothing secret is shown, and editors need the ids for triggers). */
export async function listConnections(ctx: Ctx, orgId: string, page: PageIn): Promise<Page<ConnectionOut>> {
  await openOrg(ctx, orgId, "viewer");
  const p = await pageOf(ctx.db, connections, connections.connectionId, inOrg(connections, orgId), page, (r) => r);
  return { ...p, items: await Promise.all(p.items.map((r) => out(ctx, r))) };
}

async function findConnection(ctx: Ctx, orgId: string, id: string): Promise<Row> {
  const row = (await ctx.db.select().from(connections).where(where(orgId, id)).limit(1))[0];
  if (!row) throw notFound("connection");
  return row;
}

/** Reads one connection (viewer+). */
export async function getConnection(ctx: Ctx, orgId: string, id: string): Promise<ConnectionOut> {
  await gateOrg(ctx, orgId);
  const row = await findConnection(ctx, orgId, id);
  assertRole(ctx.actor, "viewer");
  return out(ctx, row);
}

/**
 * Refuses a patch that would break a trigger using the connection: a provider_id change while
 * any trigger uses it (409), or secrets that leave an attached webhook trigger without a
 * secret its verifier can use (422 at ["body","secrets"] naming the trigger and the secret;
 * the secrets themselves are never echoed).
 */
async function checkAttached(ctx: Ctx, orgId: string, row: Row, patch: Partial<ConnectionIn>): Promise<void> {
  const attached = await ctx.db
    .select({ id: triggers.projectTriggerId, providerId: triggers.providerId, type: triggers.triggerType })
    .from(triggers)
    .where(inOrg(triggers, orgId, eq(triggers.connectionId, row.connectionId)));
  if (attached.length === 0) return;
  if (patch.provider_id !== undefined && patch.provider_id !== row.providerId) {
    throw conflict(`provider_id cannot change from '${row.providerId}' while ${attached.length} trigger(s) use this connection; create a new connection instead`);
  }
  if (patch.secrets === undefined) return;
  for (const t of attached) {
    const problem = t.type === "webhook" ? connectionSecretProblem(t.providerId, patch.secrets) : null;
    if (problem) {
      throw invalid(["body", "secrets"], `trigger ${t.id} (${t.providerId}) uses this connection and would be left without a usable ${problem.secret}: ${problem.msg}`, undefined, {
        project_trigger_id: t.id,
        missing: problem.secret,
      });
    }
  }
}

/**
 * Partial update (admin); `secrets`, when present, replaces the whole secrets object. Refused
 * when it would leave a trigger using the connection unable to verify (see checkAttached).
 */
export async function updateConnection(ctx: Ctx, orgId: string, id: string, patch: Partial<ConnectionIn>): Promise<ConnectionOut> {
  await gateOrg(ctx, orgId);
  const row = await findConnection(ctx, orgId, id);
  assertRole(ctx.actor, "admin");
  await checkAttached(ctx, orgId, row, patch);
  const next: Row = {
    ...row,
    providerId: patch.provider_id ?? row.providerId,
    name: patch.name ?? row.name,
    secretsEnc: patch.secrets !== undefined ? await sealSecrets(ctx.env.ENCRYPTION_KEY, patch.secrets) : row.secretsEnc,
    updatedAt: nowIso(),
  };
  await ctx.db.update(connections).set({ providerId: next.providerId, name: next.name, secretsEnc: next.secretsEnc, updatedAt: next.updatedAt }).where(where(orgId, id));
  return out(ctx, next);
}

/** Deletes a connection (admin); 409 while a trigger still uses it. */
export async function deleteConnection(ctx: Ctx, orgId: string, id: string): Promise<void> {
  await gateOrg(ctx, orgId);
  await findConnection(ctx, orgId, id);
  assertRole(ctx.actor, "admin");
  const n = await ctx.db.$count(triggers, inOrg(triggers, orgId, eq(triggers.connectionId, id)));
  if (n > 0) throw conflict(`connection is used by ${n} trigger(s); re-point or delete them first`);
  await ctx.db.delete(connections).where(where(orgId, id));
}
