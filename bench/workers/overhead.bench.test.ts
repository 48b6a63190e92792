/**
 * Per-request overhead of the ingest route, inside workerd (real isolate, real local D1):
 * what our app costs per request against a bare Hono Worker, and what each piece of a
 * verified webhook costs on its own (issue: a route of ours that does no I/O must reach
 * ≥ 0.9 of bare). Figures (`overhead.<name>`, µs per request):
 *   1. bare         a bare Hono app built like bench/bare/index.ts: POST /v1/webhooks/:id, 2 KB body
 *      bare_get     the same bare Hono answering GET /healthz (the like-for-like baseline of 2)
 *   2. healthz      createApp() on GET /healthz: router + requestId + auditTrail, no I/O
 *   3. ingest_warm  createApp() on a signed Standard Webhooks delivery (2 KB, new webhook-id each)
 *                   to an ENABLED trigger, INGEST_MODE=queue, TASKS.send a spy, trigger cache warm
 *   4. ingest_cold  the same with the trigger cache emptied before each request (one D1 read)
 *   5. piece.*      parts of 3 on their own: middleware (requestId + auditTrail), inbound (the
 *                   route's body reader), ingest_service (ingestWebhook without HTTP or body
 *                   reading), keys, verify, event_id, fits_hand_off, task_stringify, task_parse
 *
 * The clock. In production the Workers runtime freezes Date.now() and performance.now() while
 * JavaScript runs (they move only across I/O), so a CPU loop would time as 0. The workerd
 * that @cloudflare/vitest-plugin runs here does not: with wrangler 4.156.2 / workerd
 * 2026-11-02, performance.now() advances during a pure CPU loop, in whole milliseconds (it is
 * Date.now(); timeOrigin is 0). So rounds are timed with performance.now() directly, and
 * `clockTicksDuringCpu()` checks it first: the file fails rather than print zeros if a future
 * runtime freezes the clock. With 1 ms steps, each round is made to last at least
 * ROUND_TARGET_MS (n grows beyond N for cheap figures), so one step is ≤ 1% of a round.
 *
 * What a figure is: the wall time of one round (n requests handled one after another by
 * `app.fetch` in this isolate, or n calls of a piece) divided by n, in µs; the median of
 * ROUNDS rounds after the warm-up rounds that size n, with min and max. Requests are built (and signed)
 * before their round starts, so neither `new Request` nor signing is counted: only what the
 * Worker does from fetch() to its Response (whose body is not read). Where nothing awaits real
 * I/O (1, 2, 3, 5; the queue is a spy that resolves at once) wall time is the isolate's CPU
 * time plus GC, plus whatever other work on these 2 shared cores takes (the min–max spread
 * shows it). 4 awaits one local D1 read per request, so it is wall time, not CPU. Rounds of the
 * request figures are interleaved (bare, bare_get, healthz, warm, cold, bare, …) so a noisy
 * moment hits all of them alike; `ratio_to_bare` is bare's median over ours (the throughput
 * ratio if CPU-bound), with the range of the per-round ratios.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { Context, Hono } from "hono";
import { Webhook } from "standardwebhooks";
import { expect, it } from "vitest";
import { eventIdFor, nowIso, uuidv7 } from "../../src/core/ids";
import { getDb } from "../../src/db/client";
import { triggers } from "../../src/db/schema";
import type { IngestedEvent } from "../../src/engine/event-log";
import type { Env } from "../../src/env";
import { inboundOf } from "../../src/faces/triggers/inbound";
import { createApp } from "../../src/http/app";
import { auditTrail, requestId } from "../../src/http/middleware";
import type { AppEnv } from "../../src/http/router";
import { verifyDelivery } from "../../src/providers/registry";
import type { InboundRequest } from "../../src/providers/types";
import { Task } from "../../src/queue/messages";
import { ingestWebhook, keysOf } from "../../src/services/ingest";
import { fitsHandOff } from "../../src/services/ingest-handoff";
import { cachedCandidate, forgetCandidate } from "../../src/services/trigger-cache";
import { makeConnection, makeTenant } from "../../test/fixtures";
import { report } from "./report";

/** Requests (or calls) per round, at least: the N. */
const N = 2_000;
/** Timed rounds per figure, after the warm-up rounds (see calibrate). */
const ROUNDS = 7;
/** Shortest round: n is raised until a round lasts this long, so the 1 ms clock step is ≤ 1%. */
const ROUND_TARGET_MS = 100;
/** Largest n of a request round (all its requests are built before it starts). */
const MAX_REQUESTS = 20_000;
/** Chunks per round of the with/without-middleware comparison (alternated, see below). */
const MW_CHUNKS = 10;
/**
 * Event ids the isolate remembers after handing them off (RECENT_MAX in ingest-handoff.ts).
 * Until that set is full an ingest skips dropping its oldest entry, so timing starts after it is.
 */
