import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { nowIso, uuidv7 } from "../../core/ids";
import type { Ctx } from "../../core/context";
import { ctxOf } from "../../http/middleware";
import { createRouter, type AuditNote } from "../../http/router";
import { recordAudit } from "../../services/audit";
import { errorResult, okResult } from "./results";
import { TOOLS, type Tool } from "./tools";

/** Largest JSON-RPC request body /mcp reads (tool arguments are small; a pipeline create is the largest). */
export const MCP_MAX_BODY_BYTES = 256 * 1024;

const INSTRUCTIONS =
  "Switchyard routes webhooks: triggers receive events, events start actions (signed HTTP calls to endpoints), each attempt is a run, " +
  "and pipelines chain actions with approval gates. Ids are UUIDs. Start with list_triggers, list_events or list_pipelines; " +
  "follow a run with get_run until its status is final. What you may do is your token's role: viewer reads, runner triggers and replays, editor decides and changes.";

/**
 * Writes one audit row for a tool call, the way REST's audit middleware records the call
 * it mirrors: actor, action, target, result, in the caller's org. Never throws.
 */
async function auditCall(ctx: Ctx, tool: string, note: AuditNote, ok: boolean, status: number): Promise<void> {
  const orgId = ctx.actor.orgId ?? note.orgId;
  if (!orgId) return;
  try {
    await recordAudit(ctx.db, {
      auditId: uuidv7(), orgId, actorType: ctx.actor.kind, actorId: ctx.actor.id,
      action: note.action ?? `mcp.${tool}`, targetType: note.targetType ?? "unknown", targetId: note.targetId ?? null,
      result: ok ? "success" : "failure", statusCode: status, requestId: ctx.requestId,
      details: { via: "mcp", tool, ...(note.details && typeof note.details === "object" ? note.details : {}) },
      createdAt: nowIso(),
    });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "audit write failed", error: String(err) }));
  }
}

/** Runs one tool for `ctx`: its result, or its refusal as an `isError` result; audits write tools. */
async function callTool(t: Tool, ctx: Ctx, origin: string, args: unknown): Promise<CallToolResult> {
  let note: AuditNote | undefined;
  let failed = false;
  try {
    const out = await t.run({ ctx, origin, audit: (n) => (note = n), fail: () => (failed = true) }, args as never);
    if (note) await auditCall(ctx, t.name, note, !failed, failed ? 409 : 200);
    return okResult(out, failed);
  } catch (err) {
    const result = errorResult(err, ctx.requestId);
    if (note) await auditCall(ctx, t.name, note, false, (err as { status?: number }).status ?? 500);
    return result;
  }
}

/** The SDK, imported on the first MCP request (like graphql), so other requests never pay its start-up. */
const sdk = () =>
  Promise.all([
    import("@modelcontextprotocol/sdk/server/mcp.js"),
    import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
    import("@modelcontextprotocol/sdk/validation/cfworker-provider.js"),
  ]).then(([mcp, http, cf]) => ({ McpServer: mcp.McpServer, Transport: http.WebStandardStreamableHTTPServerTransport, Validator: cf.CfWorkerJsonSchemaValidator }));

/** A fresh stateless server for one request, with every tool bound to the caller's ctx. */
async function serverFor(ctx: Ctx, origin: string): Promise<McpServer> {
  const { McpServer, Validator } = await sdk();
  const server = new McpServer(
    { name: "switchyard", version: "0.1.0" },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: new Validator() },
  );
  for (const t of TOOLS) {
    server.registerTool(
      t.name,
      { title: t.title, description: t.description, inputSchema: t.input, outputSchema: t.output, annotations: { title: t.title, ...t.annotations } },
      (args: unknown) => callTool(t, ctx, origin, args),
    );
  }
  return server;
}

const methodNotAllowed = () =>
  new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "this MCP server is stateless: send JSON-RPC with POST /mcp (no SSE stream, no session to delete)" }, id: null }), {
    status: 405,
    headers: { "content-type": "application/json", allow: "POST" },
  });

/**
 * `/mcp`: MCP over streamable HTTP, stateless (a new server per request, no session), JSON
 * answers rather than SSE. Guarantees: the bearer was checked by `requireAuth` (401 with
 * WWW-Authenticate otherwise); every tool runs as the caller through the REST services;
 * a tool call is audited by `auditCall`, so the REST audit middleware skips this path.
 */
export const mcpRouter = createRouter();
mcpRouter.post("/mcp", async (c) => {
  c.set("audit", { skip: true });
  const ctx = ctxOf(c);
  const server = await serverFor(ctx, new URL(c.req.url).origin);
  const transport = new (await sdk()).Transport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: MCP_MAX_BODY_BYTES });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw);
  } finally {
    c.executionCtx.waitUntil(server.close());
  }
});
mcpRouter.get("/mcp", methodNotAllowed);
mcpRouter.delete("/mcp", methodNotAllowed);
