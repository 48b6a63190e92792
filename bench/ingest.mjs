// Ingest load benchmark: signed Standard Webhooks deliveries (each with a unique id) at
// POST /v1/webhooks/:id on Switchyard under `npm start` settings, and the same load on a
// bare Hono worker on the same workerd. Prints req/s, p50/p99 and ours/bare ratios, then
// checks that every accepted (2xx) delivery is stored exactly once by counting events.
import { spawn } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import autocannon from "autocannon";

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child, label) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${label} exited early`);
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${label} not healthy within 120 s`);
}

function start(args, env, cwd) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"], detached: true });
  child.stderr.on("data", () => {});
  return child;
}

const stop = (child) => {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
};

async function call(base, method, path, body, token) {
  const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => null);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(j)}`);
  return j;
}

/**
 * A fixed number of requests (not a duration), so every request completes before the count:
 * a timed run abandons its in-flight requests, which the server still stores.
 */
function load(url, path, connections, amount, sign) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        amount,
        timeout: 30,
        requests: [{ method: "POST", path, setupRequest: (req) => sign(req) }],
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
  });
}

const fig = (r) => ({ rps: Math.round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, ok_2xx: r["2xx"], non_2xx: r.non2xx, errors: r.errors });

/** Runs the ingest benchmark; returns the figures (also printed). */
export async function ingestBench({ root, wrangler, requests, tmp }) {
  const [oursPort, barePort] = [await freePort(), await freePort()];
  const ours = start([join(root, "scripts", "start.mjs")], { PORT: String(oursPort), SWITCHYARD_STATE_DIR: join(tmp, "state") }, root);
  const bare = start([wrangler, "dev", "-c", join(root, "bench", "bare", "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(barePort), "--show-interactive-dev-session=false"], {}, root);
  const oursUrl = `http://127.0.0.1:${oursPort}`;
  const bareUrl = `http://127.0.0.1:${barePort}`;
  try {
    await waitHealthy(`${oursUrl}/healthz`, ours, "switchyard");
    await waitHealthy(`${bareUrl}/`, bare, "bare worker");
    const admin = readAdmin(root);
    const org = await call(oursUrl, "POST", "/v1/orgs", { name: "bench" }, admin);
    const ws = await call(oursUrl, "POST", `/v1/orgs/${org.org_id}/workspaces`, { name: "ws" }, admin);
    const app = await call(oursUrl, "POST", `/v1/orgs/${org.org_id}/workspaces/${ws.workspace_id}/apps`, { name: "app" }, admin);
    const key = await call(oursUrl, "POST", `/v1/orgs/${org.org_id}/api-keys`, { name: "bench", role: "admin" }, admin);
    const secret = `whsec_${randomBytes(24).toString("base64")}`;
    const conn = await call(oursUrl, "POST", `/v1/orgs/${org.org_id}/connections`, { provider_id: "standard_webhooks", name: "bench", secrets: { signing_secret: secret } }, key.token);
    const trig = await call(oursUrl, "POST", `/projects/${app.app_id}/triggers`, { provider_id: "standard_webhooks", trigger_id: "on_any_event", connection_id: conn.connection_id }, key.token);
    await call(oursUrl, "POST", `/triggers/${trig.project_trigger_id}/enable`, undefined, key.token);
    const keyBytes = Buffer.from(secret.slice(6), "base64");
    const sign = (req) => {
      const id = `msg_${randomUUID()}`;
      const ts = Math.floor(Date.now() / 1000).toString();
      const body = JSON.stringify({ type: "invoice.paid", data: { id, amount: 4200 } });
      const sig = createHmac("sha256", keyBytes).update(`${id}.${ts}.${body}`).digest("base64");
      return { ...req, body, headers: { ...req.headers, "content-type": "application/json", "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${sig}` } };
    };
    const path = `/v1/webhooks/${trig.project_trigger_id}`;
    // Warm both isolates.
    await load(bareUrl, path, 4, 200, sign);
    let accepted = (await load(oursUrl, path, 4, 200, sign))["2xx"];
    const out = {};
    for (const c of [16, 64]) {
      const b = fig(await load(bareUrl, path, c, requests, sign));
      const o = fig(await load(oursUrl, path, c, requests, sign));
      accepted += o.ok_2xx;
      out[`c${c}`] = { bare: b, ours: o, throughput_ratio: +(o.rps / b.rps).toFixed(3), p99_ratio: +(o.p99_ms / Math.max(b.p99_ms, 1)).toFixed(2) };
      console.log(`ingest c=${c}: ours ${o.rps} req/s p50 ${o.p50_ms} ms p99 ${o.p99_ms} ms | bare ${b.rps} req/s p50 ${b.p50_ms} ms p99 ${b.p99_ms} ms | ratio ${out[`c${c}`].throughput_ratio}, p99 ×${out[`c${c}`].p99_ratio}`);
    }
    // Reference routes on our Worker at c=16: no I/O (app overhead) and one D1 read, to show
    // where the ingest ceiling comes from on this machine.
    const get = (url, token) => ({ method: "GET", setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } }) });
    const refLoad = (url, path, token) =>
      new Promise((resolve, reject) => autocannon({ url, connections: 16, amount: Math.min(requests, 1000), timeout: 30, requests: [{ path, ...get(url, token) }] }, (e, r) => (e ? reject(e) : resolve(r))));
    out.reference_c16 = {
      no_io_healthz: fig(await refLoad(oursUrl, "/healthz", key.token)),
      one_d1_read_get_org: fig(await refLoad(oursUrl, `/v1/orgs/${org.org_id}`, key.token)),
    };
    console.log(`reference c=16: no I/O ${out.reference_c16.no_io_healthz.rps} req/s; one D1 read ${out.reference_c16.one_d1_read_get_org.rps} req/s`);
    // Every delivery has a unique id, so stored events must equal the 2xx answers (warm-up included).
    const events = await call(oursUrl, "GET", `/v1/orgs/${org.org_id}/events?trigger_id=${trig.project_trigger_id}&limit=1`, undefined, key.token);
    out.stored_events = events.total;
    out.accepted_2xx = accepted;
    out.stored_exactly_once = events.total === accepted;
    console.log(`ingest: ${events.total} events stored for ${accepted} accepted deliveries — ${out.stored_exactly_once ? "exactly once" : "MISMATCH"}`);
    return out;
  } finally {
    stop(ours);
    stop(bare);
  }
}

function readAdmin(root) {
  return /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, ".dev.vars"), "utf8"))[1].trim();
}
