import { eq } from "drizzle-orm";
import { assertRole, type Role } from "../core/actor";
import type { Ctx } from "../core/context";
import { notFound } from "../core/errors";
import { nowIso } from "../core/ids";
import type { Page } from "../core/pagination";
import { apiKeys } from "../db/schema";
import { inOrg } from "../db/scope";
import { gateOrg, openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";
import { mintApiKey } from "./tokens";

/** An API key as listed: never the token, never its hash. */
export interface ApiKeyOut {
  key_id: string;
  org_id: string;
  name: string;
  role: Role;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

type Row = typeof apiKeys.$inferSelect;
const out = (r: Row): ApiKeyOut => ({
  key_id: r.keyId, org_id: r.orgId, name: r.name, role: r.role, created_at: r.createdAt, updated_at: r.updatedAt,
  revoked_at: r.revokedAt ?? null, last_used_at: r.lastUsedAt ?? null,
});
const where = (orgId: string, keyId: string) => inOrg(apiKeys, orgId, eq(apiKeys.keyId, keyId));

/** Creates a key (admin). The returned `token` is the only time it is ever shown; only its SHA-256 is stored. */
export async function createApiKey(ctx: Ctx, orgId: string, input: { name: string; role: Role }): Promise<ApiKeyOut & { token: string }> {
  await openOrg(ctx, orgId, "admin");
  const k = await mintApiKey();
  const t = nowIso();
  const row: Row = { keyId: k.keyId, orgId, name: input.name, role: input.role, tokenHash: k.hash, createdAt: t, updatedAt: t, revokedAt: null, lastUsedAt: null };
  await ctx.db.insert(apiKeys).values(row);
  return { ...out(row), token: k.token };
}

/** Lists the org's keys, revoked ones included (admin). */
export async function listApiKeys(ctx: Ctx, orgId: string, page: PageIn): Promise<Page<ApiKeyOut>> {
  await openOrg(ctx, orgId, "admin");
  return pageOf(ctx.db, apiKeys, apiKeys.keyId, inOrg(apiKeys, orgId), page, out);
}

async function findKey(ctx: Ctx, orgId: string, keyId: string): Promise<Row> {
  const row = (await ctx.db.select().from(apiKeys).where(where(orgId, keyId)).limit(1))[0];
  if (!row) throw notFound("api key");
  return row;
}

/** Reads one key's metadata (admin). */
export async function getApiKey(ctx: Ctx, orgId: string, keyId: string): Promise<ApiKeyOut> {
  await gateOrg(ctx, orgId);
  const row = await findKey(ctx, orgId, keyId);
  assertRole(ctx.actor, "admin");
  return out(row);
}

/** Renames a key or changes its role (admin). Takes effect on the key's next request. */
export async function updateApiKey(ctx: Ctx, orgId: string, keyId: string, patch: { name?: string; role?: Role }): Promise<ApiKeyOut> {
  await gateOrg(ctx, orgId);
  const row = await findKey(ctx, orgId, keyId);
  assertRole(ctx.actor, "admin");
  const next: Row = { ...row, name: patch.name ?? row.name, role: patch.role ?? row.role, updatedAt: nowIso() };
  await ctx.db.update(apiKeys).set({ name: next.name, role: next.role, updatedAt: next.updatedAt }).where(where(orgId, keyId));
  return out(next);
}

/** Revokes a key (admin): from now on it is refused with 401. Idempotent; the record stays listed. */
export async function revokeApiKey(ctx: Ctx, orgId: string, keyId: string): Promise<void> {
  await gateOrg(ctx, orgId);
  const row = await findKey(ctx, orgId, keyId);
  assertRole(ctx.actor, "admin");
  if (row.revokedAt) return;
  const t = nowIso();
  await ctx.db.update(apiKeys).set({ revokedAt: t, updatedAt: t }).where(where(orgId, keyId));
}
