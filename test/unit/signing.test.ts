import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { standardWebhookHeaders } from "../../src/core/signing";

describe("Standard Webhooks signing", () => {
  it("produces headers the standardwebhooks library verifies (whsec_ key)", async () => {
    const secret = "whsec_" + btoa("0123456789abcdef0123456789abcdef");
    const body = JSON.stringify({ hello: "world", n: 1 });
    const headers = await standardWebhookHeaders(secret, "msg_1", Date.now() / 1000, body);
    expect(headers["webhook-id"]).toBe("msg_1");
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ hello: "world", n: 1 });
  });

  it("uses a non-whsec secret as raw bytes", async () => {
    const body = "{}";
    const headers = await standardWebhookHeaders("plain-secret", "msg_2", Date.now() / 1000, body);
    expect(new Webhook("plain-secret", { format: "raw" }).verify(body, headers)).toEqual({});
  });

  it("is rejected when the body changes or the secret differs", async () => {
    const secret = "whsec_" + btoa("another-key-another-key-another!");
    const headers = await standardWebhookHeaders(secret, "msg_3", Date.now() / 1000, '{"a":1}');
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow();
    expect(() => new Webhook("whsec_" + btoa("x".repeat(32))).verify('{"a":1}', headers)).toThrow();
  });
});
