import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("worker", () => {
  it("answers the health check", async () => {
    const res = await SELF.fetch("http://sy.test/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("answers unknown routes with a FastAPI-style 404", async () => {
    const res = await SELF.fetch("http://sy.test/nope");
    expect(res.status).toBe(404);
    const body = (await res.json()) as { detail: { type: string }[] };
    expect(body.detail[0]?.type).toBe("not_found");
  });

  it("refuses management calls without a bearer token", async () => {
    const res = await SELF.fetch("http://sy.test/v1/orgs");
    expect(res.status).toBe(401);
  });
});
