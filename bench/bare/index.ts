import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

type Env = { SINK: Queue<unknown>; STORE: DurableObjectNamespace<Store> };

/** One SQLite insert per call: the cost of making a delivery durable in a Durable Object. */
export class Store extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS held (id TEXT PRIMARY KEY, body TEXT NOT NULL)");
  }
  async hold(id: string, body: string): Promise<void> {
    this.ctx.storage.sql.exec("INSERT INTO held (id, body) VALUES (?, ?) ON CONFLICT DO NOTHING", id, body);
  }
}

/**
 * The baselines of `npm run bench`, on the same workerd as Switchyard: a bare Hono Worker that
 * accepts a webhook and does nothing (`/v1/webhooks/:id`), or does only the one durable write
 * a queue-first design needs: one `queue.send()` (`/send/:id`) or one Durable Object SQLite
 * insert (`/do/:id`, spread over 4 objects like Switchyard's inbox). They bound what any
 * ingest design can reach on this machine.
 */
const app = new Hono<{ Bindings: Env }>();
app.post("/v1/webhooks/:id", async (c) => {
  await c.req.arrayBuffer();
  return c.json({ ok: true }, 202);
});
app.get("/healthz", (c) => c.json({ ok: true }));
app.post("/send/:id", async (c) => {
  const body = await c.req.text();
  await c.env.SINK.send({ id: c.req.header("webhook-id"), body });
  return c.json({ ok: true }, 202);
});
app.post("/do/:id", async (c) => {
  const body = await c.req.text();
  const id = c.req.header("webhook-id") ?? crypto.randomUUID();
  const shard = id.charCodeAt(id.length - 1) % 4;
  await c.env.STORE.get(c.env.STORE.idFromName(`inbox:${shard}`)).hold(id, body);
  return c.json({ ok: true }, 202);
});
export default {
  fetch: app.fetch,
  /** Drains the sink queue (does nothing with the messages). */
  async queue(batch: MessageBatch<unknown>) {
    batch.ackAll();
  },
};
