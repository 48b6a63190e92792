/**
 * The cost benchmark's D1 counter (bench/counting.ts) must count what D1 bills: every write's
 * `rows_written`, index entries included, whatever method the caller used. These tests run
 * on real local D1 and compare the wrapper with D1's own meta.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { countingD1, returningWidth, zeroCounts } from "../../bench/counting";

const TABLE = "counting_probe";

beforeAll(async () => {
  await env.DB.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (id TEXT PRIMARY KEY, a TEXT, b TEXT)`);
  await env.DB.exec(`CREATE INDEX IF NOT EXISTS ${TABLE}_a ON ${TABLE} (a)`);
  await env.DB.exec(`CREATE INDEX IF NOT EXISTS ${TABLE}_b ON ${TABLE} (b)`);
});

describe("bench counting", () => {
  it("counts a write called through raw() (drizzle's RETURNING path) with D1's rows_written, not its returned rows", async () => {
    const direct = await env.DB.prepare(`INSERT INTO ${TABLE} (id, a, b) VALUES ('d1', 'x', 'y')`).run();
    const c = zeroCounts(true);
    const rows = await countingD1(c, env.DB).prepare(`INSERT INTO ${TABLE} (id, a, b) VALUES (?, ?, ?) RETURNING id, a`).bind("r1", "x", "y").raw();
    expect(rows).toEqual([["r1", "x"]]);
    // The row, the primary-key index and two secondary indexes: the same as the direct run().
    expect(c.d1RowsWritten).toBe(direct.meta.rows_written);
    expect(c.d1RowsWritten).toBeGreaterThan(1);
    expect(c.statements).toEqual([expect.objectContaining({ rowsWritten: direct.meta.rows_written })]);
  });

  it("counts a write called through first() and keeps first()'s answer", async () => {
    const c = zeroCounts();
    const d = countingD1(c, env.DB);
    expect(await d.prepare(`UPDATE ${TABLE} SET a = 'z' WHERE id = ? RETURNING a`).bind("r1").first("a")).toBe("z");
    expect(await d.prepare(`UPDATE ${TABLE} SET b = 'q' WHERE id = 'none' RETURNING b`).first()).toBeNull();
    expect(c.d1Statements).toBe(2);
    expect(c.d1RowsWritten).toBe(2); // the row and its index entry `a`; the second matched nothing
  });

  it("refuses a RETURNING whose columns share a name instead of miscounting it", async () => {
    const d = countingD1(zeroCounts(), env.DB);
    await expect(d.prepare(`UPDATE ${TABLE} SET b = 'w' WHERE id = 'r1' RETURNING a, a`).raw()).rejects.toThrow(/cannot count exactly/);
  });

  it("sizes a RETURNING clause by its top-level commas", () => {
    expect(returningWidth(`update "t" set "a" = CASE WHEN x IN (1, 2) THEN 'a,b' ELSE a END returning "a", max(b, c), "d"`)).toBe(3);
    expect(returningWidth(`insert into t (a) select x from (select 1 as x) where 1`)).toBeNull();
  });
});
