import { listPendingApprovals } from "../../services/approvals";
import { endpointHealth, orgMetrics } from "../../services/metrics";
import { BarChart } from "./chart";
import { Empty, When, windowOf, WindowPicker, windowQuery } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/** Overview: events and runs per bucket for the chosen window, the endpoints failing most, and the approvals waiting. */
export async function overviewPage(c: CC) {
  const v = viewOf(c);
  const w = windowOf(c.req.query("window"));
  const q = windowQuery(w);
  const [m, health, inbox] = await Promise.all([orgMetrics(v.ctx, v.orgId, q), endpointHealth(v.ctx, v.orgId, q), listPendingApprovals(v.ctx, v.orgId)]);
  const col = (into: "events" | "runs", status: string) => m.buckets.map((b) => b[into][status] ?? 0);
  const waiting = inbox.runs.length + inbox.gates.length;
  const failing = health.filter((h) => h.failed > 0).slice(0, 5);
  return c.html(
    <Layout title="Overview" current="overview" csrf={v.csrf} who={v.who}>
      <WindowPicker base="/console" current={w} />
      <p class="approvals-count">
        <a href="/console/approvals">
          {waiting} {waiting === 1 ? "approval" : "approvals"} pending
        </a>
      </p>
      <BarChart
        title="Events received"
        buckets={m.buckets}
        series={[
          { label: "routed", cls: "c-ok", values: col("events", "routed") },
          { label: "unmatched", cls: "c-muted", values: col("events", "unmatched") },
          { label: "received", cls: "c-info", values: col("events", "received") },
          { label: "failed", cls: "c-bad", values: col("events", "failed") },
        ]}
      />
      <BarChart
        title="Runs"
        buckets={m.buckets}
        series={[
          { label: "succeeded", cls: "c-ok", values: col("runs", "success") },
          { label: "failed", cls: "c-bad", values: col("runs", "failed") },
        ]}
      />
      <section>
        <h2>Endpoints with the most failures</h2>
        {failing.length ? (
          <table>
            <thead>
              <tr><th scope="col">endpoint</th><th scope="col">failed</th><th scope="col">of</th><th scope="col">last error</th><th scope="col">at</th></tr>
            </thead>
            <tbody>
              {failing.map((h) => (
                <tr>
                  <td>{h.name}</td><td>{h.failed}</td><td>{h.attempts}</td><td>{h.last_error ?? "—"}</td><td><When at={h.last_error_at} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>No failed deliveries in the last {w}. <a href="/console/endpoints">See every endpoint's health</a>.</Empty>
        )}
      </section>
    </Layout>,
  );
}
