import { eq } from "drizzle-orm";
import { assertRole, type Role } from "../core/actor";
import type { Ctx } from "../core/context";
import { hashPassword } from "../core/crypto";
import { conflict, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import { users } from "../db/schema";
import { inOrg } from "../db/scope";
import { gateOrg, openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";

/** A user as the API shows it: never the password or its hash. */
export interface UserOut {
  user_id: string;
  org_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface UserIn {
  email: string;
  name: string;
  role: Role;
  password: string;
}

type Row = typeof users.$inferSelect;
const out = (r: Row): UserOut => ({ user_id: r.userId, org_id: r.orgId, email: r.email, name: r.name, role: r.role, created_at: r.createdAt, updated_at: r.updatedAt });
const where = (orgId: string, userId: string) => inOrg(users, orgId, eq(users.userId, userId));

/**
 * Email is unique within one org (index users_org_email): 409 only when the SAME org already
 * has it, so the answer never reveals whether another org uses an email. Checked before the
 * write for a clear 409; the unique index still guards the race, mapped to 409 too.
 */
async function assertEmailFree(ctx: Ctx, orgId: string, email: string, exceptUserId?: string): Promise<void> {
  const other = (await ctx.db.select({ id: users.userId }).from(users).where(inOrg(users, orgId, eq(users.email, email))).limit(1))[0];
  if (other && other.id !== exceptUserId) throw conflict("a user with this email already exists");
}

const isUniqueViolation = (err: unknown) => /UNIQUE constraint failed/i.test(String((err as { cause?: unknown })?.cause ?? err));

/** Creates a user (admin). Email is stored lower-case; the password only as a PBKDF2 hash. */
export async function createUser(ctx: Ctx, orgId: string, input: UserIn): Promise<UserOut> {
  await openOrg(ctx, orgId, "admin");
  const email = input.email.trim().toLowerCase();
  await assertEmailFree(ctx, orgId, email);
  const t = nowIso();
  const row: Row = { userId: uuidv7(), orgId, email, name: input.name, role: input.role, passwordHash: await hashPassword(input.password), createdAt: t, updatedAt: t };
  try {
    await ctx.db.insert(users).values(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("a user with this email already exists");
    throw err;
  }
  return out(row);
}

/** Lists the org's users (admin). */
export async function listUsers(ctx: Ctx, orgId: string, page: PageIn): Promise<Page<UserOut>> {
  await openOrg(ctx, orgId, "admin");
  return pageOf(ctx.db, users, users.userId, inOrg(users, orgId), page, out);
}

async function findUser(ctx: Ctx, orgId: string, userId: string): Promise<Row> {
  const row = (await ctx.db.select().from(users).where(where(orgId, userId)).limit(1))[0];
  if (!row) throw notFound("user");
  return row;
}

/** Reads one user (admin). */
export async function getUser(ctx: Ctx, orgId: string, userId: string): Promise<UserOut> {
  await gateOrg(ctx, orgId);
  const row = await findUser(ctx, orgId, userId);
  assertRole(ctx.actor, "admin");
  return out(row);
}

/** Partial update (admin): email (409 if taken), name, role, password (re-hashed). */
export async function updateUser(ctx: Ctx, orgId: string, userId: string, patch: Partial<UserIn>): Promise<UserOut> {
  await gateOrg(ctx, orgId);
  const row = await findUser(ctx, orgId, userId);
  assertRole(ctx.actor, "admin");
  const email = patch.email?.trim().toLowerCase();
  if (email && email !== row.email) await assertEmailFree(ctx, orgId, email, userId);
  const next: Row = {
    ...row,
    email: email ?? row.email,
    name: patch.name ?? row.name,
    role: patch.role ?? row.role,
    passwordHash: patch.password !== undefined ? await hashPassword(patch.password) : row.passwordHash,
    updatedAt: nowIso(),
  };
  try {
    await ctx.db.update(users).set({ email: next.email, name: next.name, role: next.role, passwordHash: next.passwordHash, updatedAt: next.updatedAt }).where(where(orgId, userId));
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("a user with this email already exists");
    throw err;
  }
  return out(next);
}

/** Deletes a user (admin). Tokens already issued to them expire within their lifetime. */
export async function deleteUser(ctx: Ctx, orgId: string, userId: string): Promise<void> {
  await gateOrg(ctx, orgId);
  await findUser(ctx, orgId, userId);
  assertRole(ctx.actor, "admin");
  await ctx.db.delete(users).where(where(orgId, userId));
}
