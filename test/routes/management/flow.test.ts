import { env, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runs } from "../../../src/db/schema";
import { endpointGateFor } from "../../../src/durable/client";
import { gateHere, type GateDecision, type GateOp } from "../../../src/durable/endpoint-gate";
import type { TriggerState } from "../../../src/durable/trigger-state";
import { handleRunDeliver } from "../../../src/services/delivery";
import { superviseFifo } from "../../../src/services/circuit";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { actionsPath, createAction } from "../actions/helpers";

type Sent = { body: { kind: string; run_id?: string }; delaySeconds?: number };
let sent: Sent[];

beforeEach(() => {
  sent = [];
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body: any, opts?: any) => void sent.push({ body, delaySeconds: opts?.delaySeconds }) as any);
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs: any) => void sent.push(...[...msgs].map((m: any) => ({ body: m.body, delaySeconds: m.delaySeconds }))) as any);
  vi.spyOn(env.DLQ, "send").mockImplementation(async () => undefined as any);
});
afterEach(() => vi.restoreAllMocks());

const epPath = (t: Tenant, id: string) => `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/endpoints/${id}`;
const deliver = (run_id: string) => handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id });
const runRow = (id: string) => db().select().from(runs).where(eq(runs.runId, id)).get();
/** Takes the captured tasks (and their delays) out of the capture. */
const take = () => sent.splice(0, sent.length);

async function endpointWith(t: Tenant, url: string, flow: Record<string, unknown>) {
  const ep = await makeEndpoint(t, url);
  const res = await api("PATCH", epPath(t, ep), { token: t.tokens.editor, body: flow });
  expect(res.status).toBe(200);
  const a = await createAction(t, { endpoint_id: ep, max_retries: 0, payload: { n: "{{ inputs.n }}" }, ...(flow.action as object) });
  const trigger = async (n: number, extra: Record<string, unknown> = {}) => {
    const r = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner, body: { inputs: { n }, ...extra } });
    expect(r.status).toBe(200);
    return r.body as { run_id: string; execution_id: string };
  };
  return { ep, actionId: a.action_id as string, trigger, res };
}

function receiver(answer: (url: string, body: any) => Promise<Response> | Response = () => new Response("ok")) {
  const seen: { url: string; n: number; at: number }[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input as RequestInfo, init);
    const body = JSON.parse(await req.text());
    seen.push({ url: req.url, n: Number(body.n), at: Date.now() });
    return answer(req.url, body);
  });
  return seen;
}

describe("rate limit (the endpoint's object)", () => {
  it("admits at most `count` in any window of the period, and tells the rest when to come back", async () => {
    const stub = endpointGateFor(env, `unit-${crypto.randomUUID()}`);
    const limits = { rate: { count: 5, periodMs: 1000 }, maxConcurrency: null, leaseMs: 60_000 };
    await runInDurableObject(stub, async (_: TriggerState, state) => {
      const sql = state.storage.sql;
      const admitted: number[] = [];
      const ask = (id: string, now: number) => gateHere(sql, { op: "admit", runId: id, limits } as GateOp, now) as GateDecision;
      // 50 runs asking every 100 ms over 12 s of simulated time, each coming back when told.
      const due = new Map<string, number>(Array.from({ length: 50 }, (_, i) => [`r${i}`, 0]));
      for (let now = 0; now <= 12_000 && due.size; now += 100) {
        for (const [id, when] of [...due]) {
          if (when > now) continue;
          const d = ask(id, now);
          if (d.admitted) {
            admitted.push(now);
            due.delete(id);
          } else {
            expect(d.delayMs).toBeGreaterThanOrEqual(1000);
            due.set(id, now + d.delayMs);
          }
        }
      }
      expect(admitted).toHaveLength(50);
      // No window of one period holds more than 5 admissions, so 50 take at least 9 s.
      for (const t0 of admitted) expect(admitted.filter((t) => t >= t0 && t < t0 + 1000).length).toBeLessThanOrEqual(5);
      expect(admitted.at(-1)! - admitted[0]!).toBeGreaterThanOrEqual(9000);
      // The same run asking again while it holds its slot counts once.
      expect(ask("r49", admitted.at(-1)! + 10)).toEqual({ admitted: true, fresh: false });
    });
  });

  it("a delivery over the limit is re-queued with a delay and its lease moved past it, never failed; another tenant is not delayed", async () => {
    const t = await makeTenant();
    const limited = await endpointWith(t, "https://limited.example.com/hook", { rate_limit: { count: 3, period: "minute" } });
    expect(limited.res.body).toMatchObject({ rate_limit: { count: 3, period: "minute" }, max_concurrency: null });
    const other = await makeTenant("other");
    const free = await endpointWith(other, "https://free.example.com/hook", {});
    const seen = receiver();
    const mine = [];
    for (let i = 0; i < 6; i++) mine.push(await limited.trigger(i));
    take();
    for (const r of mine) await deliver(r.run_id);
    expect(seen.map((s) => s.n)).toEqual([0, 1, 2]);
    const requeued = take();
    expect(requeued.map((s) => s.body.run_id)).toEqual(mine.slice(3).map((r) => r.run_id));
    for (const s of requeued) expect(s.delaySeconds).toBeGreaterThanOrEqual(1);
    for (const r of mine.slice(3)) {
      const row = (await runRow(r.run_id))!;
      expect(row.status).toBe("pending");
      expect(Date.parse(row.leaseUntil!)).toBeGreaterThan(Date.now() + 100_000);
    }
    // The other tenant's endpoint has no limit: delivered at once, its object never asked.
    const spy = vi.spyOn(env.TRIGGER_STATE, "get");
    const theirs = await free.trigger(7);
    await deliver(theirs.run_id);
    expect(spy).not.toHaveBeenCalled();
    expect((await runRow(theirs.run_id))!.status).toBe("success");
  });
});

