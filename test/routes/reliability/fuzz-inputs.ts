/**
 * Generators for the parser-reaching fuzz: schema-aware wrong types from the served OpenAPI
 * document, hostile raw JSON texts (deep, huge, invalid UTF-8, duplicate keys, edge numbers),
 * hostile path ids and query strings, and a per-route seed.
 */
import fc from "fast-check";

export type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; enum?: unknown[] };
export type Doc = { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> }; parameters?: { in: string; name: string; schema?: Schema }[] }>>; components?: { schemas?: Record<string, Schema> } };

/** A base seed plus a 32-bit FNV-1a hash of the route, so every route gets its own stream. */
export function seedFor(base: number, route: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < route.length; i++) h = Math.imul(h ^ route.charCodeAt(i), 0x01000193);
  return (base ^ h) | 0;
}

/** Resolves `$ref` (and the first branch of anyOf/oneOf) one step at a time. */
export function resolve(doc: Doc, s: Schema | undefined): Schema {
  let cur = s ?? {};
  for (let i = 0; i < 10 && cur.$ref; i++) cur = doc.components?.schemas?.[cur.$ref.replace("#/components/schemas/", "")] ?? {};
  return cur;
}

/** The JSON request-body schema of one operation, resolved, or null. */
export function bodySchema(doc: Doc, template: string, method: string): Schema | null {
  const s = doc.paths[template]?.[method.toLowerCase()]?.requestBody?.content?.["application/json"]?.schema;
  return s ? resolve(doc, s) : null;
}

/** The documented query parameter names of one operation. */
export const queryNames = (doc: Doc, template: string, method: string) =>
  (doc.paths[template]?.[method.toLowerCase()]?.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);

const typeOf = (doc: Doc, s: Schema): string => {
  const r = resolve(doc, s);
  const t = Array.isArray(r.type) ? r.type.find((x) => x !== "null") : r.type;
  if (t) return t;
  const branch = r.anyOf?.[0] ?? r.oneOf?.[0];
  return branch ? typeOf(doc, branch) : r.properties ? "object" : "unknown";
};

/** A plausible value of the declared type (so the other fields pass and the wrong one is reached). */
function plausible(doc: Doc, s: Schema): unknown {
  const r = resolve(doc, s);
  if (r.enum?.length) return r.enum[0];
  switch (typeOf(doc, r)) {
    case "string": return "fuzz";
    case "integer": case "number": return 1;
    case "boolean": return true;
    case "array": return [];
    case "object": return {};
    default: return null;
  }
}

/** Values whose JSON type differs from `type` (object-shaped, deep and huge ones included). */
function wrongFor(type: string): fc.Arbitrary<unknown> {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("", "\u0000", "\ud800", "é中\u2028", "x".repeat(70_000))),
    number: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 2 ** 53 + 1, Number.MAX_VALUE, -1)),
    boolean: fc.boolean(),
    array: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
    object: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    null: fc.constant(null),
  };
  const norm = type === "integer" ? "number" : type;
  return fc.oneof(...Object.entries(all).filter(([k]) => k !== norm).map(([, a]) => a));
}

/** A body that follows `schema` except for one field (top level or one level down) of the wrong type, or a missing required set. */
export function wrongTypeBody(doc: Doc, schema: Schema): fc.Arbitrary<unknown> {
  const props = Object.entries(schema.properties ?? {});
  const base = Object.fromEntries(props.map(([k, s]) => [k, plausible(doc, s)]));
  if (!props.length) return fc.jsonValue({ maxDepth: 3 });
  const fields: [string[], Schema][] = [];
  for (const [k, s] of props) {
    fields.push([[k], s]);
    for (const [k2, s2] of Object.entries(resolve(doc, s).properties ?? {})) fields.push([[k, k2], s2]);
  }
  return fc.oneof(
    fc.constantFrom(...fields).chain(([path, s]) =>
      wrongFor(typeOf(doc, s)).map((v) => {
        const out: Record<string, unknown> = structuredClone(base);
        if (path.length === 1) out[path[0]!] = v;
        else out[path[0]!] = { ...(typeof out[path[0]!] === "object" && out[path[0]!] ? (out[path[0]!] as object) : {}), [path[1]!]: v };
        return out;
      }),
    ),
    fc.subarray(props.map(([k]) => k)).map((keep) => Object.fromEntries(keep.map((k) => [k, base[k]]))),
  );
}

const enc = new TextEncoder();
/** Edge numbers as raw JSON text (several are not valid JSON on purpose). */
const EDGE_NUMBERS = ["1e309", "-1e309", "-0", "9007199254740993", "NaN", "Infinity", "-Infinity", "1e-400", "0x10", "01", "1.", ".5", "1e99999999999"];

/** A raw body (string or bytes) aimed at the JSON parser, built around the route's own field names. */
export function hostileRaw(fieldNames: string[]): fc.Arbitrary<string | Uint8Array> {
  const field = fieldNames.length ? fc.constantFrom(...fieldNames) : fc.constant("name");
  return fc.oneof(
    fc.constantFrom(10_000, 20_000).map((n) => "[".repeat(n) + "]".repeat(n)),
    fc.tuple(field, fc.constantFrom(10_000, 12_000)).map(([f, n]) => `{"${f}":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`),
    fc.tuple(field, fc.integer({ min: 100_000, max: 300_000 })).map(([f, n]) => `{"${f}":"${"x".repeat(n)}"}`),
    fc.tuple(field, fc.constantFrom([0xff], [0xfe, 0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0x80])).map(
      ([f, bad]) => new Uint8Array([...enc.encode(`{"${f}":"`), ...bad, ...enc.encode('"}')]),
    ),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => new Uint8Array([0xff, 0xfe, ...b])),
    fc.tuple(field, fc.jsonValue({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 })).map(([f, a, b]) => `{"${f}":${JSON.stringify(a)},"${f}":${JSON.stringify(b)}}`),
    fc.tuple(field, fc.constantFrom(...EDGE_NUMBERS)).map(([f, n]) => `{"${f}":${n}}`),
    fc.constantFrom(...EDGE_NUMBERS),
    fc.constantFrom('{"name":', "{", "[1,2", "nul", '{"a":1}}', "\u0000", '{"name": "\\ud800"}', '"\\u0000"', "", " ", "null", "[]", "{}", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  );
}

/** Hostile path ids, already in URL form: non-ASCII, control characters, NUL, percent-encoded bytes, 10 KB. */
export const NASTY_IDS = [
  "%00", "a%00b", "%ff", "%FF%FE", "%2f", "..%2f..%2fetc", "%C3%A9t%C3%A9", encodeURIComponent("é中😀"), "%E2%80%A8", "%0D%0AX-Injected:%201",
  "%01%02%1b", "%25", "%", "%zz", "%c0%af", "%ed%a0%80", "x".repeat(10_240), "%00".repeat(3000), "null", "-1", "0", "1e309", "undefined", "__proto__", "constructor",
];
export const nastyId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_IDS),
  fc.string({ unit: "binary", maxLength: 40 }).map(encodeURIComponent),
  fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, "0")}`).join("")),
);

/** A query string over the route's own parameter names (wrong types, repeats, hostile bytes) plus unknown ones. */
export function hostileQuery(names: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(nastyId, fc.constantFrom("-1", "0", "201", "1e309", "abc", "", "true", "[]", "{}", "2026-13-45T99:99:99Z", "NaN"));
  const name = fc.oneof(...(names.length ? [fc.constantFrom(...names)] : []), fc.constantFrom("x", "%00", "limit[]", "__proto__"));
  return fc.array(fc.tuple(name, value), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&"));
}
