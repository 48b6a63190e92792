import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";

/** Rows given to one statement at most. */
export const CHUNK_ROWS = 100;
/** Bytes of rows (as JSON) given to one statement at most: its one bound value (D1 allows 2 MB per value). */
export const CHUNK_BYTES = 1_000_000;

const utf8 = new TextEncoder();

/** Splits `items` into chunks of at most CHUNK_ROWS items and CHUNK_BYTES bytes of `json` (a larger item gets a chunk of its own). */
export function chunkBySize<T>(items: T[], json: (item: T) => string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let size = 0;
  for (const item of items) {
    const text = json(item);
    const n = utf8.encode(text).length;
    if (cur.length && (cur.length >= CHUNK_ROWS || size + n > CHUNK_BYTES)) {
      out.push(`[${cur.join(",")}]`);
      cur = [];
      size = 0;
    }
    cur.push(text);
    size += n;
  }
  if (cur.length) out.push(`[${cur.join(",")}]`);
  return out;
}

/**
 * One row as the JSON object that `jsonInsert`'s statement reads: keys are the table's column
 * names, values what drizzle would bind (JSON columns as their JSON text, booleans as 0/1).
 * Keys of `row` that are not columns of `table` are an error (a typo would otherwise be NULL).
 */
export function toJsonRow<T extends SQLiteTable>(table: T, row: Partial<T["$inferInsert"]>): Record<string, unknown> {
  const cols = getTableColumns(table) as Record<string, SQLiteColumn>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    const col = cols[key];
    if (!col) throw new Error(`${key} is not a column of ${getTableName(table)}`);
    out[col.name] = value === null || value === undefined ? null : col.mapToDriverValue(value);
  }
  return out;
}

/**
 * Statements that insert `rows` into `table` with ONE bound parameter each (D1 allows 100
 * bound parameters per statement): `INSERT INTO t (…) SELECT json_extract(value, '$.col'), …
 * FROM json_each(?1) AS j WHERE <where> ON CONFLICT DO NOTHING [RETURNING …]`, one statement per
 * chunk (see CHUNK_ROWS, CHUNK_BYTES), for the caller's D1 batch. Guarantees: a row that
 * conflicts with any unique index or the primary key inserts nothing and fails nothing; the
 * columns are those of the first row (every row must name the same ones); `where` is a
 * constant SQL condition (never request input) that may read the row as `j.value`.
 */
export function jsonInsert<T extends SQLiteTable>(d1: D1Database, table: T, rows: Partial<T["$inferInsert"]>[], opts: { where?: string; returning?: string } = {}): D1PreparedStatement[] {
  if (rows.length === 0) return [];
  const json = rows.map((r) => toJsonRow(table, r));
  const names = Object.keys(json[0]!);
  const sql = `INSERT INTO "${getTableName(table)}" (${names.map((n) => `"${n}"`).join(", ")})
  SELECT ${names.map((n) => `json_extract(j.value, '$.${n}')`).join(", ")}
  FROM json_each(?1) AS j WHERE ${opts.where ?? "true"}
  ON CONFLICT DO NOTHING${opts.returning ? ` RETURNING ${opts.returning}` : ""}`;
  const stmt = d1.prepare(sql);
  return chunkBySize(json, (r) => JSON.stringify(r)).map((chunk) => stmt.bind(chunk));
}