const RECENT_IDS = 10_000;

const SECRET = `whsec_${btoa("0123456789abcdef0123456789abcdef")}`;
const signer = new Webhook(SECRET);

/** A 2,048-byte JSON object with a `type`, like a small provider event. */
const BODY = (() => {
  const shell = (pad: string) => JSON.stringify({ type: "invoice.paid", data: { id: "in_1", amount: 4200, currency: "eur", note: pad } });
  const body = shell("x".repeat(2048 - shell("").length));
  if (new TextEncoder().encode(body).length !== 2048) throw new Error("body is not 2 KB");
  return body;
})();
const BODY_BYTES = 2048;

interface Stats {
  us_per_req_median: number;
  us_per_req_min: number;
  us_per_req_max: number;
  rounds: number;
  n: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function stats(us: number[], n: number): Stats {
  const s = [...us].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return { us_per_req_median: round2(median), us_per_req_min: round2(s[0]!), us_per_req_max: round2(s[s.length - 1]!), rounds: us.length, n };
}

/** A fixed amount of pure CPU work must move performance.now(), or no figure below means anything. */
function clockTicksDuringCpu(): boolean {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 20_000_000; i++) x += Math.sqrt(i);
  return performance.now() > t0 && x > 0;
}

/**
 * n for a figure, from N up until `once(n)` lasts ROUND_TARGET_MS. The first round is the
 * warm-up (JIT, caches) and runs slow, so unless it took far longer than the target (then n
 * stays N), n is sized from the rounds after it.
 */
async function calibrate(once: (n: number) => Promise<number>, max = Infinity): Promise<number> {
  let n = N;
  let ms = await once(n);
  if (ms < 5 * ROUND_TARGET_MS) ms = await once(n);
  while (ms < ROUND_TARGET_MS && n < max) {
    n = Math.min(max, Math.max(n * 2, Math.ceil((n * ROUND_TARGET_MS * 1.2) / Math.max(ms, 1))));
    ms = await once(n);
  }
  return n;
}

/** One request figure: an app's fetch, the requests it takes, and the status it must answer. */
interface RequestCase {
  name: string;
  fetch: (req: Request) => Response | Promise<Response>;
  build: (n: number) => Request[];
  status: number;
  /** Runs before each request, inside the timing (only `forgetCandidate`: a Map delete). */
  before?: () => void;
  /** Untimed, before each round (re-warms the trigger cache, whose entries live 5 s). */
  prime?: () => Promise<void>;
}

/** Handles n prebuilt requests one after another; returns the round's ms. Throws on a wrong status. */
async function requestRound(c: RequestCase, n: number): Promise<number> {
  await c.prime?.();
  const reqs = c.build(n);
  let wrong: Response | null = null;
  const t0 = performance.now();
  for (const req of reqs) {
    c.before?.();
    const res = await c.fetch(req);
    if (res.status !== c.status) wrong ??= res;
  }
  const ms = performance.now() - t0;
  if (wrong) throw new Error(`${c.name}: answered ${wrong.status}, not ${c.status}: ${await wrong.text()}`);
  return ms;
}

/**
 * Runs a and b alternately, MW_CHUNKS chunks of `chunk` requests each (a, b, a, b, …), and
 * returns each one's µs per request: a burst of other work on the shared cores then falls on
 * both alike, so their difference stays meaningful even when it is a few µs. A chunk is
 * shorter than ROUND_TARGET_MS, but its 1 ms clock step errs either way and the chunks add up.
 */
