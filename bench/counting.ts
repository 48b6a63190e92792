/**
 * Counting wrappers around the platform bindings, for the cost benchmarks: every D1
 * statement (and rows written, from D1's own result meta), every queue call and message,
 * every Durable Object request. They forward to the real bindings; nothing is faked.
 */
import type { Env } from "../src/env";
import type { Task } from "../src/queue/messages";

export interface Counts {
  d1Statements: number;
  d1RowsWritten: number;
  d1RowsRead: number;
  queueCalls: number;
  queueMessages: number;
  doRequests: number;
}

export const zeroCounts = (): Counts => ({ d1Statements: 0, d1RowsWritten: 0, d1RowsRead: 0, queueCalls: 0, queueMessages: 0, doRequests: 0 });

function addMeta(c: Counts, result: unknown) {
  const meta = (result as { meta?: { rows_written?: number; rows_read?: number } } | null)?.meta;
  c.d1RowsWritten += meta?.rows_written ?? 0;
  c.d1RowsRead += meta?.rows_read ?? 0;
}

const WRITES = /^\s*(insert|update|delete|replace)\b/i;

function wrapStatement(c: Counts, stmt: D1PreparedStatement, sql: string): D1PreparedStatement {
  return new Proxy(stmt, {
    get(target, prop, recv) {
      if (prop === "bind") return (...args: unknown[]) => wrapStatement(c, target.bind(...args), sql);
      if (prop === "run" || prop === "all") {
        return async (...args: unknown[]) => {
          c.d1Statements++;
          const r = await (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          addMeta(c, r);
          return r;
        };
      }
      if (prop === "first" || prop === "raw") {
        return async (...args: unknown[]) => {
          c.d1Statements++;
          const r = await (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          // raw() carries no meta: a write's RETURNING rows are the rows it wrote.
          if (prop === "raw" && WRITES.test(sql) && Array.isArray(r)) c.d1RowsWritten += r.length;
          return r;
        };
      }
      if (prop === "__inner") return target;
      const v = Reflect.get(target, prop, recv);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A D1Database that counts statements and rows written. */
export function countingD1(c: Counts, db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrapStatement(c, target.prepare(sql), sql);
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          c.d1Statements += stmts.length;
          const inner = stmts.map((s) => ((s as unknown as { __inner?: D1PreparedStatement }).__inner ?? s));
          const results = await target.batch(inner);
          for (const r of results) addMeta(c, r);
          return results;
        };
      }
      if (prop === "exec") {
        return async (sql: string) => {
          c.d1Statements++;
          return target.exec(sql);
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
