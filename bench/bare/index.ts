import { Hono } from "hono";

/** The baseline: a bare Hono Worker on the same workerd that accepts a webhook and does nothing. */
const app = new Hono();
app.post("/v1/webhooks/:id", async (c) => {
  await c.req.arrayBuffer();
  return c.json({ ok: true }, 202);
});
export default app;
