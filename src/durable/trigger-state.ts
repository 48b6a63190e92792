import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { nowIso } from "../core/ids";
import { getDb } from "../db/client";
import { triggers } from "../db/schema";
import type { Env } from "../env";
import { PollError } from "../services/poller-http";
import { fetchPolledItems, loadTriggerById, recordPollError, storeEvents } from "../services/polling";
import { advance, parseCursor, unseen, type Cursor } from "./cursor";
import { decideRunHere, forgetHere, type DecisionResult, type ForgetOp, type RunDecision } from "./decisions";
import { pipelineOp, type PipelineOp, type PipelineOpResult } from "./pipeline-ops";
import { gateHere, gateSchema, type GateDecision, type GateOp, type Released } from "./endpoint-gate";
import { rateLimitHere, type Decision, type RateLimitOp } from "./rate-limit";
import type { IngestedEvent } from "../engine/event-log";
import { admitHere, FLUSH_DELAY_MS, flushHere, heldHere, inboxSchema, peekHere } from "./inbox";

/** What one poll did. `error` is the upstream problem recorded as the trigger's last_error. */
export type PollResult =
  | { status: "ok"; fetched: number; emitted: number; cursor: Cursor }
  | { status: "error"; error: string; cursor: Cursor }
  | { status: "skipped"; reason: string };

/**
 * One object per trigger (or `action:<id>` / `pipeline:<id>` for direct invocations): the
 * single writer of cursor and approval state, kept in this object's SQLite and mirrored to
 * D1 (the queryable record). Every operation runs under an in-object mutex, so two polls or
 * two pipeline steps never interleave across their awaits (D1, upstream fetch, queue).
 */
