import { disableEndpoint, enableEndpoint, findEndpointOfOrg } from "../../services/endpoints";
import { endpointHealth } from "../../services/metrics";
import { Act, Empty, Status, When, windowOf, WindowPicker, windowQuery } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)} %`);

/** Endpoints: delivery health over the chosen window — success rate, last status, last error, mean latency. Never the signing secret. */
export async function endpointsPage(c: CC) {
  const v = viewOf(c);
  const w = windowOf(c.req.query("window"));
  const list = await endpointHealth(v.ctx, v.orgId, windowQuery(w));
  return c.html(
    <Layout title="Endpoints" current="endpoints" csrf={v.csrf} who={v.who}>
      <WindowPicker base="/console/endpoints" current={w} />
      {list.length ? (
        <table>
          <thead>
            <tr><th scope="col">endpoint</th><th scope="col">url</th><th scope="col">attempts</th><th scope="col">success rate</th><th scope="col">mean latency</th><th scope="col">last status</th><th scope="col">last error</th><th scope="col">last attempt</th><th scope="col">circuit</th><th scope="col">held</th><th scope="col"></th></tr>
          </thead>
          <tbody>
            {list.map((h) => (
              <tr>
                <td>{h.name}</td><td>{h.url}</td><td>{h.attempts}</td><td>{pct(h.success_rate)}</td>
                <td>{h.avg_latency_ms === null ? "—" : `${h.avg_latency_ms} ms`}</td>
                <td>{h.last_status ?? "—"}</td><td>{h.last_error ?? "—"}</td><td><When at={h.last_at} /></td>
                <td><Status value={h.circuit_state} />{h.circuit_reason ? <small> {h.circuit_reason}</small> : null}</td><td>{h.held_runs}</td>
                <td>
                  {h.circuit_state === "closed" ? (
                    <Act action={`/console/endpoints/${h.endpoint_id}/disable`} csrf={v.csrf} label="Disable" allowed={v.can("editor")} />
                  ) : (
                    <Act action={`/console/endpoints/${h.endpoint_id}/enable`} csrf={v.csrf} label="Enable" allowed={v.can("editor")} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>No endpoints yet. Create one with POST …/apps/{"{app_id}"}/endpoints (see /docs), then point an action at it.</Empty>
      )}
    </Layout>,
  );
}

/** Disable / Enable from the endpoints page: the same services as REST (editor+), then back to the page. */
export async function endpointStateAction(c: CC, op: "enable" | "disable") {
  const v = viewOf(c);
  const id = c.req.param("endpoint_id")!;
  c.set("audit", { action: `endpoint.${op}`, targetType: "endpoint", targetId: id });
  const ep = await findEndpointOfOrg(v.ctx, v.orgId, id);
  await (op === "enable" ? enableEndpoint : disableEndpoint)(v.ctx, v.orgId, ep.workspaceId, ep.appId, id);
  return c.redirect("/console/endpoints", 303);
}
