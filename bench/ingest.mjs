// Ingest load benchmark. Signed Standard Webhooks deliveries (2 KB JSON, a unique webhook-id
// each) at POST /v1/webhooks/:id on Switchyard under `npm start` settings, once per ingest mode
// (INGEST_MODE=queue, the production design; INGEST_MODE=inbox, what `npm start` uses), and the
// same load on a bare Hono worker on the same workerd (and on the same bare worker with our static
// assets configured, as wrangler dev then routes every request through its asset router first),
// in alternating rounds. Also on the bare
// worker: the same request doing only one queue.send() or one Durable Object insert (the floor
// of any durable hand-off). Prints req/s, p50/p99 and ours/bare ratios; then checks that every
// accepted (2xx) delivery is stored exactly once and how long the last one took to show up;
// then a burst of BURST (default 20,000) webhooks as fast as autocannon can send them to a
// trigger with one action, timed until the last one is stored and routed.
import { spawn } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
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
 * a timed run abandons its in-flight requests, which the server still stores. The result gets
 * `elapsed_s`, from the start to the last response as seen here (autocannon's own duration
 * only ends on its 1-second ticks, too coarse for runs of a few seconds).
 */
function load(url, path, connections, amount, sign, method = "POST", headers = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let last = t0;
    const inst = autocannon(
      { url, connections, amount, timeout: 30, requests: [{ method, path, setupRequest: (req) => {
        const r = sign ? sign(req) : req;
        return { ...r, headers: { ...r.headers, ...headers } };
      } }] },
      (err, r) => (err ? reject(err) : resolve({ ...r, elapsed_s: (last - t0) / 1000 })),
    );
    inst.on("response", () => (last = performance.now()));
  });
}

/** Figures of one autocannon run; req/s is completed requests over the run's own duration (not a per-second average, which rounds short runs). */
const fig = (r) => ({ rps: Math.round(r.requests.total / Math.max(r.elapsed_s, 0.001)), p50_ms: r.latency.p50, p99_ms: r.latency.p99, ok_2xx: r["2xx"], non_2xx: r.non2xx, errors: r.errors, seconds: +r.elapsed_s.toFixed(2) });
/** The median round of several (by req/s), so one disturbed round does not decide the figure. */
const medianRound = (rounds) => rounds.slice().sort((a, b) => a.rps - b.rps)[Math.floor((rounds.length - 1) / 2)];

