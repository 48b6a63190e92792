/**
 * Counting wrappers around the platform bindings, for the cost benchmarks: every D1
 * statement (and rows written, from D1's own result meta), every queue call and message,
 * every Durable Object request. They forward to the real bindings; nothing is faked.
 *
 * Rows written are D1's `meta.rows_written` for EVERY write, which counts index entries too
 * (an INSERT into a table with 3 secondary indexes writes 4+ rows). `raw()` and `first()`
 * return no meta, so a write called through them is executed through `all()` instead and its
 * result converted back (see `rawWrite`); reads through `raw()`/`first()` still report no
 * rows read (D1 gives no meta there), so `d1RowsRead` is a lower bound.
 */
import type { Env } from "../src/env";
import type { Task } from "../src/queue/messages";

/** One D1 statement as the counter saw it (breakdown mode): its SQL (first 120 chars) and D1's meta. */
export interface StatementCount {
  sql: string;
  rowsWritten: number;
  rowsRead: number;
}

export interface Counts {
  d1Statements: number;
  d1RowsWritten: number;
  d1RowsRead: number;
  queueCalls: number;
  queueMessages: number;
  doRequests: number;
  /** Present in breakdown mode: every D1 statement in execution order. */
  statements?: StatementCount[];
}

/** Fresh counters; with `breakdown`, every D1 statement is also listed in `statements`. */
export const zeroCounts = (breakdown = false): Counts => ({
  d1Statements: 0, d1RowsWritten: 0, d1RowsRead: 0, queueCalls: 0, queueMessages: 0, doRequests: 0,
  ...(breakdown ? { statements: [] } : {}),
});

/** The figures without the breakdown list, for `report`. */
export const totals = ({ statements: _s, ...figures }: Counts): Omit<Counts, "statements"> => figures;

/** Lines that show a breakdown: one per statement, `rows_written  sql`, then the sum. */
export function breakdownLines(c: Counts): string[] {
  const list = c.statements ?? [];
  return [
    ...list.map((s, i) => `${String(i + 1).padStart(2)}. w=${String(s.rowsWritten).padStart(2)} r=${String(s.rowsRead).padStart(2)}  ${s.sql}`),
    `    ${list.length} statements, ${list.reduce((n, s) => n + s.rowsWritten, 0)} rows written`,
  ];
}

type Meta = { rows_written?: number; rows_read?: number };

function addMeta(c: Counts, sql: string, result: unknown) {
  const meta = (result as { meta?: Meta } | null)?.meta;
  c.d1Statements++;
  c.d1RowsWritten += meta?.rows_written ?? 0;
  c.d1RowsRead += meta?.rows_read ?? 0;
  c.statements?.push({ sql: sql.replace(/\s+/g, " ").slice(0, 120), rowsWritten: meta?.rows_written ?? 0, rowsRead: meta?.rows_read ?? 0 });
}

const WRITES = /^\s*(insert|update|delete|replace)\b/i;

/**
 * The number of result columns a statement's top-level RETURNING clause names, or null when
 * it has none. Quotes and parentheses are skipped, so `CASE … END` or `f(a, b)` count as one.
 */
export function returningWidth(sql: string): number | null {
  let depth = 0;
  let quote: string | null = null;
  let start = -1;
  let width = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (depth === 0 && start < 0 && /^returning\b/i.test(sql.slice(i, i + 10)) && (i === 0 || /\s/.test(sql[i - 1]!))) {
      start = i + 9;
      width = 1;
    } else if (depth === 0 && start >= 0 && ch === ",") width++;
  }
  return start < 0 ? null : width;
}

/**
 * Executes a write that its caller called through `raw()` (drizzle's path for RETURNING)
 * through `all()` instead, so D1 reports its rows written, and gives back what `raw()` would
 * have: one array per row, columns in order. Exact only when no two RETURNING columns share a
 * name (objects would merge them): that is checked, and such a statement throws.
 */
async function rawWrite(c: Counts, stmt: D1PreparedStatement, sql: string): Promise<unknown[][]> {
  const r = await stmt.all<Record<string, unknown>>();
  addMeta(c, sql, r);
  const width = returningWidth(sql);
  const rows = r.results ?? [];
  if (rows.length && width !== null && Object.keys(rows[0]!).length !== width) {
    throw new Error(`counting: RETURNING has ${width} columns but ${Object.keys(rows[0]!).length} distinct names; cannot count exactly: ${sql.slice(0, 120)}`);
  }
  return rows.map((row) => Object.values(row));
}

