import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getProviderTrigger, listProviderTriggers, PROVIDER_IDS, triggerEventFilter, triggerSamples } from "../../../src/providers/catalog";
import { normalizeTriggerConfig } from "../../../src/providers/config";
import { SCHEMES, verifyDelivery } from "../../../src/providers/registry";

describe("catalog invariants", () => {
  it("can_get_test_samples is true exactly when samples exist, and every webhook provider has a scheme", () => {
    for (const p of PROVIDER_IDS) {
      for (const e of listProviderTriggers(p)!) {
        expect(e.can_get_test_samples, `${p}/${e.trigger_id}`).toBe(triggerSamples(p, e.trigger_id).length > 0);
        if (e.trigger_type === "webhook") expect(SCHEMES[p], p).toBeDefined();
        expect(getProviderTrigger(p, e.trigger_id)).toEqual(e);
      }
    }
  });

  it("catch-alls have no event filter; specific triggers have one", () => {
    expect(triggerEventFilter("github", "on_any_event")).toBeNull();
    expect(triggerEventFilter("github", "on_push")).toBe("push");
    expect(triggerEventFilter("stripe", "on_customer_created")).toBe("customer.created");
  });

  it("normalizes trigger_config with documented defaults", () => {
    expect(normalizeTriggerConfig("schedule", "cron", { cron: "0 9 * * 1-5" })).toEqual({ cron: "0 9 * * 1-5", timezone: "UTC" });
    expect(normalizeTriggerConfig("rss", "poll", { url: "https://x.example/feed" })).toEqual({ url: "https://x.example/feed", polling_frequency: 300 });
    expect(() => normalizeTriggerConfig("http", "poll", { url: "ftp://x" })).toThrow(/http/);
    expect(normalizeTriggerConfig("github", "on_any_event", undefined)).toBeNull();
  });
});

describe("verifiers never throw on hostile input", () => {
  it("returns a verdict (never an exception) for arbitrary headers, bodies and secrets", async () => {
    const names = ["stripe-signature", "x-hub-signature-256", "x-slack-signature", "x-slack-request-timestamp", "webhook-id", "webhook-timestamp", "webhook-signature", "typeform-signature", "x-shopify-hmac-sha256", "content-type", "x-signature"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(SCHEMES)),
        fc.dictionary(fc.constantFrom(...names), fc.string()),
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        async (provider, headers, text, secret) => {
          const req = { headers, query: {}, raw: new TextEncoder().encode(text), text };
          const v = await verifyDelivery(provider, req, { signingSecret: secret, config: {} }, new Date());
          expect(typeof v.ok).toBe("boolean");
          if (!v.ok) expect(v.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
