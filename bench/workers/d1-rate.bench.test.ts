/**
 * D1 write-rate benchmark (printed, never asserted on time), on real local D1 (miniflare)
 * inside workerd, into the real `events` table (migrations applied by test/setup.ts): 2 KB JSON
 * bodies, unique event ids, unique (project_trigger_id, dedup_key).
 *
 *   single      one INSERT per call, sequential, then 16 concurrent callers
 *   json_each   one `INSERT … SELECT … FROM json_each(?) ON CONFLICT DO NOTHING` per 100 rows
 *   batch       `db.batch()` of N single-row INSERTs, N = 10 and 100
 *
 * Each figure: rows/s, statements/s (a statement is one SQL statement sent to D1, so a
 * `db.batch()` of 10 is 10), D1 calls/s (round trips from the Worker), and `rows_written`
 * from D1's result meta per inserted event row (local D1 counts index entries as rows), and
 * the time D1 itself reports (`meta.duration`, summed) per row and per statement.
 * Run alone: `npx vitest run --config vitest.bench.config.ts bench/workers/d1-rate.bench.test.ts`.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { report } from "./report";

const ORG = "00000000-0000-7000-8000-0000000d1a7e";
const APP = "00000000-0000-7000-8000-0000000d1a99";
const TRIGGER = "00000000-0000-7000-8000-0000000d1a77";
/** A prefix per file run, so ids stay unique whatever storage the pool keeps between runs. */
const RUN = crypto.randomUUID().slice(0, 8);
let seq = 0;

const HEADERS = JSON.stringify({ "content-type": "application/json", "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" });

function hex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

interface Row {
  event_id: string;
  org_id: string;
  app_id: string;
  project_trigger_id: string;
  provider_id: string;
  event_type: string;
  dedup_key: string;
  headers: string;
  body: string;
  status: string;
  received_at: string;
}

/** One event row with a 2 KB JSON body (exactly 2,048 bytes). */
function row(): Row {
  const n = ++seq;
  const id = `${RUN}-${String(n).padStart(10, "0")}`;
  const shell = JSON.stringify({ id: `evt_${id}`, type: "invoice.paid", data: "" });
  const body = JSON.stringify({ id: `evt_${id}`, type: "invoice.paid", data: hex((2048 - shell.length) / 2) });
  return {
    event_id: `ev-${id}`,
    org_id: ORG,
    app_id: APP,
    project_trigger_id: TRIGGER,
    provider_id: "stripe",
    event_type: "invoice.paid",
    dedup_key: `msg_${id}`,
    headers: HEADERS,
    body,
    status: "received",
    received_at: new Date().toISOString(),
  };
}

const INSERT_ONE = `INSERT INTO events (event_id, org_id, app_id, project_trigger_id, provider_id, event_type, dedup_key, headers, body, status, received_at)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`;

const INSERT_JSON_EACH = `INSERT INTO events (event_id, org_id, app_id, project_trigger_id, provider_id, event_type, dedup_key, headers, body, status, received_at)
  SELECT json_extract(value, '$.event_id'), json_extract(value, '$.org_id'), json_extract(value, '$.app_id'),
    json_extract(value, '$.project_trigger_id'), json_extract(value, '$.provider_id'), json_extract(value, '$.event_type'),
    json_extract(value, '$.dedup_key'), json_extract(value, '$.headers'), json_extract(value, '$.body'),
    json_extract(value, '$.status'), json_extract(value, '$.received_at')
  FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`;

function one(r: Row): D1PreparedStatement {
  return env.DB.prepare(INSERT_ONE).bind(
    r.event_id, r.org_id, r.app_id, r.project_trigger_id, r.provider_id, r.event_type, r.dedup_key, r.headers, r.body, r.status, r.received_at,
  );
}

interface Tally {
  rows: number;
  statements: number;
  calls: number;
  rowsWritten: number;
  /** Sum of D1's own `meta.duration` (time inside the database, without the round trip). */
  d1Ms: number;
}

function figures(t: Tally, ms: number, extra: Record<string, unknown> = {}) {
  const s = ms / 1000;
  return {
    ...extra,
    rows: t.rows,
    statements: t.statements,
    d1_calls: t.calls,
    ms: Math.round(ms),
    rows_per_s: Math.round(t.rows / s),
    statements_per_s: Math.round(t.statements / s),
    d1_calls_per_s: Math.round(t.calls / s),
    rows_written_per_event_row: +(t.rowsWritten / t.rows).toFixed(2),
    d1_exec_ms: Math.round(t.d1Ms),
    d1_exec_ms_per_row: +(t.d1Ms / t.rows).toFixed(4),
    d1_exec_ms_per_statement: +(t.d1Ms / t.statements).toFixed(4),
  };
}

