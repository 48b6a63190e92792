import { and, eq, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * The tenant-scoping helper every query goes through. It returns a WHERE clause that
 * always includes `org_id = ?`, so a handler cannot forget the tenant: a row of another
 * org is simply not found (and the caller answers 404, never revealing it exists).
 */
export function inOrg(table: { orgId: SQLiteColumn }, orgId: string, ...more: (SQL | undefined)[]): SQL {
  return and(eq(table.orgId, orgId), ...more) as SQL;
}