/** A signer of Standard Webhooks deliveries with 2 KB JSON bodies and unique ids. */
function signer(secret) {
  const key = Buffer.from(secret.slice(6), "base64");
  const pad = "x".repeat(1900);
  return (req) => {
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000).toString();
    const body = JSON.stringify({ type: "invoice.paid", data: { id, amount: 4200, pad } });
    const sig = createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64");
    return { ...req, body, headers: { ...req.headers, "content-type": "application/json", "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${sig}` } };
  };
}

/** Polls `probe` every 100 ms until it returns true (or `ms` pass); resolves with the time it took. */
async function until(probe, ms) {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (await probe().catch(() => false)) return Math.round(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

/** Org, API key, a Standard Webhooks connection and two triggers (one without actions, one with an action to `receiverUrl`). */
async function setup(base, admin, receiverUrl) {
  const org = await call(base, "POST", "/v1/orgs", { name: "bench" }, admin);
  const ws = await call(base, "POST", `/v1/orgs/${org.org_id}/workspaces`, { name: "ws" }, admin);
  const app = await call(base, "POST", `/v1/orgs/${org.org_id}/workspaces/${ws.workspace_id}/apps`, { name: "app" }, admin);
  const key = await call(base, "POST", `/v1/orgs/${org.org_id}/api-keys`, { name: "bench", role: "admin" }, admin);
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  const conn = await call(base, "POST", `/v1/orgs/${org.org_id}/connections`, { provider_id: "standard_webhooks", name: "bench", secrets: { signing_secret: secret } }, key.token);
  const trigger = async () => {
    const t = await call(base, "POST", `/projects/${app.app_id}/triggers`, { provider_id: "standard_webhooks", trigger_id: "on_any_event", connection_id: conn.connection_id }, key.token);
    await call(base, "POST", `/triggers/${t.project_trigger_id}/enable`, undefined, key.token);
    return t.project_trigger_id;
  };
  const plain = await trigger();
  const routed = await trigger();
  const ep = await call(base, "POST", `/v1/orgs/${org.org_id}/workspaces/${ws.workspace_id}/apps/${app.app_id}/endpoints`, { name: "sink", url: receiverUrl }, key.token);
  await call(base, "POST", `/v1/orgs/${org.org_id}/workspaces/${ws.workspace_id}/apps/${app.app_id}/actions`, {
    name: "forward", namespace_id: "bench", endpoint_id: ep.endpoint_id, trigger_ids: [routed], payload: { id: "{{ event.body.data.id }}" },
  }, key.token);
  return { org: org.org_id, token: key.token, secret, plain, routed };
}

const total = (base, s, trigger, status) => call(base, "GET", `/v1/orgs/${s.org}/events?trigger_id=${trigger}${status ? `&status=${status}` : ""}&limit=1`, undefined, s.token).then((r) => r.total);

/** A local receiver answering 200 at once (the burst's action delivers there); counts requests. */
async function receiver() {
  let hits = 0;
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on("end", () => {
      hits++;
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, hits: () => hits, close: () => new Promise((r) => server.close(r)) };
}

/** Runs one mode against the already running bare worker; returns its figures (also printed). */
async function runMode({ root, mode, bareUrl, bareAssetsUrl, requests, burst, tmp, rounds }) {
  const port = await freePort();
  const ours = start([join(root, "scripts", "start.mjs")], { PORT: String(port), SWITCHYARD_STATE_DIR: join(tmp, `state-${mode}`), INGEST_MODE: mode }, root);
  const base = `http://127.0.0.1:${port}`;
  const sinkServer = await receiver();
  try {
    await waitHealthy(`${base}/healthz`, ours, `switchyard (${mode})`);
    const s = await setup(base, readAdmin(root), sinkServer.url);
    const sign = signer(s.secret);
    const path = `/v1/webhooks/${s.plain}`;
    let accepted = (await load(base, path, 4, 200, sign))["2xx"];
    await load(bareUrl, path, 4, 200, sign);
    const out = { mode };
    for (const c of [16, 64]) {
      const runs = { bare: [], bareAssets: [], ours: [], send: [], do: [] };
      for (let i = 0; i < rounds; i++) {
        runs.bare.push(fig(await load(bareUrl, path, c, requests, sign)));
        runs.bareAssets.push(fig(await load(bareAssetsUrl, path, c, requests, sign)));
        const o = fig(await load(base, path, c, requests, sign));
        accepted += o.ok_2xx;
        runs.ours.push(o);
      }
      if (mode === "queue") {
        runs.send.push(fig(await load(bareUrl, `/send/x`, c, requests, sign)));
        runs.do.push(fig(await load(bareUrl, `/do/x`, c, requests, sign)));
      }
      const b = medianRound(runs.bare);
      const ba = medianRound(runs.bareAssets);
      const o = medianRound(runs.ours);
      out[`c${c}`] = {
        bare: b, bare_with_assets: ba, ours: o, rounds: { bare: runs.bare.map((r) => r.rps), bare_with_assets: runs.bareAssets.map((r) => r.rps), ours: runs.ours.map((r) => r.rps) },
        throughput_ratio: +(o.rps / b.rps).toFixed(3), p99_ratio: +(o.p99_ms / Math.max(b.p99_ms, 1)).toFixed(2),
        throughput_ratio_vs_bare_with_assets: +(o.rps / ba.rps).toFixed(3), p99_ratio_vs_bare_with_assets: +(o.p99_ms / Math.max(ba.p99_ms, 1)).toFixed(2),
        ratio_per_round: runs.ours.map((r, i) => +(r.rps / runs.bare[i].rps).toFixed(3)),
        ...(mode === "queue" ? { bare_queue_send_only: { ...runs.send[0], ratio: +(runs.send[0].rps / b.rps).toFixed(3) }, bare_do_insert_only: { ...runs.do[0], ratio: +(runs.do[0].rps / b.rps).toFixed(3) } } : {}),
      };
      console.log(`ingest[${mode}] c=${c}: ours ${o.rps} req/s p50 ${o.p50_ms} p99 ${o.p99_ms} ms | bare ${b.rps} req/s p99 ${b.p99_ms} ms | ratio ${out[`c${c}`].throughput_ratio} (rounds ${out[`c${c}`].ratio_per_round.join(", ")}), p99 ×${out[`c${c}`].p99_ratio} | vs bare with assets ${ba.rps} req/s: ${out[`c${c}`].throughput_ratio_vs_bare_with_assets}, p99 ×${out[`c${c}`].p99_ratio_vs_bare_with_assets}${mode === "queue" ? ` | bare send-only ${out[`c${c}`].bare_queue_send_only.ratio}, DO-insert-only ${out[`c${c}`].bare_do_insert_only.ratio}` : ""}`);
    }
    // Every delivery has a unique id: stored events must equal the 2xx answers (warm-up included).
    const lag = await until(async () => (await total(base, s, s.plain)) >= accepted, 120_000);
    out.stored_events = await total(base, s, s.plain);
    out.accepted_2xx = accepted;
    out.stored_exactly_once = out.stored_events === accepted;
    out.all_stored_after_load_ms = lag;
    console.log(`ingest[${mode}]: ${out.stored_events} events stored for ${accepted} accepted — ${out.stored_exactly_once ? "exactly once" : "MISMATCH"}; the last was in D1 ${lag ?? "> 120000"} ms after the load ended`);
    // Reference routes on our Worker: no I/O (router + middleware only), and one D1 read.
    const refLoad = (url, p, c) => load(url, p, c, requests, null, "GET", { authorization: `Bearer ${s.token}` });
    if (mode === "queue") {
      out.reference = {};
      for (const c of [16, 64]) {
        const rounds3 = { bare: [], assets: [], ours: [] };
        for (let i = 0; i < rounds; i++) {
          rounds3.bare.push(fig(await refLoad(bareUrl, "/healthz", c)));
          rounds3.assets.push(fig(await refLoad(bareAssetsUrl, "/healthz", c)));
          rounds3.ours.push(fig(await refLoad(base, "/healthz", c)));
        }
        const [bareGet, assetsGet, noIo] = [medianRound(rounds3.bare), medianRound(rounds3.assets), medianRound(rounds3.ours)];
        out.reference[`c${c}`] = {
          bare_healthz: bareGet, bare_with_assets_healthz: assetsGet, no_io_healthz: noIo,
          no_io_ratio: +(noIo.rps / bareGet.rps).toFixed(3), no_io_ratio_vs_bare_with_assets: +(noIo.rps / assetsGet.rps).toFixed(3),
          ratio_per_round: rounds3.ours.map((r, i) => +(r.rps / rounds3.bare[i].rps).toFixed(3)),
          one_d1_read_get_org: fig(await refLoad(base, `/v1/orgs/${s.org}`, c)),
        };
        console.log(`reference c=${c}: our no-I/O route ${noIo.rps} req/s vs bare ${bareGet.rps} (ratio ${out.reference[`c${c}`].no_io_ratio}, rounds ${out.reference[`c${c}`].ratio_per_round.join(", ")}) vs bare with assets ${assetsGet.rps} (ratio ${out.reference[`c${c}`].no_io_ratio_vs_bare_with_assets}); one D1 read ${out.reference[`c${c}`].one_d1_read_get_org.rps} req/s`);
      }
    }
    // Burst: BURST webhooks to the trigger with an action, as fast as autocannon sends them.
    if (burst > 0) {
      const t0 = performance.now();
      const r = await load(base, `/v1/webhooks/${s.routed}`, 128, burst, sign);
      const sent = Math.round(performance.now() - t0);
      const since = async (probe) => ((await until(probe, 600_000)) === null ? null : Math.round(performance.now() - t0));
      const stored = await since(async () => (await total(base, s, s.routed)) >= r["2xx"]);
      const routed = await since(async () => (await total(base, s, s.routed, "routed")) >= r["2xx"]);
      const storedCount = await total(base, s, s.routed);
      out.burst = {
        sent: burst, ok_2xx: r["2xx"], non_2xx: r.non2xx, errors: r.errors, send_ms: sent, send_rps: fig(r).rps, p99_ms: r.latency.p99,
        stored: storedCount, stored_exactly_once: storedCount === r["2xx"],
        last_stored_ms_from_start: stored, last_routed_ms_from_start: routed,
        delivered_so_far: sinkServer.hits(),
      };
      console.log(`burst[${mode}]: ${r["2xx"]}/${burst} acknowledged in ${sent} ms (${out.burst.send_rps} req/s, non-2xx ${r.non2xx}, errors ${r.errors}); ${storedCount} stored (${out.burst.stored_exactly_once ? "exactly once" : "MISMATCH"}); last stored ${out.burst.last_stored_ms_from_start} ms, last routed ${out.burst.last_routed_ms_from_start} ms after the burst began`);
    }
    return out;
  } finally {
    stop(ours);
    await sinkServer.close();
  }
}

/** Runs the ingest benchmark in both modes; returns the figures (also printed). */
export async function ingestBench({ root, wrangler, requests, tmp, burst = Number(process.env.BURST ?? 20_000), rounds = Number(process.env.BENCH_ROUNDS ?? 3), modes = (process.env.BENCH_MODES ?? "queue,inbox").split(",") }) {
  const startBare = async (config, name) => {
    const port = await freePort();
    const child = start([wrangler, "dev", "-c", join(root, "bench", "bare", config), "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(tmp, name), "--show-interactive-dev-session=false"], {}, root);
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, child, name);
    return { child, url: `http://127.0.0.1:${port}` };
  };
  const bare = await startBare("wrangler.toml", "bare");
  const bareAssets = await startBare("wrangler-assets.toml", "bare-assets");
  try {
    const out = {};
    for (const mode of modes) out[mode] = await runMode({ root, mode, bareUrl: bare.url, bareAssetsUrl: bareAssets.url, requests, burst, tmp, rounds });
    return out;
  } finally {
    stop(bare.child);
    stop(bareAssets.child);
  }
}

function readAdmin(root) {
  return /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(root, ".dev.vars"), "utf8"))[1].trim();
}