async function count(): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM events WHERE org_id = ?1").bind(ORG).first<{ n: number }>())!.n;
}

/** Runs `total` single-row inserts with `callers` concurrent callers (each awaits its own). */
async function singleRows(total: number, callers: number) {
  const rows = Array.from({ length: total }, row);
  const t: Tally = { rows: 0, statements: 0, calls: 0, rowsWritten: 0, d1Ms: 0 };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = next++; i < total; i = next++) {
        const r = await one(rows[i]!).run();
        t.rows += r.meta.changes;
        t.statements++;
        t.calls++;
        t.rowsWritten += r.meta.rows_written;
        t.d1Ms += r.meta.duration;
      }
    }),
  );
  return { t, ms: performance.now() - t0 };
}

// Warm the isolate and the D1 object so the first figure does not pay for start-up.
it("warms up", async () => {
  for (let i = 0; i < 20; i++) await one(row()).run();
  await env.DB.prepare("DELETE FROM events WHERE org_id = ?1").bind(ORG).run();
});

it("single-row INSERTs, sequential", async () => {
  const before = await count();
  const { t, ms } = await singleRows(3_000, 1);
  report("d1_rate.single_seq", figures(t, ms, { callers: 1 }));
  expect(await count()).toBe(before + 3_000);
});

it("single-row INSERTs, 16 concurrent callers", async () => {
  const before = await count();
  const { t, ms } = await singleRows(5_000, 16);
  report("d1_rate.single_c16", figures(t, ms, { callers: 16 }));
  expect(await count()).toBe(before + 5_000);
});

it("one INSERT … SELECT FROM json_each(?) per 100 rows", async () => {
  const before = await count();
  const batches = Array.from({ length: 300 }, () => JSON.stringify(Array.from({ length: 100 }, row)));
  const paramBytes = new TextEncoder().encode(batches[0]!).length;
  const stmt = env.DB.prepare(INSERT_JSON_EACH);
  const t: Tally = { rows: 0, statements: 0, calls: 0, rowsWritten: 0, d1Ms: 0 };
  const t0 = performance.now();
  for (const b of batches) {
    const r = await stmt.bind(b).run();
    t.rows += r.meta.changes;
    t.statements++;
    t.calls++;
    t.rowsWritten += r.meta.rows_written;
    t.d1Ms += r.meta.duration;
  }
  const ms = performance.now() - t0;
  report("d1_rate.json_each_100", figures(t, ms, { rows_per_statement: 100, bound_param_bytes: paramBytes }));
  expect(await count()).toBe(before + 30_000);

  // The same statement again with the same 100 rows: every row conflicts, nothing is written.
  const again = await stmt.bind(batches[0]!).run();
  report("d1_rate.json_each_100_all_duplicates", { changes: again.meta.changes, rows_written: again.meta.rows_written, d1_exec_ms: +again.meta.duration.toFixed(2) });
  expect(again.meta.changes).toBe(0);
});

for (const [n, batches] of [[10, 500], [100, 100]] as const) {
  it(`db.batch() of ${n} single-row INSERTs`, async () => {
    const before = await count();
    const groups = Array.from({ length: batches }, () => Array.from({ length: n }, row));
    const t: Tally = { rows: 0, statements: 0, calls: 0, rowsWritten: 0, d1Ms: 0 };
    const t0 = performance.now();
    for (const g of groups) {
      const results = await env.DB.batch(g.map(one));
      t.calls++;
      for (const r of results) {
        t.rows += r.meta.changes;
        t.statements++;
        t.rowsWritten += r.meta.rows_written;
        t.d1Ms += r.meta.duration;
      }
    }
    const ms = performance.now() - t0;
    report(`d1_rate.batch_${n}`, figures(t, ms, { statements_per_batch: n }));
    expect(await count()).toBe(before + n * batches);
  });
}

it("reports the rows_written of one insert and the database size", async () => {
  const r = await one(row()).run();
  const indexes = await env.DB.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").first<{ n: number }>();
  report("d1_rate.one_insert_meta", {
    rows_written: r.meta.rows_written,
    changes: r.meta.changes,
    events_indexes_incl_pk: indexes?.n ?? null,
    event_rows: await count(),
    d1_size_bytes: r.meta.size_after,
  });
  expect(r.meta.changes).toBe(1);
});
