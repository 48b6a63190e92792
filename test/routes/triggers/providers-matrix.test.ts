/**
 * The provider matrix over HTTP: every webhook provider × both ingestion paths (the trigger
 * UUID `/v1/webhooks/<uuid>` and the provider id `/v1/webhooks/<provider>` routed by the
 * trigger's route_key) × correct signature, wrong secret, tampered body, stale and future
 * timestamps (±301 s refused, ±299 s accepted where the provider has a window) and a replayed
 * delivery id. Signatures come from the providers' own libraries or an independent
 * crypto.subtle HMAC (test/unit/providers/signers.ts). Assertions are on the reply's
 * event_id/duplicate and on the D1 rows.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeTenant, type Tenant } from "../../fixtures";
import { PROVIDERS, type DeliverySpec, type ProviderCase } from "../../unit/providers/signers";
import { eventsOf, makeTrigger, post } from "./helpers";

// A fresh org per case: wildcard (no route_key) triggers are capped per org and provider.
let t: Tenant;
beforeEach(async () => {
  t = await makeTenant("matrix");
});
// Ingestion only: the event.route tasks are recorded, not consumed, so nothing else runs.
beforeEach(() => void vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never));
afterEach(() => vi.restoreAllMocks());

type Path = "uuid" | "provider";
const nowS = () => Math.floor(Date.now() / 1000);

/** A trigger of `p` verifying with a fresh secret; the URL path to post to for `path`. */
async function setUp(p: ProviderCase, path: Path) {
  const secret = p.newSecret();
  const routeKey = `rk-${crypto.randomUUID()}`;
  const triggerId = await makeTrigger(t, p.provider, p.secrets(secret), { routeKey: p.routed ? routeKey : undefined, config: p.config });
  return { secret, routeKey, triggerId, url: path === "uuid" ? `/v1/webhooks/${triggerId}` : `/v1/webhooks/${p.provider}` };
}

/** Posts one delivery of `p` signed with `signWith` (optionally tampered after signing). */
async function send(p: ProviderCase, url: string, signWith: string, d: DeliverySpec, opts: { tamper?: boolean; bodySecret?: string } = {}) {
  const body = p.body(d, opts.bodySecret ?? signWith);
  const headers = await p.sign(signWith, body, d);
  return post(url, opts.tamper ? p.tamper(body) : body, headers);
}

const spec = (routeKey: string, ts = nowS()): DeliverySpec => ({ id: `dl-${crypto.randomUUID()}`, ts, routeKey });

function expectRefused(res: { status: number; body: any }) {
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.body.detail[0].type).toBe("invalid_signature");
}

for (const p of PROVIDERS) {
  describe(`${p.label}`, () => {
    for (const path of ["uuid", "provider"] as const) {
      describe(`${path === "uuid" ? "/v1/webhooks/<trigger uuid>" : `/v1/webhooks/${p.provider}`}`, () => {
        it("accepts a correct signature and stores exactly one event", async () => {
          const s = await setUp(p, path);
          const res = await send(p, s.url, s.secret, spec(s.routeKey));
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body).toMatchObject({ event_id: expect.any(String), duplicate: false });
          const rows = await eventsOf(s.triggerId);
          expect(rows.map((r) => r.eventId)).toEqual([res.body.event_id]);
          expect(rows[0]).toMatchObject({ providerId: p.provider, orgId: t.orgId, eventType: p.eventType });
        });

        it("refuses a signature made with another secret and stores nothing", async () => {
          const s = await setUp(p, path);
          const other = p.newSecret();
          expectRefused(await send(p, s.url, other, spec(s.routeKey), { bodySecret: other }));
          expect(await eventsOf(s.triggerId)).toHaveLength(0);
        });

        it("refuses a body changed after signing and stores nothing", async () => {
          const s = await setUp(p, path);
          expectRefused(await send(p, s.url, s.secret, spec(s.routeKey), { tamper: true }));
          expect(await eventsOf(s.triggerId)).toHaveLength(0);
        });

        it("deduplicates a replayed delivery: 200 with the original event id and duplicate: true", async () => {
          const s = await setUp(p, path);
          const d = spec(s.routeKey);
          const first = await send(p, s.url, s.secret, d);
          expect(first.status, JSON.stringify(first.body)).toBe(200);
          const again = await send(p, s.url, s.secret, d);
          expect(again.status, JSON.stringify(again.body)).toBe(200);
          expect(again.body).toMatchObject({ event_id: first.body.event_id, duplicate: true });
          expect(await eventsOf(s.triggerId)).toHaveLength(1);
        });

        if (p.windowed) {
          it("refuses timestamps 301 s in the past and 301 s in the future", async () => {
            const s = await setUp(p, path);
            // Whole seconds: floor for the past and ceil for the future keep both ≥ 301 s away.
            for (const ts of [nowS() - 301, Math.ceil(Date.now() / 1000) + 301]) {
              const res = await send(p, s.url, s.secret, spec(s.routeKey, ts));
              expectRefused(res);
              expect(res.body.detail[0].msg).toMatch(/5-minute window/);
            }
            expect(await eventsOf(s.triggerId)).toHaveLength(0);
          });

          it("accepts timestamps 299 s in the past and 299 s in the future", async () => {
            const s = await setUp(p, path);
            for (const ts of [Math.ceil(Date.now() / 1000) - 299, nowS() + 299]) {
              const res = await send(p, s.url, s.secret, spec(s.routeKey, ts));
              expect(res.status, JSON.stringify(res.body)).toBe(200);
            }
            expect(await eventsOf(s.triggerId)).toHaveLength(2);
          });
        }
      });
    }
  });
}
