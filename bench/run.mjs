#!/usr/bin/env node
// `npm run bench`: prints every figure of the benchmark issue and writes
// bench/results/<date>.json. Figures are printed, never asserted on time.
//   1. size: gzip of `wrangler deploy --dry-run --outdir` and `wrangler check startup`
//   2. in-workerd benches (fan-out, per-event counts) via vitest.bench.config.ts
//   3. ingest: autocannon against `npm start` settings and a bare Hono worker, c=16 and c=64
//   4. cost per million routed webhooks from the per-event counts
//   5. `switchyard listen` latency, webhook acknowledged → forwarded (bench/listen.mjs)
// BENCH_REQUESTS (default 2000) sets the requests of each load run. Everything binds to 127.0.0.1.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ingestBench } from "./ingest.mjs";
import { listenBench } from "./listen.mjs";
import { costPerMillion, PRICES } from "./prices.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const out = join(root, "bench", "out");
mkdirSync(out, { recursive: true });
const results = { date: new Date().toISOString(), machine: machine(), figures: {} };

function machine() {
  return { cpus: cpus().length, cpu_model: cpus()[0]?.model, mem_gb: Math.round(totalmem() / 2 ** 30), node: process.version };
}

function run(args, opts = {}) {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true" }, maxBuffer: 64 * 2 ** 20, ...opts });
  return { code: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

// 1. Size and startup.
{
  const dir = join(out, "dry");
  rmSync(dir, { recursive: true, force: true });
  const r = run([wrangler, "deploy", "--dry-run", "--outdir", dir]);
  if (r.code !== 0) throw new Error(`dry-run failed:\n${r.out}`);
  const js = readFileSync(join(dir, "index.js"));
  const s = run([wrangler, "check", "startup", "--outfile", join(out, "startup.cpuprofile")]);
  const startup = /Active:\s*([\d.]+)\s*ms/i.exec(s.out);
  results.figures.size = {
    bundle_bytes: js.length,
    bundle_gzip_bytes: gzipSync(js).length,
    goal_gzip_bytes: 400 * 1024,
    startup_ms: startup ? Number(startup[1]) : null,
    startup_report: s.out.split("\n").filter((l) => /ms/.test(l)).map((l) => l.replace(/^[│\s]+/, "")).slice(0, 6),
  };
  console.log(`size: ${(js.length / 1024).toFixed(1)} KiB raw, ${(gzipSync(js).length / 1024).toFixed(1)} KiB gzip (goal < 400 KiB); startup ${results.figures.size.startup_ms ?? "?"} ms`);
}

// 2. In-workerd benches.
{
  const r = run([join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "vitest.bench.config.ts"]);
  for (const line of r.out.split("\n")) {
    const m = /BENCH (\{.*\})\s*$/.exec(line);
    if (m) {
      const f = JSON.parse(m[1]);
      results.figures[f.name] = f;
      console.log(`${f.name}: ${JSON.stringify(f)}`);
    }
  }
  if (r.code !== 0) console.log(`(in-workerd benches exited ${r.code}; figures above are the ones that ran)\n${r.out.slice(-3000)}`);
}

// 3. Ingest load.
{
  const requests = Number(process.env.BENCH_REQUESTS ?? 2000);
  results.figures.ingest = await ingestBench({ root, wrangler, requests, tmp: mkdtempSync(join(tmpdir(), "switchyard-bench-")) });
}

// 4. Cost.
{
  const f = results.figures;
  const parts = [f["per_event.webhook"], f["per_event.stored_routed"], f["per_event.delivered_run"]];
  if (parts.every(Boolean)) {
    results.figures.cost = { ...costPerMillion(...parts), goal_usd: 6, prices: PRICES };
    console.log(`cost per million routed webhooks (1 action each): $${results.figures.cost.total_usd.toFixed(2)} (goal ≤ $6); ${results.figures.cost.rows_written_per_webhook} rows written and ${results.figures.cost.statements_per_webhook} D1 statements per webhook`);
    console.log(JSON.stringify(results.figures.cost, null, 2));
  }
}

// 5. `switchyard listen` latency (webhook acknowledged → at the local receiver).
results.figures.listen = await listenBench({ root });

const file = join(root, "bench", "results", `${results.date.slice(0, 10)}.json`);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${file}`);
process.exit(0);
