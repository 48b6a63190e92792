import { and, desc, eq, getTableColumns, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { decodeCursor, decodeTimeCursor, encodeTimeCursor, toPage, type Page } from "../core/pagination";
import type { Db } from "../db/client";

/** A validated page request: `limit` 1–200 and the opaque cursor from a previous page. */
export interface PageIn {
  limit: number;
  cursor?: string;
}

/**
 * Reads one page of `table` newest first (UUIDv7 ids: `ORDER BY id DESC`, `id < cursor`).
 * `where` must already carry the tenant scope (`inOrg`). `total` counts every row matching
 * `where`, independent of the cursor. A cursor this API did not issue is a 422.
 */
export async function pageOf<T extends SQLiteTable, O>(
  db: Db,
  table: T,
  idCol: SQLiteColumn,
  where: SQL | undefined,
  page: PageIn,
  map: (row: T["$inferSelect"]) => O,
): Promise<Page<O>> {
  const after = decodeCursor(page.cursor);
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(table as SQLiteTable)
      .where(and(where, after ? lt(idCol, after) : undefined))
      .orderBy(desc(idCol))
      .limit(page.limit + 1) as Promise<T["$inferSelect"][]>,
    db.$count(table, where),
  ]);
  const p = toPage(rows, page.limit, total, (r) => String((r as Record<string, unknown>)[idKey(table, idCol)]));
  return { ...p, items: p.items.map(map) };
}

/** The JS property name of `idCol` in `table` (drizzle rows are keyed by property name). */
function idKey(table: SQLiteTable, idCol: SQLiteColumn): string {
  const cols = getTableColumns(table);
  for (const [k, col] of Object.entries(cols)) if (col === idCol) return k;
  throw new Error(`column ${idCol.name} is not in the table`);
}

/**
 * Reads one page of `table` newest first by `timeCol`, ties broken by `idCol`
 * (`ORDER BY time DESC, id DESC`, after the cursor's (time, id)): for tables whose ids carry
 * no time (events: ids are derived from the delivery, see `eventIdFor`). Same guarantees as
 * `pageOf`; its cursors are not interchangeable with pageOf's (422 either way).
 */
export async function pageByTime<T extends SQLiteTable, O>(
  db: Db,
  table: T,
  timeCol: SQLiteColumn,
  idCol: SQLiteColumn,
  where: SQL | undefined,
  page: PageIn,
  map: (row: T["$inferSelect"]) => O,
): Promise<Page<O>> {
  const after = decodeTimeCursor(page.cursor);
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(table as SQLiteTable)
      .where(and(where, after ? or(lt(timeCol, after.at), and(eq(timeCol, after.at), lt(idCol, after.id))) : undefined))
      .orderBy(desc(timeCol), desc(idCol))
      .limit(page.limit + 1) as Promise<T["$inferSelect"][]>,
    db.$count(table, where),
  ]);
  const [tk, ik] = [idKey(table, timeCol), idKey(table, idCol)];
  const p = toPage(rows, page.limit, total, () => "");
  const last = p.items[p.items.length - 1] as Record<string, unknown> | undefined;
  return { ...p, next_cursor: p.has_more && last ? encodeTimeCursor(String(last[tk]), String(last[ik])) : null, items: p.items.map(map) };
}
