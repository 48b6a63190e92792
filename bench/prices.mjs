// Cloudflare's published prices (Workers Paid plan, usage beyond the included amounts),
// as listed on the Workers, D1, Queues and Durable Objects pricing pages.
export const PRICES = {
  workers_per_million_requests: 0.3,
  workers_per_million_cpu_ms: 0.02,
  d1_per_million_rows_read: 0.001,
  d1_per_million_rows_written: 1.0,
  queues_per_million_operations: 0.4, // one message = write + read + delete = 3 operations
  do_per_million_requests: 0.15,
  do_per_million_gb_s: 12.5,
};

/**
 * Cost of one million webhooks, each routed to one action and delivered once, from the
 * counts measured for one webhook and one delivered run. CPU and DO duration are left out
 * (not measurable locally); the assumption is stated in bench/README.md.
 */
export function costPerMillion(webhook, run) {
  const m = 1e6;
  const rowsWritten = (webhook.d1RowsWritten + run.d1RowsWritten) * m;
  const rowsRead = (webhook.d1RowsRead + run.d1RowsRead) * m;
  const queueOps = (webhook.queueMessages + run.queueMessages) * 3 * m;
  const doReq = (webhook.doRequests + run.doRequests) * m;
  // Requests: the webhook itself + queue consumer invocations (batched 100 messages; counted as 1/100 each).
  const requests = m + ((webhook.queueMessages + run.queueMessages) * m) / 100;
  const parts = {
    workers_requests_usd: (requests / 1e6) * PRICES.workers_per_million_requests,
    d1_rows_written_usd: (rowsWritten / 1e6) * PRICES.d1_per_million_rows_written,
    d1_rows_read_usd: (rowsRead / 1e6) * PRICES.d1_per_million_rows_read,
    queues_usd: (queueOps / 1e6) * PRICES.queues_per_million_operations,
    durable_objects_usd: (doReq / 1e6) * PRICES.do_per_million_requests,
  };
  return { ...parts, total_usd: Object.values(parts).reduce((a, b) => a + b, 0) };
}
