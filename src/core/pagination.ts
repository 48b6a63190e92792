import { invalid } from "./errors";

/** Opaque cursor: base64url of the last id returned. Ids are UUIDv7, so id order is time order. */
export function encodeCursor(lastId: string): string {
  return btoa(lastId).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes a cursor from `encodeCursor`; a malformed one is a 422 on `query.cursor`. */
export function decodeCursor(cursor: string | undefined | null): string | undefined {
  if (!cursor) return undefined;
  try {
    const id = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    if (/^[0-9a-f-]{36}$/i.test(id)) return id;
  } catch {
    /* fall through */
  }
  throw invalid(["query", "cursor"], "cursor is not one this API issued; pass next_cursor from a previous page", cursor);
}

export interface Page<T> {
  total: number;
  has_more: boolean;
  next_cursor: string | null;
  items: T[];
}

/**
 * Builds a page from rows fetched with `limit + 1` (newest first). Guarantees: at most
 * `limit` items, `has_more` true exactly when another row exists, `next_cursor` set iff has_more.
 */
export function toPage<T>(rows: T[], limit: number, total: number, idOf: (row: T) => string): Page<T> {
  const has_more = rows.length > limit;
  const items = has_more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { total, has_more, next_cursor: has_more && last ? encodeCursor(idOf(last)) : null, items };
}

/** Cursor of a (time, id) ordered page: base64url of `<iso time>|<id>`. */
export function encodeTimeCursor(at: string, id: string): string {
  return encodeCursor(`${at}|${id}`);
}

/** Decodes a cursor from `encodeTimeCursor`; anything else is a 422 on `query.cursor`. */
export function decodeTimeCursor(cursor: string | undefined | null): { at: string; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const m = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|([0-9a-f-]{36})$/i.exec(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (m) return { at: m[1]!, id: m[2]! };
  } catch {
    /* fall through */
  }
  throw invalid(["query", "cursor"], "cursor is not one this API issued; pass next_cursor from a previous page", cursor);
}