describe("max_concurrency", () => {
  it("holds at most N in flight; a finished delivery wakes the next waiting run at once", async () => {
    const t = await makeTenant();
    const { trigger } = await endpointWith(t, "https://slow.example.com/hook", { max_concurrency: 1 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const seen = receiver(async (_url, body) => {
      if (Number(body.n) === 0) await gate;
      return new Response("ok");
    });
    const a = await trigger(0);
    const b = await trigger(1);
    take();
    const first = deliver(a.run_id);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    await deliver(b.run_id);
    expect(seen).toHaveLength(1);
    expect((await runRow(b.run_id))!.status).toBe("pending");
    expect(take()).toEqual([{ body: { v: 1, kind: "run.deliver", run_id: b.run_id }, delaySeconds: 30 }]);
    open();
    await first;
    // The slot came back and the waiting run was woken without waiting for its delay.
    expect(take()).toEqual([{ body: { v: 1, kind: "run.deliver", run_id: b.run_id }, delaySeconds: undefined }]);
    await deliver(b.run_id);
    expect(seen.map((s) => s.n)).toEqual([0, 1]);
  });
});

describe("ordering: fifo", () => {
  it("delivers one run per endpoint at a time, in execution order, whatever order the tasks arrive in", async () => {
    const t = await makeTenant();
    const { trigger } = await endpointWith(t, "https://fifo.example.com/hook", { ordering: "fifo" });
    const seen = receiver();
    const rs = [];
    for (let i = 0; i < 5; i++) rs.push(await trigger(i));
    take();
    // Tasks arrive newest first: all but the oldest are held behind it.
    for (const r of [...rs].reverse()) await deliver(r.run_id);
    for (;;) {
      const next = take().filter((s) => s.body.kind === "run.deliver");
      if (next.length === 0) break;
      for (const s of next) await deliver(s.body.run_id!);
    }
    expect(seen.map((s) => s.n)).toEqual([0, 1, 2, 3, 4]);
    for (const r of rs) expect((await runRow(r.run_id))!.status).toBe("success");
  });

  it("a failed head blocks its key through its retries, then is skipped; held runs show reason fifo", async () => {
    const t = await makeTenant();
    const { trigger } = await endpointWith(t, "https://fifo2.example.com/hook", { ordering: "fifo", action: { max_retries: 1, retry_delay_seconds: 1 } });
    const seen = receiver((_u, body) => new Response("x", { status: Number(body.n) === 0 ? 500 : 200 }));
    const head = await trigger(0);
    const next = await trigger(1);
    take();
    await deliver(head.run_id);
    const retry = take().find((s) => s.body.kind === "run.deliver")!;
    await deliver(next.run_id);
    const got = await api("GET", `/v1/orgs/${t.orgId}/runs/${next.run_id}`, { token: t.tokens.viewer });
    expect(got.body.run).toMatchObject({ status: "held", held_reason: "fifo" });
    // The head's retry fails too: its execution is final (failed), and the key moves on.
    await deliver(retry.body.run_id!);
    const released = take().filter((s) => s.body.kind === "run.deliver").map((s) => s.body.run_id);
    expect(released).toEqual([next.run_id]);
    await deliver(next.run_id);
    expect(seen.map((s) => s.n)).toEqual([0, 0, 1]);
    expect((await runRow(next.run_id))!.status).toBe("success");
  });

  it("per thread: a run of another thread passes a head in flight, a run of the same thread waits for it", async () => {
    const t = await makeTenant();
    const { trigger } = await endpointWith(t, "https://fifo3.example.com/hook", { ordering: "fifo", action: { thread_mode: "template", thread_id_template: "t-{{ inputs.n | modulo: 2 }}" } });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const seen = receiver(async (_u, body) => {
      if (Number(body.n) === 0) await gate;
      return new Response("ok");
    });
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await trigger(i));
    take();
    const head = deliver(rs[0]!.run_id);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    await deliver(rs[2]!.run_id);
    await deliver(rs[1]!.run_id);
    // Thread t-1 went past the t-0 head in flight; t-0's second run waits for it.
    expect(seen.map((s) => s.n)).toEqual([0, 1]);
    expect(await runRow(rs[2]!.run_id)).toMatchObject({ status: "held", heldReason: "fifo", orderKey: "t-0" });
    open();
    await head;
    const released = take().filter((s) => s.body.kind === "run.deliver").map((s) => s.body.run_id);
    expect(released).toEqual([rs[2]!.run_id]);
    await deliver(rs[2]!.run_id);
    expect(seen.map((s) => s.n)).toEqual([0, 1, 2]);
    for (const r of rs) expect((await runRow(r.run_id))!.status).toBe("success");
  });

  it("a FIFO run held behind a head that ended elsewhere (cancelled) is released by the minute cron", async () => {
    const t = await makeTenant();
    const { trigger } = await endpointWith(t, "https://fifo4.example.com/hook", { ordering: "fifo" });
    receiver();
    const head = await trigger(0);
    const next = await trigger(1);
    take();
    await deliver(next.run_id);
    expect((await runRow(next.run_id))!.status).toBe("held");
    await db().update(runs).set({ status: "cancelled" }).where(eq(runs.runId, head.run_id));
    expect(await superviseFifo(env)).toBeGreaterThanOrEqual(1);
    expect(take().map((s) => s.body.run_id)).toContain(next.run_id);
    await deliver(next.run_id);
    expect((await runRow(next.run_id))!.status).toBe("success");
  });
});