async function pairedRound(a: RequestCase, b: RequestCase, chunk: number): Promise<[number, number]> {
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < MW_CHUNKS; i++) {
    ta += await requestRound(a, chunk);
    tb += await requestRound(b, chunk);
  }
  return [(ta * 1000) / (chunk * MW_CHUNKS), (tb * 1000) / (chunk * MW_CHUNKS)];
}

/** Results are folded into it, so that no timed call can be optimised away. */
let sink = 0;

/** Times n calls of a piece (awaited when it returns a promise); returns the round's ms. */
async function pieceRound(fn: () => unknown, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = fn();
    sink += r instanceof Promise ? ((await r) ? 1 : 0) : r ? 1 : 0;
  }
  return performance.now() - t0;
}

it("measures the per-request overhead of the ingest route against bare Hono", async () => {
  expect(clockTicksDuringCpu(), "performance.now() did not advance during a CPU loop: time across awaited I/O instead").toBe(true);

  // A real ENABLED standard_webhooks trigger with a connection holding its signing secret.
  const tenant = await makeTenant("overhead");
  const connectionId = await makeConnection(tenant, "standard_webhooks", { signing_secret: SECRET });
  const triggerId = uuidv7();
  const t = nowIso();
  await getDb(env.DB).insert(triggers).values({
    projectTriggerId: triggerId, orgId: tenant.orgId, projectId: tenant.appId, connectionId, providerId: "standard_webhooks",
    triggerId: "on_any_event", triggerType: "webhook", status: "ENABLED", createdBy: "bench", createdAt: t, updatedAt: t,
  });

  // INGEST_MODE=queue with TASKS.send a spy that resolves at once: no I/O on the warm path.
  // A hand-written spy rather than vi.fn, which would keep every 2 KB task it was called with.
  let sent = 0;
  let lastTask: Task | null = null;
  const spyQueue = {
    send: async (task: Task) => {
      sent++;
      lastTask = task;
    },
    sendBatch: async (batch: Iterable<MessageSendRequest<Task>>) => {
      for (const m of batch) (sent++, (lastTask = m.body));
    },
  } as unknown as Queue<Task>;
  const ingestEnv: Env = { ...env, INGEST_MODE: "queue", TASKS: spyQueue };

  // 1. The baseline, built exactly like bench/bare/index.ts.
  const bare = new Hono();
  bare.post("/v1/webhooks/:id", async (c) => {
    await c.req.arrayBuffer();
    return c.json({ ok: true }, 202);
  });
  // 1b. The like-for-like baseline of /healthz: bare's answer to a GET without a body.
  const bareGet = new Hono().get("/healthz", (c) => c.json({ ok: true }));
  // Built once, as src/index.ts does per isolate.
  const app = createApp();

  const ctx = createExecutionContext();
  const unsigned = (n: number, path = "/v1/webhooks/00000000-0000-4000-8000-000000000000") =>
    Array.from({ length: n }, () => new Request(`http://sy.test${path}`, { method: "POST", headers: { "content-type": "application/json", "content-length": String(BODY_BYTES) }, body: BODY }));
  /** Signed deliveries, each with its own webhook-id (every one is a new event). */
  const signedHeaders = () => {
    const id = `msg_${uuidv7()}`;
    const now = new Date();
    return {
      "content-type": "application/json",
      // As every HTTP/1.1 client sends it (a Request built here has none of its own).
      "content-length": String(BODY_BYTES),
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signer.sign(id, now, BODY),
    };
  };
  const signed = (n: number) =>
    Array.from({ length: n }, () => new Request(`http://sy.test/v1/webhooks/${triggerId}`, { method: "POST", headers: signedHeaders(), body: BODY }));
  const ingestOnce = async () => {
    const res = await app.fetch(signed(1)[0]!, ingestEnv, ctx);
    expect(res.status, await res.clone().text()).toBe(200);
  };
  /** A fresh cache entry (it lives TTL_MS = 5 s from its D1 read), so none expires inside a round. */
  const freshCache = async () => {
    forgetCandidate(triggerId);
    await ingestOnce();
  };

  const healthz = (n: number) => Array.from({ length: n }, () => new Request("http://sy.test/healthz"));
  const cases: RequestCase[] = [
    { name: "bare", fetch: (r) => bare.fetch(r, {}, ctx), build: (n) => unsigned(n), status: 202 },
    { name: "bare_get", fetch: (r) => bareGet.fetch(r, {}, ctx), build: healthz, status: 200 },
    {
      name: "healthz",
      fetch: (r) => app.fetch(r, ingestEnv, ctx),
      build: healthz,
      status: 200,
    },
    { name: "ingest_warm", fetch: (r) => app.fetch(r, ingestEnv, ctx), build: signed, status: 200, prime: freshCache },
    { name: "ingest_cold", fetch: (r) => app.fetch(r, ingestEnv, ctx), build: signed, status: 200, before: () => forgetCandidate(triggerId) },
  ];

  // Warm-up and n per figure (a warm-up round that lasts ROUND_TARGET_MS fixes n), then enough
  // more ingests to fill the recent-id set, so every timed ingest pays its steady-state cost.
  const ns = new Map<string, number>();
  for (const c of cases) ns.set(c.name, await calibrate((n) => requestRound(c, n), MAX_REQUESTS));
  while (sent < RECENT_IDS) await ingestOnce();
  const sentBefore = sent;
  const perRound = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) perRound.get(c.name)!.push(((await requestRound(c, ns.get(c.name)!)) * 1000) / ns.get(c.name)!);
  }
  // Every timed ingest handed exactly one event to the queue (primes included: one per round).
  expect(sent - sentBefore).toBe(ROUNDS * (ns.get("ingest_warm")! + ns.get("ingest_cold")! + 1));

  const figure = (name: string) => ({ us: perRound.get(name)!, ...stats(perRound.get(name)!, ns.get(name)!) });
  /** Throughput ratio if CPU-bound: the baseline's median over ours, and the range of the per-round ratios. */
  const ratio = (base: ReturnType<typeof figure>, ours: ReturnType<typeof figure>, key: string) => {
    const perRoundRatios = ours.us.map((u, i) => base.us[i]! / u);
    return {
      [key]: round2(base.us_per_req_median / ours.us_per_req_median),
      [`${key}_round_min`]: round2(Math.min(...perRoundRatios)),
      [`${key}_round_max`]: round2(Math.max(...perRoundRatios)),
    };
  };
  const drop = ({ us: _us, ...s }: ReturnType<typeof figure>) => s;
  const bareFig = figure("bare");
  const bareGetFig = figure("bare_get");
  report("overhead.bare", drop(bareFig));
  report("overhead.bare_get", drop(bareGetFig));
  // /healthz is a GET without a body, bare's route a POST reading 2 KB: ratio_to_bare_get is the like-for-like one.
  const healthzFig = figure("healthz");
  report("overhead.healthz", { ...drop(healthzFig), ...ratio(bareFig, healthzFig, "ratio_to_bare"), ...ratio(bareGetFig, healthzFig, "ratio_to_bare_get") });
  for (const name of ["ingest_warm", "ingest_cold"]) {
    const f = figure(name);
    report(`overhead.${name}`, { ...drop(f), ...ratio(bareFig, f, "ratio_to_bare") });
  }

  // 5. The pieces of 3, each on its own.

  // requestId + auditTrail: the same minimal app with and without them, on the same requests
  // (not signed: neither looks at a signature), alternated in chunks (pairedRound). The figure
  // is the per-round difference, so Hono's own routing and answer cancel out.
  const noop = (c: Context<AppEnv>) => c.json({ ok: true }, 202);
  const plain = new Hono<AppEnv>().post("/v1/webhooks/:id", noop);
  const withMw = new Hono<AppEnv>().use("*", requestId).use("*", auditTrail).post("/v1/webhooks/:id", noop);
  const mwCases: RequestCase[] = [
    { name: "without", fetch: (r) => plain.fetch(r, ingestEnv, ctx), build: (n) => unsigned(n), status: 202 },
    { name: "with", fetch: (r) => withMw.fetch(r, ingestEnv, ctx), build: (n) => unsigned(n), status: 202 },
  ];
  await pairedRound(mwCases[0]!, mwCases[1]!, N); // warm-up
  const mwN = N * MW_CHUNKS;
  const mw = { with: [] as number[], without: [] as number[], diff: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    const [without, withUs] = await pairedRound(mwCases[0]!, mwCases[1]!, N);
    mw.without.push(without);
    mw.with.push(withUs);
    mw.diff.push(withUs - without);
  }
  report("overhead.piece.middleware", {
    ...stats(mw.diff, mwN),
    with_us_median: stats(mw.with, mwN).us_per_req_median,
    without_us_median: stats(mw.without, mwN).us_per_req_median,
  });

  // Inputs of the other pieces, taken from one real warm ingest (the cache holds the candidate,
  // the spy holds the task it handed off).
  await ingestOnce();
  const candidate = cachedCandidate(triggerId);
  expect(candidate).toBeDefined();
  const task = lastTask as Task | null;
  if (task?.kind !== "event.ingest") throw new Error("no event.ingest task was handed off");
  const event: IngestedEvent = task.event;
  const keys = await keysOf(ingestEnv, candidate!);
  const sample = signed(1)[0]!;
  const inbound: InboundRequest = await inboundOf(new Context<AppEnv>(sample, { env: ingestEnv }));
  const verifiedAt = new Date();
  expect((await verifyDelivery("standard_webhooks", inbound, keys, verifiedAt)).ok).toBe(true);

  // The route's body reader on its own: one Context per request (the route gets one from Hono),
  // requests built before the round. Its own loop, not pieceRound, because a body reads once.
  const inboundRound = async (n: number) => {
    const reqs = unsigned(n, `/v1/webhooks/${triggerId}`);
    const t0 = performance.now();
    for (const req of reqs) sink += (await inboundOf(new Context<AppEnv>(req, { env: ingestEnv }))).raw.byteLength;
    return performance.now() - t0;
  };

  // The service on its own (ingestWebhook with the cache warm and the queue a spy): 3 without
  // HTTP and without reading the body. Each call a new signed delivery, read before the round.
  const serviceRound = async (n: number) => {
    const inbounds: InboundRequest[] = [];
    for (const req of signed(n)) inbounds.push(await inboundOf(new Context<AppEnv>(req, { env: ingestEnv })));
    await freshCache();
    const t0 = performance.now();
    for (const i of inbounds) sink += (await ingestWebhook(ingestEnv, getDb(ingestEnv.DB), triggerId, i, new Date())).status;
    return performance.now() - t0;
  };

  const pieces: [string, (n: number) => Promise<number>][] = [
    ["inbound", inboundRound],
    ["ingest_service", serviceRound],
    // Decrypting the connection's sealed secrets (AES-GCM): done on every delivery, cache or not.
    ["keys", (n) => pieceRound(() => keysOf(ingestEnv, candidate!), n)],
    ["verify", (n) => pieceRound(() => verifyDelivery("standard_webhooks", inbound, keys, verifiedAt), n)],
    ["event_id", (n) => pieceRound(() => eventIdFor(triggerId, event.dedup_key), n)],
    // What store() does before the hand-off: JSON.stringify + UTF-8 encode of the event (its size check).
    ["fits_hand_off", (n) => pieceRound(() => fitsHandOff([event]), n)],
    // Serialising the task the queue is sent (the spy skips the runtime's own serialisation).
    ["task_stringify", (n) => pieceRound(() => JSON.stringify(task), n)],
    // The only zod schema an ingested event meets: the consumer parses every task with it.
    ["task_parse", (n) => pieceRound(() => Task.parse(task), n)],
  ];
  for (const [name, round] of pieces) {
    const n = await calibrate(round);
    const us: number[] = [];
    for (let r = 0; r < ROUNDS; r++) us.push(((await round(n)) * 1000) / n);
    report(`overhead.piece.${name}`, { ...stats(us, n) });
  }
  expect(sink).toBeGreaterThan(0);
});
