import { listOrgActions } from "../../services/actions";
import { listOrgRuns, RUN_STATUSES, type RunStatus } from "../../services/runs";
import { Choice, Empty, Pager, Status, When } from "./components";
import type { CC } from "./context";
import { viewOf } from "./context";
import { Layout } from "./layout";

/** Runs per page of the list. */
export const RUNS_PAGE_SIZE = 50;

/** Runs: every attempt of the org, newest first, filtered by action and status, cursor pages. */
export async function runsPage(c: CC) {
  const v = viewOf(c);
  const q = c.req.query();
  const status = (RUN_STATUSES as readonly string[]).includes(q.status ?? "") ? (q.status as RunStatus) : undefined;
  const actionId = q.action_id || undefined;
  const [page, actions] = await Promise.all([
    listOrgRuns(v.ctx, v.orgId, { action_id: actionId, status }, { limit: RUNS_PAGE_SIZE, cursor: q.cursor || undefined }),
    listOrgActions(v.ctx, v.orgId, { limit: 200 }),
  ]);
  const names = new Map(actions.items.map((a) => [a.actionId, a.name]));
  return c.html(
    <Layout title="Runs" current="runs" csrf={v.csrf} who={v.who}>
      <form method="get" action="/console/runs" class="filters">
        <Choice label="action" name="action_id" selected={actionId} options={actions.items.map((a) => ({ value: a.actionId, label: a.name }))} />
        <Choice label="status" name="status" selected={status} options={RUN_STATUSES.map((s) => ({ value: s, label: s }))} />
        <button type="submit">Filter</button>
      </form>
      <p class="muted">{page.total} {page.total === 1 ? "run" : "runs"}</p>
      {page.items.length ? (
        <table>
          <thead>
            <tr><th scope="col">triggered</th><th scope="col">run</th><th scope="col">action</th><th scope="col">attempt</th><th scope="col">status</th><th scope="col">response</th><th scope="col">error</th></tr>
          </thead>
          <tbody>
            {page.items.map((r) => (
              <tr>
                <td><When at={r.triggeredAt} /></td>
                <td><a href={`/console/runs/${r.runId}`}>{r.runId}</a></td>
                <td>{names.get(r.actionId) ?? r.actionId}</td>
                <td>{r.attempt}</td>
                <td><Status value={r.status} /></td>
                <td>{r.responseStatus ?? "—"}</td>
                <td>{r.errorCode ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>No runs{status || actionId ? " match these filters" : " yet"}. An action runs when one of its triggers receives an event, on its schedule, or with <a href="/console/actions">Run now</a>.</Empty>
      )}
      <Pager base="/console/runs" params={{ action_id: actionId, status }} next={page.next_cursor} />
    </Layout>,
  );
}