function wrapStatement(c: Counts, stmt: D1PreparedStatement, sql: string): D1PreparedStatement {
  return new Proxy(stmt, {
    get(target, prop, recv) {
      if (prop === "bind") return (...args: unknown[]) => wrapStatement(c, target.bind(...args), sql);
      if (prop === "run" || prop === "all") {
        return async (...args: unknown[]) => {
          const r = await (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          addMeta(c, sql, r);
          return r;
        };
      }
      if (prop === "raw") {
        return async (opts?: { columnNames?: boolean }) => {
          if (!WRITES.test(sql)) {
            const r = await target.raw(opts as { columnNames: true });
            addMeta(c, sql, null);
            return r;
          }
          if (opts?.columnNames) throw new Error("counting: raw({ columnNames }) on a write is not supported");
          return rawWrite(c, target, sql);
        };
      }
      if (prop === "first") {
        return async (column?: string) => {
          if (!WRITES.test(sql)) {
            const r = await (column === undefined ? target.first() : target.first(column));
            addMeta(c, sql, null);
            return r;
          }
          const r = await target.all<Record<string, unknown>>();
          addMeta(c, sql, r);
          const row = r.results?.[0];
          return row === undefined ? null : column === undefined ? row : row[column];
        };
      }
      if (prop === "__inner") return target;
      if (prop === "__sql") return sql;
      const v = Reflect.get(target, prop, recv);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A D1Database that counts statements and rows written (every write's real `rows_written`). */
export function countingD1(c: Counts, db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrapStatement(c, target.prepare(sql), sql);
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          const inner = stmts.map((s) => ((s as unknown as { __inner?: D1PreparedStatement }).__inner ?? s));
          const results = await target.batch(inner);
          results.forEach((r, i) => addMeta(c, (stmts[i] as unknown as { __sql?: string }).__sql ?? "?", r));
          return results;
        };
      }
      if (prop === "exec") {
        return async (sql: string) => {
          const r = await target.exec(sql);
          addMeta(c, sql, null);
          return r;
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A Queue that counts calls and messages; `tap`, when given, receives every message body. */
export function countingQueue<T>(c: Counts, q: Queue<T>, tap?: T[]): Queue<T> {
  return new Proxy(q, {
    get(target, prop) {
      if (prop === "send") {
        return async (...args: Parameters<Queue<T>["send"]>) => {
          c.queueCalls++;
          c.queueMessages++;
          tap?.push(args[0]);
          return target.send(...args);
        };
      }
      if (prop === "sendBatch") {
        return async (msgs: Iterable<MessageSendRequest<T>>, opts?: QueueSendBatchOptions) => {
          const list = [...msgs];
          c.queueCalls++;
          c.queueMessages += list.length;
          tap?.push(...list.map((m) => m.body));
          return target.sendBatch(list, opts);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A Durable Object namespace whose stubs count every RPC/fetch call. */
export function countingDO<T extends Rpc.DurableObjectBranded | undefined>(c: Counts, ns: DurableObjectNamespace<T>): DurableObjectNamespace<T> {
  return new Proxy(ns, {
    get(target, prop) {
      if (prop === "get") {
        return (id: DurableObjectId) => {
          const stub = target.get(id);
          return new Proxy(stub, {
            get(s, p) {
              const v = Reflect.get(s, p);
              if (typeof v !== "function") return v;
              return (...args: unknown[]) => {
                c.doRequests++;
                return (v as (...a: unknown[]) => unknown).apply(s, args);
              };
            },
          });
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** The Worker env with every billable binding counted; `tap` receives every task sent. */
export function countingEnv(env: Env, c: Counts, tap?: Task[]): Env {
  return {
    ...env,
    DB: countingD1(c, env.DB),
    TASKS: countingQueue(c, env.TASKS, tap),
    DLQ: countingQueue(c, env.DLQ),
    TRIGGER_STATE: countingDO(c, env.TRIGGER_STATE),
  };
}
