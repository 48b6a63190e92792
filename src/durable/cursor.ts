import type { PolledItem } from "../services/poller-http";

/** How many recently seen item ids a cursor remembers. */
export const SEEN_LIMIT = 500;

/**
 * A polling trigger's `cursor_data`. Guarantees: `version` only increases; `last_item_at`
 * (newest item time seen) never goes backwards; `seen_ids` holds at most SEEN_LIMIT ids,
 * newest last. `seen_ids` only saves work: the events table's unique (trigger, dedup_key)
 * index is what guarantees an item is stored once even after its id left the window.
 */
export interface Cursor {
  version: number;
  seen_ids: string[];
  last_item_at: string | null;
  last_polled_at: string | null;
  items_emitted: number;
}

/** The cursor of a trigger that has never polled: version 0, nothing seen. */
export const emptyCursor = (): Cursor => ({ version: 0, seen_ids: [], last_item_at: null, last_polled_at: null, items_emitted: 0 });

/** Reads a cursor from stored JSON; anything unrecognisable is a fresh cursor. */
export function parseCursor(raw: unknown): Cursor {
  if (!raw || typeof raw !== "object") return emptyCursor();
  const c = raw as Partial<Cursor>;
  return {
    version: typeof c.version === "number" ? c.version : 0,
    seen_ids: Array.isArray(c.seen_ids) ? c.seen_ids.filter((s): s is string => typeof s === "string").slice(-SEEN_LIMIT) : [],
    last_item_at: typeof c.last_item_at === "string" ? c.last_item_at : null,
    last_polled_at: typeof c.last_polled_at === "string" ? c.last_polled_at : null,
    items_emitted: typeof c.items_emitted === "number" ? c.items_emitted : 0,
  };
}

/** Items of `items` the cursor has not seen, oldest first (by time when known, else upstream order), each id once. */
export function unseen(cursor: Cursor, items: PolledItem[]): PolledItem[] {
  const seen = new Set(cursor.seen_ids);
  const out: PolledItem[] = [];
  for (const item of items) {
    if (seen.has(item.id)) continue;
    seen.add(item.id);
    out.push(item);
  }
  if (out.every((i) => i.time)) out.sort((a, b) => (a.time! < b.time! ? -1 : a.time! > b.time! ? 1 : 0));
  return out;
}

/**
 * The cursor after a poll whose items (`polled`, all now stored) produced `inserted` new
 * events: a strictly newer version, the polled ids moved to the newest end of the window,
 * and never an older `last_item_at`.
 */
export function advance(cursor: Cursor, polled: PolledItem[], inserted: number, polledAt: string): Cursor {
  const ordered = polled.every((i) => i.time) ? [...polled].sort((a, b) => (a.time! < b.time! ? -1 : a.time! > b.time! ? 1 : 0)) : polled;
  const current = new Set(ordered.map((i) => i.id));
  const window = [...cursor.seen_ids.filter((id) => !current.has(id)), ...current];
  let newest = cursor.last_item_at;
  for (const i of polled) if (i.time && (!newest || i.time > newest)) newest = i.time;
  return {
    version: cursor.version + 1,
    seen_ids: window.slice(-SEEN_LIMIT),
    last_item_at: newest,
    last_polled_at: polledAt,
    items_emitted: cursor.items_emitted + inserted,
  };
}
