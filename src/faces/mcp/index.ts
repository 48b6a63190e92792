import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { nowIso, uuidv7 } from "../../core/ids";
import { readUpTo } from "../../core/streams";
import type { Ctx } from "../../core/context";
import { ctxOf } from "../../http/middleware";
import { createRouter, type AuditNote } from "../../http/router";
import { recordAudit } from "../../services/audit";
import { errorResult, okResult, refusal } from "./results";
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

/** Marks arguments the SDK's schema check refused, so the tool answers (and audits) the refusal itself. */
const INVALID = Symbol("invalid arguments");
type Refused = { [INVALID]: unknown };
const refusedOf = (args: unknown) => (args && typeof args === "object" && INVALID in args ? (args as Refused)[INVALID] : undefined);

/** Runs one tool for `ctx`: its result, or its refusal as an `isError` result; audits write tools, refused ones included. */
async function callTool(t: Tool, ctx: Ctx, origin: string, args: unknown): Promise<CallToolResult> {
  const invalid = refusedOf(args);
  if (invalid !== undefined) {
    if (t.write) {
      const raw = (invalid as { args?: Record<string, unknown> }).args;
      const target = t.write.targetArg && typeof raw?.[t.write.targetArg] === "string" ? String(raw[t.write.targetArg]).slice(0, 100) : null;
      await auditCall(ctx, t.name, { action: t.write.action, targetType: t.write.targetType, targetId: target, details: { invalid_arguments: true } }, false, 422);
    }
    return refusal((invalid as { error?: Error }).error?.message ?? "invalid arguments");
  }
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
  // The SDK checks arguments against inputSchema before a tool runs and answers a failure
  // itself; this hands the failure to the tool instead, so it is capped and audited like a
  // REST 422 (pinned SDK version: test/routes/mcp/mcp.test.ts covers this hook).
  const sdkServer = server as unknown as { validateToolInput: (tool: unknown, args: unknown, name: string) => Promise<unknown> };
  const check = sdkServer.validateToolInput.bind(server);
  sdkServer.validateToolInput = async (tool, args, name) => {
    try {
      return await check(tool, args, name);
    } catch (error) {
      return { [INVALID]: { error, args: args && typeof args === "object" ? args : undefined } } satisfies Refused;
    }
  };
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

const jsonRpcError = (status: number, code: number, message: string) =>
  new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), { status, headers: { "content-type": "application/json" } });

/**
 * `/mcp`: MCP over streamable HTTP, stateless (a new server per request, no session), JSON
 * answers rather than SSE. Guarantees: the bearer was checked by `requireAuth` (401 with
 * WWW-Authenticate otherwise); the body is read up to MCP_MAX_BODY_BYTES (413 past it); one
 * POST carries one JSON-RPC message (batches, removed from MCP in 2025-06-18, are refused
 * with 400, so one request never runs more than one tool call); every tool runs as the caller
 * through the REST services; a tool call is audited by `auditCall`, so the REST audit
 * middleware skips this path.
 */
export const mcpRouter = createRouter();
mcpRouter.post("/mcp", async (c) => {
  c.set("audit", { skip: true });
  const ctx = ctxOf(c);
  const bytes = await readUpTo(c.req.raw.body, MCP_MAX_BODY_BYTES, c.req.header("content-length"));
  if (!bytes) return jsonRpcError(413, -32000, `request body is larger than ${MCP_MAX_BODY_BYTES} bytes`);
  const first = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (first.startsWith("[")) return jsonRpcError(400, -32600, "JSON-RPC batches are not supported (MCP removed them in 2025-06-18): send one message per POST");
  const request = new Request(c.req.url, { method: "POST", headers: c.req.raw.headers, body: bytes });
  const server = await serverFor(ctx, new URL(c.req.url).origin);
  const transport = new (await sdk()).Transport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: MCP_MAX_BODY_BYTES });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    c.executionCtx.waitUntil(server.close());
  }
});
mcpRouter.get("/mcp", methodNotAllowed);
mcpRouter.delete("/mcp", methodNotAllowed);
