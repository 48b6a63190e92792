import { describe, expect, it } from "vitest";
import { call, runCron } from "./harness";

describe("npm start (wrangler dev, local D1/DO/Queues)", () => {
  it("serves the health check and the OpenAPI document", async () => {
    expect((await call("GET", "/healthz")).body).toEqual({ ok: true });
    const doc = await call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
  });

  it("exposes the cron handler through /__scheduled", async () => {
    await expect(runCron()).resolves.toBeUndefined();
  });
});