export class TriggerState extends DurableObject<Env> {
  private tail: Promise<unknown> = Promise.resolve();
  /** True while this object knows an alarm is set (saves a storage read per admitted row). */
  private alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const s = ctx.storage.sql;
    s.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    s.exec("CREATE TABLE IF NOT EXISTS decisions (run_id TEXT PRIMARY KEY, decision TEXT NOT NULL, decided_by TEXT NOT NULL, message TEXT, decided_at TEXT NOT NULL)");
    s.exec(
      "CREATE TABLE IF NOT EXISTS gate_decisions (pipeline_run_id TEXT NOT NULL, step_index INTEGER NOT NULL, decision TEXT NOT NULL, decided_by TEXT NOT NULL, message TEXT, decided_at TEXT NOT NULL, PRIMARY KEY (pipeline_run_id, step_index))",
    );
    gateSchema(s);
    inboxSchema(s);
  }

  /** Runs `fn` after every earlier operation of this object finished (FIFO). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Liveness probe used by tests and the health check. */
  async ping(): Promise<string> {
    return "pong";
  }

  /** The cursor this object holds (null before the first poll). */
  async cursor(): Promise<Cursor | null> {
    const row = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'cursor'").toArray()[0];
    return row ? parseCursor(JSON.parse(row.v)) : null;
  }

  /**
   * Polls the trigger's upstream once. Guarantees: new items are stored as events (and
   * routed) BEFORE the cursor advances — first here, then in D1 `triggers.cursor_data`;
   * concurrent polls are serialized, so no item is emitted twice and the cursor version
   * only grows; an upstream problem sets `last_error` and leaves the cursor as it was.
   */
  async poll(projectTriggerId: string): Promise<PollResult> {
    return this.serial(async () => {
      const db = getDb(this.env.DB);
      const trigger = await loadTriggerById(db, projectTriggerId);
      if (!trigger || trigger.triggerType !== "polling") return { status: "skipped", reason: "not a polling trigger" };
      if (trigger.status !== "ENABLED") return { status: "skipped", reason: "trigger is disabled" };
      const cursor = (await this.cursor()) ?? parseCursor(trigger.cursorData);
      let items;
      try {
        items = await fetchPolledItems(this.env, db, trigger);
      } catch (err) {
        if (!(err instanceof PollError)) throw err;
        await recordPollError(db, trigger, err.message);
        return { status: "error", error: err.message, cursor };
      }
      const skipFirst = cursor.version === 0 && (trigger.triggerConfig as { skip_existing?: unknown } | null)?.skip_existing === true;
      const fresh = skipFirst ? [] : unseen(cursor, items);
      const emitted = await storeEvents(this.env, db, trigger, fresh.map((i) => ({ key: i.id, type: "poll.item", body: i.data })));
      const next = advance(cursor, items, emitted, nowIso());
      this.ctx.storage.sql.exec("INSERT INTO kv (k, v) VALUES ('cursor', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", JSON.stringify(next));
      // Mirror to D1, never overwriting a newer version (the cursor never goes backwards there either).
      await db
        .update(triggers)
        .set({ cursorData: next as unknown as Record<string, unknown>, lastPolledAt: next.last_polled_at, lastError: null })
        .where(sql`${triggers.projectTriggerId} = ${projectTriggerId} AND coalesce(json_extract(${triggers.cursorData}, '$.version'), -1) < ${next.version}`);
      return { status: "ok", fetched: items.length, emitted, cursor: next };
    });
  }

  /**
   * Approves or rejects one `pending_approval` run. The decision is recorded here with a
   * synchronous check-and-set before anything else is written, so exactly one decision
   * wins; later callers get `conflict` naming the winner.
   */
  async decideRun(input: RunDecision): Promise<DecisionResult> {
    return decideRunHere(this.ctx.storage.sql, this.env, input);
  }

  /** Drops the approval records of purged runs and pipeline runs (retention); returns rows dropped. */
  async forget(op: ForgetOp): Promise<number> {
    return this.serial(async () => forgetHere(this.ctx.storage.sql, op));
  }

  /** Runs one pipeline operation (start, advance, gate decision, stop, reset) serialized per pipeline. */
  async pipeline(op: PipelineOp): Promise<PipelineOpResult> {
    return this.serial(() => pipelineOp(this.ctx.storage.sql, this.env, op));
  }

  /** One flow-control step of an endpoint (objects named `endpoint:<endpoint_id>`; see endpoint-gate.ts). */
  async gate(op: GateOp): Promise<GateDecision | Released> {
    return gateHere(this.ctx.storage.sql, op);
  }

  /**
   * Holds verified deliveries in this inbox object (objects named `inbox:<shard>`; see
   * inbox.ts) and makes sure a flush to D1 is scheduled. Durable when it returns. Returns,
   * per row, whether the inbox already held that event (a replay before the flush).
   */
  async admit(rows: IngestedEvent[]): Promise<boolean[]> {
    const dup = admitHere(this.ctx.storage.sql, rows);
    if (!this.alarmSet) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + FLUSH_DELAY_MS);
      this.alarmSet = true;
    }
    return dup;
  }

  /**
   * How many rows this inbox holds; when it holds any and no alarm is set (an alarm lost with
   * a restart), sets one now. The minute cron calls it on every shard, so a held row is
   * flushed within a minute even if its alarm never fires.
   */
  async kick(): Promise<number> {
    const held = heldHere(this.ctx.storage.sql);
    if (held > 0 && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now());
      this.alarmSet = true;
    }
    return held;
  }

  /** A held (not yet flushed) event of `orgId`, or null: what `GET /events/{id}` shows before D1 has it. */
  async peek(orgId: string, eventId: string): Promise<IngestedEvent | null> {
    return peekHere(this.ctx.storage.sql, orgId, eventId);
  }

  /** Flushes the inbox to D1 (see flushHere); whatever is left gets a new alarm, so every held row is flushed eventually. */
  override async alarm(): Promise<void> {
    this.alarmSet = false;
    let left: number;
    try {
      left = await this.serial(() => flushHere(this.ctx.storage.sql, this.env));
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "inbox flush failed; retried in 1 s", error: String(err) }));
      await this.ctx.storage.setAlarm(Date.now() + 1000);
      this.alarmSet = true;
      return;
    }
    if (left > 0) {
      await this.ctx.storage.setAlarm(Date.now());
      this.alarmSet = true;
    }
  }

  /** One failed-attempt limiter step (objects named `ratelimit:<key>`; see rate-limit.ts). */
  async rateLimit(op: RateLimitOp): Promise<Decision> {
    return rateLimitHere(this.ctx.storage.sql, op);
  }
}
