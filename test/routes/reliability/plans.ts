/**
 * Query-plan guard helpers: an env whose D1 records every statement the real code sends (SQL
 * and bound parameters) and whose queues only collect messages, and a check that asks
 * SQLite's `EXPLAIN QUERY PLAN` how each recorded statement reads the guarded tables.
 */
import { env } from "cloudflare:test";
import type { Env } from "../../../src/env";

/** One statement as the code sent it. */
export interface Sent {
  sql: string;
  params: unknown[];
}

const inner = new WeakMap<object, { stmt: D1PreparedStatement; sql: string; params: unknown[] }>();

function recordStatement(seen: Sent[], stmt: D1PreparedStatement, sql: string, params: unknown[]): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      if (prop === "bind") return (...args: unknown[]) => recordStatement(seen, target.bind(...args), sql, args);
      const v = Reflect.get(target, prop);
      if (typeof v !== "function") return v;
      if (prop === "run" || prop === "all" || prop === "raw" || prop === "first") {
        return (...args: unknown[]) => {
          seen.push({ sql, params });
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return v.bind(target);
    },
  });
  inner.set(proxy, { stmt, sql, params });
  return proxy;
}

/** A D1Database that forwards everything and appends each executed statement to `seen`. */
export function recordingD1(db: D1Database, seen: Sent[]): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => recordStatement(seen, target.prepare(sql), sql, []);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          const real = stmts.map((s) => {
            const i = inner.get(s);
            if (i) seen.push({ sql: i.sql, params: i.params });
            return i?.stmt ?? s;
          });
          return target.batch(real);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A queue that keeps what it is sent (nothing reaches the real consumer). */
function sink(into: unknown[]): Queue<unknown> {
  return {
    send: async (body: unknown) => void into.push(body),
    sendBatch: async (msgs: Iterable<MessageSendRequest<unknown>>) => void into.push(...[...msgs].map((m) => m.body)),
    metrics: async () => ({ backlogCount: 0, backlogBytes: 0 }),
  } as unknown as Queue<unknown>;
}

/** The test env with D1 recorded into `seen` and both queues collected into `sent`. */
export function recordingEnv(seen: Sent[], sent: unknown[] = []): Env {
  return { ...env, DB: recordingD1(env.DB, seen), TASKS: sink(sent), DLQ: sink(sent) } as Env;
}

/** The tables a statement names, with the aliases it gives them (`FROM runs o` → o). */
export function namesOf(sql: string, tables: readonly string[]): Set<string> {
  const names = new Set<string>();
  const keywords = new Set(["where", "on", "set", "inner", "left", "join", "order", "group", "limit", "as", "values", "select", "returning", "and", "using", "union"]);
  const re = new RegExp(`\\b(?:from|join|update|into)\\s+"?(${tables.join("|")})"?(?:\\s+(?:as\\s+)?"?(\\w+)"?)?`, "gi");
  for (const m of sql.matchAll(re)) {
    names.add(m[1]!.toLowerCase());
    if (m[2] && !keywords.has(m[2].toLowerCase())) names.add(m[2].toLowerCase());
  }
  return names;
}

/** The plan lines SQLite gives for one recorded statement. */
export async function planOf(s: Sent): Promise<string[]> {
  const r = await env.DB.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).bind(...s.params).all<{ detail: string }>();
  return r.results.map((x) => x.detail);
}

/**
 * Plan lines that read a guarded table (or an alias of it) without any index: SQLite's
 * `SCAN <name>` with no `USING … INDEX` — a full table scan.
 */
export function fullScans(plan: string[], names: Set<string>): string[] {
  return plan.filter((line) => {
    const m = /^SCAN (\w+)(.*)$/.exec(line);
    return !!m && names.has(m[1]!.toLowerCase()) && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(m[2]!);
  });
}
