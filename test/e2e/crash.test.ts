/**
 * Crash recovery, end to end: the real `npm start` (scripts/start.mjs) on a fixed state
 * directory delivers runs to a slow local receiver; the server's whole process group is
 * killed with SIGKILL mid-delivery (local Queues lose every unconsumed message then); the
 * server is started again on the same state, the cron is driven through /__scheduled, and
 * every run must reach a final state with no manual step: each delivered at least once,
 * deduplicable by `webhook-id`, with the action's counters exact. Then, on the same state: 60
 * signed webhooks acknowledged (held by npm start's inbox objects) and the server killed at once;
 * after a restart every acknowledged event is stored exactly once, routed and delivered. Bounded
 * everywhere.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { e2eLaunch, e2eVars, freePort, writeVarsFile } from "./global-setup";

const RUNS = 6;
const INGESTED = 60;
const RECEIVER_DELAY_MS = 1500;

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const dir = mkdtempSync(join(tmpdir(), "switchyard-crash-"));
const vars = e2eVars();
const varsFile = writeVarsFile(dir, vars);
const stateDir = join(dir, "state");
const servers: ChildProcess[] = [];

/** Starts `npm start`'s script on `port` in its own process group; resolves once /healthz answers. */
async function startServer(port: number): Promise<ChildProcess> {
  const launch = e2eLaunch({ root: process.cwd(), port, stateDir, varsFile, env: process.env });
  const child = spawn(launch.command, launch.args, { cwd: process.cwd(), env: launch.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const log: string[] = [];
  child.stdout!.on("data", (d) => log.push(String(d)));
  child.stderr!.on("data", (d) => log.push(String(d)));
  servers.push(child);
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${log.join("")}`);
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  }, "the server to answer /healthz", 120_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${log.join("").slice(-4000)}`);
  });
  return child;
}

/** SIGKILL to the whole process group (start.mjs, wrangler, workerd); resolves once it is gone. */
async function crash(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGKILL");
  await gone;
}

