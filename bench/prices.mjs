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
 * Cost of one million webhooks, each routed to one action and delivered once, from the counts
 * measured per webhook for each part of its path (`parts`: the request, its share of the
 * consumer batch that stores and routes it, the delivery of its run). Queue consumer
 * invocations count as one request per 100 messages (the batch size). CPU time and DO
 * duration are left out (not measurable locally); bench/README.md says so.
 */
export function costPerMillion(...parts) {
  const m = 1e6;
  const sum = (k) => parts.reduce((a, p) => a + (p[k] ?? 0), 0);
  const queueMessages = sum("queueMessages");
  const requests = m + (queueMessages * m) / 100;
  const cost = {
    workers_requests_usd: (requests / 1e6) * PRICES.workers_per_million_requests,
    d1_rows_written_usd: sum("d1RowsWritten") * PRICES.d1_per_million_rows_written,
    d1_rows_read_usd: sum("d1RowsRead") * PRICES.d1_per_million_rows_read,
    queues_usd: queueMessages * 3 * PRICES.queues_per_million_operations,
    durable_objects_usd: sum("doRequests") * PRICES.do_per_million_requests,
  };
  return { ...cost, total_usd: Object.values(cost).reduce((a, b) => a + b, 0), rows_written_per_webhook: sum("d1RowsWritten"), statements_per_webhook: sum("d1Statements"), queue_messages_per_webhook: queueMessages };
}
