/**
 * Stands in (through `[alias]` in wrangler.toml) for modules the MCP SDK imports but that
 * Switchyard's server never runs: Ajv and ajv-formats (we give the SDK the @cfworker/json-schema
 * validator, which needs no code generation, unlike Ajv), and zod v3 with zod-to-json-schema
 * (every tool schema is zod 4, which the SDK converts with zod's own toJSONSchema). Leaving them
 * out keeps about 100 KiB gzip off the bundle (see bench/README.md). Guarantee: if anything
 * ever reaches one of these, it fails loudly with this module's name instead of misbehaving.
 */
function unbundled(): never {
  throw new Error("src/shims/mcp-unbundled.ts: a module left out of the Worker bundle was used (Ajv or zod v3); see wrangler.toml [alias]");
}

export default unbundled;
export const object = unbundled;
export const zodToJsonSchema = unbundled;
