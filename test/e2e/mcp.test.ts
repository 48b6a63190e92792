/**
 * The MCP server end to end, the way an agent connects: the official SDK's Client with
 * StreamableHTTPClientTransport over real HTTP to `npm start`, authenticated with an org API
 * key, against a recording receiver on 127.0.0.1.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseUrl, call, setupTenant, startReceiver, waitFor } from "./harness";

let t: Awaited<ReturnType<typeof setupTenant>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let client: Client;

/** Calls a tool and fails the test on a refusal, with its message. */
async function tool(name: string, args: Record<string, unknown>): Promise<any> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
  return r.structuredContent;
}

async function action(body: Record<string, unknown>) {
  const ep = await call("POST", `${t.base}/endpoints`, { token: t.token, body: { name: "rec", url: `${receiver.url}/mcp-hook` } });
  expect(ep.status, JSON.stringify(ep.body)).toBe(201);
  const res = await call("POST", `${t.base}/actions`, { token: t.token, body: { namespace_id: "e2e", endpoint_id: ep.body.endpoint_id, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.action_id as string;
}

beforeAll(async () => {
  t = await setupTenant();
  receiver = await startReceiver();
  client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl()}/mcp`), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } }));
});
afterAll(async () => {
  await client?.close();
  receiver?.stop();
});

describe("MCP over streamable HTTP against npm start", () => {
  it("lists the tools", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual(
      ["decide_run", "get_action", "get_event", "get_run", "list_actions", "list_events", "list_pipelines", "list_runs", "list_triggers", "pipeline_action", "replay_event", "trigger_action"],
    );
  });

  it("triggers an action and polls get_run until success; the receiver got the delivery", async () => {
    const id = await action({ name: "mcp-greet", payload: { hello: "{{ inputs.who }}" }, manual_inputs_schema: { type: "object", properties: { who: { type: "string" } }, required: ["who"] } });
    const started = await tool("trigger_action", { action_id: id, inputs: { who: "agent" } });
    expect(started.status).toBe("pending");
    const run = await waitFor(async () => {
      const r = await tool("get_run", { run_id: started.run_id });
      return r.status === "success" ? r : undefined;
    }, "run success via get_run");
    expect(run.response_status).toBe(200);
    const got = receiver.requests.find((r) => r.path === "/mcp-hook" && r.body.includes("agent"));
    expect(JSON.parse(got!.body)).toEqual({ hello: "agent" });
  });

  it("approves an approval_required run through decide_run, and it is delivered", async () => {
    const id = await action({ name: "mcp-gated", approval_required: true, payload: { gated: true } });
    const started = await tool("trigger_action", { action_id: id });
    expect(started.status).toBe("pending_approval");
    const decided = await tool("decide_run", { run_id: started.run_id, decision: "approve", message: "ok from e2e" });
    expect(decided.decision_message).toBe("ok from e2e");
    await waitFor(async () => (await tool("get_run", { run_id: started.run_id })).status === "success", "approved run success");
    expect(receiver.requests.some((r) => r.body.includes('"gated":true'))).toBe(true);
  });

  it("runs a pipeline through pipeline_action and reads its status to the end", async () => {
    const id = await action({ name: "mcp-step", payload: { step: "one" } });
    const created = await tool("pipeline_action", { action: "create", type: "pipeline", version: 1, settings: { name: "mcp-release", app_id: t.appId, steps: [{ name: "one", action_id: id }] } });
    const pipelineId = created.results[0].target as string;
    expect((await tool("list_pipelines", { app_id: t.appId })).pipelines.map((p: any) => p.pipeline_id)).toContain(pipelineId);
    const run = await tool("pipeline_action", { action: "run", type: "pipeline", version: 1, target: [pipelineId] });
    expect(run.results[0].ok).toBe(true);
    const done = await waitFor(async () => {
      const s = await tool("pipeline_action", { action: "status", type: "pipeline", version: 1, target: [pipelineId] });
      return s.results[0].data.state === "success" ? s : undefined;
    }, "pipeline success via status");
    expect(done.http_status).toBe(200);
    expect(receiver.requests.some((r) => r.body.includes('"step":"one"'))).toBe(true);
  });
});