/** SIGKILL to every server this file started that is still running, and waits until each is gone. */
async function stopAll(): Promise<void> {
  for (const s of servers) {
    if (s.exitCode !== null || s.signalCode !== null) continue;
    const gone = new Promise((r) => s.once("exit", r));
    try {
      process.kill(-s.pid!, "SIGKILL");
      await gone;
    } catch {
      /* already gone */
    }
  }
}

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("crash recovery", () => {
  it("finishes every run after the server is killed mid-delivery and started again on the same state", async () => {
    // A slow receiver: holds each request, then answers 200; records each webhook-id.
    const seen: string[] = [];
    const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        seen.push(String(req.headers["webhook-id"] ?? ""));
        setTimeout(() => res.end("ok"), RECEIVER_DELAY_MS);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

    let port = await freePort();
    let base = `http://127.0.0.1:${port}`;
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const first = await startServer(port);
    const admin = vars.ADMIN_TOKEN!;
    const org = (await call("POST", "/v1/orgs", admin, { name: "crash" })).body.org_id;
    const ws = (await call("POST", `/v1/orgs/${org}/workspaces`, admin, { name: "main" })).body.workspace_id;
    const app = (await call("POST", `/v1/orgs/${org}/workspaces/${ws}/apps`, admin, { name: "app" })).body.app_id;
    const appPath = `/v1/orgs/${org}/workspaces/${ws}/apps/${app}`;
    const ep = await call("POST", `${appPath}/endpoints`, admin, { name: "slow", url: receiverUrl, secret: "generate", timeout_seconds: 5 });
    expect(ep.status).toBe(201);
    const action = await call("POST", `${appPath}/actions`, admin, { name: "deliver", endpoint_id: ep.body.endpoint_id, namespace_id: "crash", payload: { n: "{{ inputs.n }}" } });
    expect(action.status).toBe(201);
    const actionPath = `${appPath}/actions/${action.body.action_id}`;
    const executions: string[] = [];
    for (let n = 0; n < RUNS; n++) {
      const r = await call("POST", `${actionPath}/trigger`, admin, { inputs: { n } });
      expect(r.status).toBe(200);
      executions.push(r.body.execution_id);
    }

    // Mid-delivery: the receiver holds at least one request when the server dies.
    await until(async () => seen.length > 0, "the first delivery to reach the receiver", 60_000);
    await crash(first);
    const crashedAt = Date.now();

    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await startServer(port);
    // The minute cron, as wrangler's --test-scheduled exposes it, driven every 250 ms: the
    // claimed runs' leases (5 s timeout + 30 s) run out in real time. (wrangler dev does not
    // honour a `time` parameter here, so nothing is fast-forwarded.)
    const cron = () => fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.ok);
    const runs = await until(
      async () => {
        await cron();
        const list = await call("GET", `${actionPath}/runs?limit=200`, admin);
        const rows = list.body.runs as { status: string; execution_id: string }[];
        return rows.length >= RUNS && rows.every((r) => ["success", "failed"].includes(r.status)) ? rows : null;
      },
      "every run to reach a final state after the restart",
      200_000,
    );
    const recoverySeconds = (Date.now() - crashedAt) / 1000;
    console.log(`crash recovery: ${RUNS} runs final ${recoverySeconds.toFixed(1)} s after the SIGKILL`);

    expect(runs.every((r) => r.status === "success")).toBe(true);
    // Each execution delivered at least once; every repeat carries the same webhook-id.
    for (const e of executions) expect(seen).toContain(e);
    expect(new Set(seen).size).toBe(RUNS);
    const a = (await call("GET", actionPath, admin)).body;
    expect(a).toMatchObject({ total_runs: RUNS, successful_runs: RUNS, failed_runs: 0, is_running: false });
    await new Promise<void>((r) => receiver.close(() => r()));
  }, 300_000);

  it("stores every acknowledged webhook exactly once, and routes it, after the server is killed right after acknowledging them", async () => {
    // The previous test's server still holds the state directory: this one starts on it afresh.
    await stopAll();
    const delivered = new Set<string>();
    const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        delivered.add(String(req.headers["webhook-id"] ?? ""));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    let base = `http://127.0.0.1:${await freePort()}`;
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const server = await startServer(Number(new URL(base).port));
    const admin = vars.ADMIN_TOKEN!;
    const org = (await call("POST", "/v1/orgs", admin, { name: "ingest-crash" })).body.org_id;
    const ws = (await call("POST", `/v1/orgs/${org}/workspaces`, admin, { name: "main" })).body.workspace_id;
    const app = (await call("POST", `/v1/orgs/${org}/workspaces/${ws}/apps`, admin, { name: "app" })).body.app_id;
    const secret = `whsec_${Buffer.from("ingest-crash-secret-0123456789ab").toString("base64")}`;
    const conn = (await call("POST", `/v1/orgs/${org}/connections`, admin, { provider_id: "standard_webhooks", name: "sw", secrets: { signing_secret: secret } })).body.connection_id;
    const trigger = (await call("POST", `/projects/${app}/triggers`, admin, { provider_id: "standard_webhooks", trigger_id: "on_any_event", connection_id: conn })).body.project_trigger_id;
    expect((await call("POST", `/triggers/${trigger}/enable`, admin)).status).toBe(200);
    const appPath = `/v1/orgs/${org}/workspaces/${ws}/apps/${app}`;
    // Signed, so each delivery carries its webhook-id (the execution id) for the receiver to count.
    const ep = await call("POST", `${appPath}/endpoints`, admin, { name: "fast", url: receiverUrl, secret: "generate", timeout_seconds: 5 });
    expect((await call("POST", `${appPath}/actions`, admin, { name: "fwd", endpoint_id: ep.body.endpoint_id, namespace_id: "crash", trigger_ids: [trigger], payload: { id: "{{ event.body.id }}" } })).status).toBe(201);

    // 60 signed webhooks at once; the server dies the moment the last one is acknowledged,
    // while acknowledged events still sit in the inbox objects (flushed 100 ms after arrival).
    const wh = new Webhook(secret);
    const acked = await Promise.all(
      Array.from({ length: INGESTED }, async (_, n) => {
        const id = `msg_crash_${n}`;
        const body = JSON.stringify({ type: "order.created", id: n });
        const now = new Date();
        const res = await fetch(`${base}/v1/webhooks/${trigger}`, {
          method: "POST",
          headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": wh.sign(id, now, body) },
          body,
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { event_id: string }).event_id;
      }),
    );
    await crash(server);

    base = `http://127.0.0.1:${await freePort()}`;
    await startServer(Number(new URL(base).port));
    const cron = () => fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.ok);
    let seen = "nothing yet";
    const routed = await until(
      async () => {
        await cron();
        const list = await call("GET", `/v1/orgs/${org}/events?trigger_id=${trigger}&limit=200`, admin);
        const rows = list.body.events as { event_id: string; status: string }[];
        seen = `${rows.length} stored, ${rows.filter((e) => e.status === "routed").length} routed, ${delivered.size} delivered`;
        return rows.length >= INGESTED && rows.every((e) => e.status === "routed") && delivered.size >= INGESTED ? rows : null;
      },
      "every acknowledged event to be stored, routed and delivered after the restart",
      // Runs whose run.deliver task died with the local queue are re-driven by the sweeper once
      // their grace (120 s after they were due) has passed, in real time.
      200_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last seen: ${seen} of ${INGESTED})`);
    });
    // Exactly the acknowledged events, each once, each delivered (one execution, one webhook-id).
    expect(routed.map((e) => e.event_id).sort()).toEqual([...acked].sort());
    expect(delivered.size).toBe(INGESTED);
    await new Promise<void>((r) => receiver.close(() => r()));
  }, 300_000);
});
