#!/usr/bin/env node
/**
 * `switchyard listen` latency: from a webhook's acknowledgement by `npm start` to its arrival
 * at the local receiver the CLI forwards to. Starts a throwaway server (scripts/dev-server.mjs),
 * creates a tenant and a generic webhook trigger through the typed client, runs the real CLI
 * (`listen --forward`, default poll interval) as a child process, sends LISTEN_EVENTS (default
 * 50) webhooks 200 ms apart, and prints p50/p95/max. Run alone (`node bench/listen.mjs`) or
 * from `npm run bench`. Goal: p95 ≤ 2,000 ms.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSwitchyardClient } from "../client/index.mjs";
import { startDevServer } from "../scripts/dev-server.mjs";

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Runs the bench against a fresh server and returns `{events, p50_ms, p95_ms, max_ms, goal_p95_ms}`. */
export async function listenBench({ root, events = Number(process.env.LISTEN_EVENTS ?? 50) }) {
  const server = await startDevServer({ root });
  const home = mkdtempSync(join(tmpdir(), "switchyard-listen-"));
  const arrived = new Map();
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      arrived.set(JSON.parse(body).n, performance.now());
      res.end("ok");
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  let child;
  try {
    const api = createSwitchyardClient({ baseUrl: server.baseUrl, token: server.adminToken });
    const org = (await api.POST("/v1/orgs", { body: { name: "bench-listen" } })).data;
    const ws = (await api.POST("/v1/orgs/{org_id}/workspaces", { params: { path: { org_id: org.org_id } }, body: { name: "w" } })).data;
    const app = (await api.POST("/v1/orgs/{org_id}/workspaces/{workspace_id}/apps", { params: { path: { org_id: org.org_id, workspace_id: ws.workspace_id } }, body: { name: "a" } })).data;
    const trg = (await api.POST("/projects/{project_id}/triggers", { params: { path: { project_id: app.app_id } }, body: { provider_id: "webhook", trigger_id: "on_any_event" } })).data;
    await api.POST("/triggers/{project_trigger_id}/enable", { params: { path: { project_trigger_id: trg.project_trigger_id } } });
    const target = `http://127.0.0.1:${receiver.address().port}/hook`;
    child = spawn(process.execPath, [join(root, "cli", "index.mjs"), "--org", org.org_id, "listen", trg.project_trigger_id, "--forward", target], {
      env: { PATH: process.env.PATH, HOME: home, SWITCHYARD_URL: server.baseUrl, SWITCHYARD_TOKEN: server.adminToken, NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    for (let i = 0; i < 100 && !err.includes("forwarding to"); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    const acked = new Map();
    for (let n = 0; n < events; n++) {
      const res = await fetch(`${server.baseUrl}${trg.webhook_data.webhook_url}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ n }) });
      if (res.ok) acked.set(n, performance.now());
      await new Promise((r) => setTimeout(r, 200));
    }
    for (let i = 0; i < 100 && arrived.size < acked.size; i++) await new Promise((r) => setTimeout(r, 100));
    const lat = [...acked].filter(([n]) => arrived.has(n)).map(([n, t]) => arrived.get(n) - t).sort((a, b) => a - b);
    const out = { events: acked.size, forwarded: lat.length, p50_ms: Math.round(pct(lat, 50)), p95_ms: Math.round(pct(lat, 95)), max_ms: Math.round(lat[lat.length - 1]), goal_p95_ms: 2000 };
    console.log(`listen: ${out.forwarded}/${out.events} forwarded; webhook acknowledged → at the local receiver p50 ${out.p50_ms} ms, p95 ${out.p95_ms} ms, max ${out.max_ms} ms (goal p95 ≤ 2,000 ms)`);
    return out;
  } finally {
    child?.kill("SIGINT");
    receiver.close();
    rmSync(home, { recursive: true, force: true });
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await listenBench({ root: join(fileURLToPath(import.meta.url), "..", "..") });
  process.exit(0);
}
