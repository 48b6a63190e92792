/**
 * Every verifier, table-driven, against signatures made by the provider's own library (or an
 * independent crypto.subtle HMAC, see signers.ts), with an injected clock: correct signature,
 * wrong secret, tampered body, the ±300 s window at its edges in both directions, and that the
 * comparison goes through the constant-time primitive with the received signature's bytes.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyDelivery } from "../../../src/providers/registry";
import type { InboundRequest } from "../../../src/providers/types";
import { PROVIDERS, type DeliverySpec, type ProviderCase } from "./signers";

afterEach(() => vi.restoreAllMocks());

const enc = new TextEncoder();
const dec = new TextDecoder();
/** A fixed server clock: 2026-06-01T12:00:00Z. */
const NOW = new Date(Date.UTC(2026, 5, 1, 12, 0, 0));
const NOW_S = NOW.getTime() / 1000;

const reqOf = (text: string, headers: Record<string, string>): InboundRequest => ({
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  query: {},
  raw: enc.encode(text),
  text,
});

async function deliver(p: ProviderCase, signWith: string, verifyWith: string, opts: { ts?: number; tamper?: boolean } = {}) {
  const d: DeliverySpec = { id: `d-${crypto.randomUUID()}`, ts: opts.ts ?? NOW_S, routeKey: "acct-1" };
  const body = p.body(d, signWith);
  const headers = await p.sign(signWith, body, d);
  const sent = opts.tamper ? p.tamper(body) : body;
  expect(sent === body, "tamper() must change the body").toBe(!opts.tamper);
  const keys = { ...(p.secrets(verifyWith) as { signing_secret?: string; client_state?: string }) };
  return {
    d,
    headers,
    body,
    verdict: await verifyDelivery(p.provider, reqOf(sent, headers), { signingSecret: keys.signing_secret, clientState: keys.client_state, config: p.config ?? {} }, NOW),
  };
}

for (const p of PROVIDERS) {
  describe(`${p.label} verifier`, () => {
    it("accepts a correct signature and reads the event type", async () => {
      const s = p.newSecret();
      const { verdict } = await deliver(p, s, s);
      expect(verdict).toMatchObject({ ok: true, reason: null, eventType: p.eventType });
    });

    it("gives the same dedup key to the same delivery and another to the next one", async () => {
      const s = p.newSecret();
      const d: DeliverySpec = { id: "same-id", ts: NOW_S, routeKey: "acct-1" };
      const body = p.body(d, s);
      const h = await p.sign(s, body, d);
      const keys = p.secrets(s) as { signing_secret?: string; client_state?: string };
      const k = { signingSecret: keys.signing_secret, clientState: keys.client_state, config: p.config ?? {} };
      const a = await verifyDelivery(p.provider, reqOf(body, h), k, NOW);
      const b = await verifyDelivery(p.provider, reqOf(body, h), k, NOW);
      expect(a.ok && b.ok).toBe(true);
      expect(a.dedupKey).toBe(b.dedupKey);
      const other = await deliver(p, s, s);
      expect(other.verdict.ok).toBe(true);
      expect(other.verdict.dedupKey).not.toBe(a.dedupKey);
    });

    it("refuses a signature made with another secret", async () => {
      const { verdict } = await deliver(p, p.newSecret(), p.newSecret());
      expect(verdict).toMatchObject({ ok: false, dedupKey: null });
      expect(verdict.reason).toMatch(/does not match/);
    });

    it("refuses a body changed after signing", async () => {
      const s = p.newSecret();
      const { verdict } = await deliver(p, s, s, { tamper: true });
      expect(verdict).toMatchObject({ ok: false });
      expect(verdict.reason).toMatch(/does not match/);
    });

    it("compares the received signature through crypto.subtle.timingSafeEqual, and the answer counts", async () => {
      const spy = vi.spyOn(crypto.subtle, "timingSafeEqual");
      const s = p.newSecret();
      const good = await deliver(p, s, s);
      const want = p.received(good.headers, good.body);
      const seen = spy.mock.calls.map(([a]) => dec.decode(a as Uint8Array));
      expect(seen.map((x) => x.toLowerCase())).toContain(want.toLowerCase());
      expect(good.verdict.ok).toBe(true);
      spy.mockClear();
      const bad = await deliver(p, p.newSecret(), s);
      expect(spy).toHaveBeenCalled();
      expect(bad.verdict.ok).toBe(false);
    });

    if (p.windowed) {
      for (const [delta, ok] of [
        [-301, false],
        [-300, true],
        [-299, true],
        [299, true],
        [300, true],
        [301, false],
      ] as const) {
        it(`${ok ? "accepts" : "refuses"} a timestamp ${Math.abs(delta)} s in the ${delta < 0 ? "past" : "future"}`, async () => {
          const s = p.newSecret();
          const { verdict } = await deliver(p, s, s, { ts: NOW_S + delta });
          expect(verdict.ok).toBe(ok);
          if (!ok) expect(verdict.reason).toMatch(/5-minute window/);
        });
      }
    }
  });
}
