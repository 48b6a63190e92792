import { describe, expect, it } from "vitest";
import { advance, emptyCursor, parseCursor, SEEN_LIMIT, unseen } from "../../src/durable/cursor";
import { atPath, type PolledItem } from "../../src/services/poller-http";

const item = (id: string, time: string | null = null): PolledItem => ({ id, time, data: { id } });

describe("atPath", () => {
  it("follows dot paths, '' is the value itself", () => {
    const v = { a: { b: [{ c: 1 }] } };
    expect(atPath(v, "")).toBe(v);
    expect(atPath(v, "a.b.0.c")).toBe(1);
    expect(atPath(v, "a.x.y")).toBeUndefined();
  });
});

describe("cursor", () => {
  it("unseen drops seen ids and duplicates, orders by time when every item has one", () => {
    const c = { ...emptyCursor(), seen_ids: ["a"] };
    expect(unseen(c, [item("c", "2026-01-03T00:00:00Z"), item("a", "2026-01-01T00:00:00Z"), item("b", "2026-01-02T00:00:00Z"), item("b", "2026-01-02T00:00:00Z")]).map((i) => i.id)).toEqual(["b", "c"]);
    expect(unseen(emptyCursor(), [item("z"), item("y", "2026-01-01T00:00:00Z")]).map((i) => i.id)).toEqual(["z", "y"]);
  });

  it("advance: version grows, last_item_at never goes backwards, window bounded", () => {
    let c = advance(emptyCursor(), [item("a", "2026-01-05T00:00:00Z")], 1, "t1");
    expect(c).toMatchObject({ version: 1, last_item_at: "2026-01-05T00:00:00Z", items_emitted: 1, seen_ids: ["a"] });
    c = advance(c, [item("old", "2025-01-01T00:00:00Z")], 1, "t2");
    expect(c.last_item_at).toBe("2026-01-05T00:00:00Z");
    expect(c.version).toBe(2);
    const many = Array.from({ length: SEEN_LIMIT + 10 }, (_, i) => item(`i${i}`));
    c = advance(c, many, many.length, "t3");
    expect(c.seen_ids).toHaveLength(SEEN_LIMIT);
    expect(c.seen_ids.at(-1)).toBe(`i${SEEN_LIMIT + 9}`);
  });

  it("parseCursor accepts garbage as a fresh cursor", () => {
    expect(parseCursor(null)).toEqual(emptyCursor());
    expect(parseCursor({ version: "x", seen_ids: [1, "a"] })).toMatchObject({ version: 0, seen_ids: ["a"] });
  });
});
