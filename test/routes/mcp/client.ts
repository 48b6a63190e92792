import { SELF } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** The SDK's own Client over streamable HTTP, as an agent connects; requests go to the Worker under test. */
export async function connect(token: string): Promise<Client> {
  const client = new Client({ name: "switchyard-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("http://sy.test/mcp"), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    fetch: (url, init) => SELF.fetch(url as string, init as RequestInit),
  });
  await client.connect(transport);
  await client.listTools(); // caches output schemas, so every callTool result is validated against them
  return client;
}

/** Calls a tool and returns its result (typed for assertions). */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult & { structuredContent?: any }> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult & { structuredContent?: any };
}

/** The text of a result's first content item. */
export const textOf = (r: CallToolResult) => (r.content[0] as { text: string }).text;
