/**
 * Builds the tenant matrix from the served OpenAPI document: every (method, path), a valid
 * body generated from the route's own request schema, and the "slots" where a tenant id goes
 * (path parameters, id fields of the body, id filters of the query). A variant decides which
 * slots get the other tenant's ids; the same variant with fresh UUIDs is the nonexistent-id twin.
 */
import { api } from "../../fixtures";

type Schema = Record<string, any>;

export interface Route {
  method: string;
  template: string;
  /** True when the route documents a request body (of any content type). */
  hasBody: boolean;
  /** The request body schema (application/json), $refs unresolved; null when there is none. */
  body: Schema | null;
  /** Names of query parameters that are tenant ids. */
  queryIds: string[];
}

/** Every (method, path) in /openapi.json, in document order. */
export async function documentedRoutes(): Promise<Route[]> {
  return (await loadRoutes()).routes;
}

/** Every (method, path) in /openapi.json, in document order, with the components to resolve $refs. */
export async function loadRoutes(): Promise<{ routes: Route[]; components: Record<string, Schema> }> {
  const doc = (await api("GET", "/openapi.json")).body as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> }; parameters?: { in: string; name: string }[] }>>;
    components: { schemas: Record<string, Schema> };
  };
  const routes: Route[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const content = op.requestBody?.content;
      const body = content ? (content["application/json"]?.schema ?? null) : null;
      const queryIds = (op.parameters ?? []).filter((p) => p.in === "query" && p.name in TENANT_IDS).map((p) => p.name);
      routes.push({ method: method.toUpperCase(), template, hasBody: Boolean(content), body, queryIds });
    }
  }
  return { routes, components: doc.components.schemas };
}

/** Field / parameter names that hold a tenant's id, and the kind of id they hold. */
export const TENANT_IDS: Record<string, string> = {
  org_id: "org_id", workspace_id: "workspace_id", app_id: "app_id", project_id: "app_id", endpoint_id: "endpoint_id",
  connection_id: "connection_id", user_id: "user_id", key_id: "key_id", project_trigger_id: "project_trigger_id",
  webhook_id: "project_trigger_id", event_id: "event_id", action_id: "action_id", run_id: "run_id",
  pipeline_id: "pipeline_id", fleet_id: "pipeline_id", trigger_ids: "project_trigger_id", job_id: "job_id",
};
/** `*_id` names that are not tenant resources: catalog names and free-form strings. */
const FREE_IDS = new Set(["provider_id", "trigger_id", "namespace_id", "thread_id", "client_id", "actor_id", "target_id"]);
/** Path parameters that are credentials, filled with the caller's own API key. */
const CREDENTIALS = new Set(["api_key"]);
/** Catalog path parameters. */
const CATALOG: Record<string, string> = { provider_id: "github", trigger_id: "on_any_event" };
/** Values a bare schema cannot know (the catalog pair of a trigger, a URL the outbound policy accepts). */
const KNOWN_VALUES: Record<string, unknown> = { provider_id: "github", trigger_id: "on_any_event", url: "https://receiver.example/hook", namespace_id: "ns" };

/** A placeholder for a tenant id in a built body: `{ $slot: index }`. */
export interface SlotRef { $slot: number }
/** Where one tenant id goes and which kind of id it is. `target` slots name the resource the call is about. */
export interface Slot { where: "path" | "body" | "query"; name: string; kind: string; target: boolean }

/** Thrown when a route's schema has a required part the generator cannot fill. */
export class Unfillable extends Error {}

let serial = 0;
/** A valid value for `schema` (required fields only, plus every tenant-id field), with tenant ids as slot refs. */
function generate(schema: Schema, components: Record<string, Schema>, slots: Slot[], name: string, targetNames: Set<string>): unknown {
  if (schema.$ref) return generate(components[String(schema.$ref).split("/").pop()!] ?? {}, components, slots, name, targetNames);
  if (name in TENANT_IDS) {
    const slot = (): SlotRef => (slots.push({ where: "body", name, kind: TENANT_IDS[name]!, target: targetNames.has(name) }), { $slot: slots.length - 1 });
    return name.endsWith("_ids") ? [slot()] : slot();
  }
  if (name in KNOWN_VALUES) return KNOWN_VALUES[name];
  if (/_ids?$/.test(name) && !FREE_IDS.has(name)) throw new Unfillable(`unknown id field '${name}'`);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return generate(variants[0], components, slots, name, targetNames);
  if (Array.isArray(schema.enum)) return schema.enum.find((v: unknown) => v !== null);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  if (schema.example !== undefined && type !== "object" && type !== "array") return schema.example;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const props: Record<string, Schema> = schema.properties ?? {};
      const required = new Set<string>(schema.required ?? []);
      for (const [k, v] of Object.entries(props)) if (required.has(k) || k in TENANT_IDS) out[k] = generate(v, components, slots, k, targetNames);
      for (const k of required) if (!(k in props)) throw new Unfillable(`required '${k}' has no schema`);
      return out;
    }
    case "array": {
      if (!schema.items) throw new Unfillable(`array '${name}' has no items schema`);
      const item = generate(schema.items, components, slots, `${name}[]`, targetNames);
      return (schema.minItems ?? 0) > 0 || JSON.stringify(item).includes("$slot") ? [item] : [];
    }
    case "string": {
      if (schema.format === "email") return `tenant-${++serial}@example.com`;
      if (schema.format === "date-time") return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === "uuid") throw new Unfillable(`uuid field '${name}' is not a known tenant id`);
      if (schema.pattern) throw new Unfillable(`string '${name}' has a pattern and no example`);
      const min = schema.minLength ?? 1;
      return "valid-value".padEnd(min, "x");
    }
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return false;
    default:
      throw new Unfillable(`'${name}' has no type the generator knows (${JSON.stringify(schema).slice(0, 80)})`);
  }
}

/** One request shape of a route: path template, body with slot refs, and its slots. */
export interface Shape {
  label: string;
  method: string;
  template: string;
  body: unknown;
  slots: Slot[];
}

/** Body fields that name the resource the call is about (the parent of a create), not a mere reference. */
const BODY_TARGETS = new Set(["app_id"]);

/**
 * The hand-written bodies of `POST /api/v2/actions`: one per supported (action, type), each
 * naming the target as a slot. The generator cannot know which action needs which settings.
 */
function unifiedShapes(): Shape[] {
  const t = (kind: string): Slot => ({ where: "body", name: "target", kind, target: true });
  const batch = (action: string, type: "task" | "pipeline", extra: Record<string, unknown> = {}): Shape => ({
    label: `${action}.${type}`, method: "POST", template: "/api/v2/actions",
    body: { action, type, version: 1, target: [{ $slot: 0 }], ...extra }, slots: [t(type === "task" ? "action_id" : "pipeline_id")],
  });
  return [
    ...(["status", "run", "stop"] as const).flatMap((a) => [batch(a, "task"), batch(a, "pipeline")]),
    batch("reset", "pipeline"), batch("delete", "pipeline"), batch("approve", "pipeline"), batch("reject", "pipeline", { message: "no" }),
    { label: "update.task", method: "POST", template: "/api/v2/actions", body: { action: "update", type: "task", version: 1, target: { $slot: 0 }, settings: { name: "renamed", endpoint_id: { $slot: 1 } } }, slots: [t("action_id"), { where: "body", name: "endpoint_id", kind: "endpoint_id", target: false }] },
    { label: "update.pipeline", method: "POST", template: "/api/v2/actions", body: { action: "update", type: "pipeline", version: 1, target: { $slot: 0 }, settings: { steps: [{ name: "s", action_id: { $slot: 1 } }] } }, slots: [t("pipeline_id"), { where: "body", name: "action_id", kind: "action_id", target: false }] },
    { label: "create.task", method: "POST", template: "/api/v2/actions", body: { action: "create", type: "task", version: 1, settings: { app_id: { $slot: 0 }, name: "t", namespace_id: "ns", endpoint_id: { $slot: 1 } } }, slots: [{ where: "body", name: "app_id", kind: "app_id", target: true }, { where: "body", name: "endpoint_id", kind: "endpoint_id", target: false }] },
    { label: "create.pipeline", method: "POST", template: "/api/v2/actions", body: { action: "create", type: "pipeline", version: 1, settings: { app_id: { $slot: 0 }, name: "p", steps: [{ name: "s", action_id: { $slot: 1 } }] } }, slots: [{ where: "body", name: "app_id", kind: "app_id", target: true }, { where: "body", name: "action_id", kind: "action_id", target: false }] },
  ];
}

/** The request shapes of a route; throws `Unfillable` when its schema cannot be filled. */
export function shapesOf(route: Route, components: Record<string, Schema>): Shape[] {
  if (route.template === "/api/v2/actions") return unifiedShapes();
  const slots: Slot[] = [];
  const template = route.template.replace(/\{(\w+)\}/g, (m, name: string) => {
    if (name in CATALOG || CREDENTIALS.has(name)) return m;
    const kind = TENANT_IDS[name];
    if (!kind) throw new Unfillable(`path parameter '${name}' is not a known tenant id`);
    slots.push({ where: "path", name, kind, target: true });
    return `{$${slots.length - 1}}`;
  });
  for (const q of route.queryIds) slots.push({ where: "query", name: q, kind: TENANT_IDS[q]!, target: false });
  const body = route.body ? generate(route.body, components, slots, "body", BODY_TARGETS) : undefined;
  return [{ label: "", method: route.method, template, body, slots }];
}

/** Fills a shape: slot i gets `idOf(i)`, the api_key parameter `apiKey`, catalog names their fixed value. */
export function build(shape: Shape, idOf: (i: number) => string, apiKey: string): { path: string; body: unknown } {
  let path = shape.template
    .replace(/\{\$(\d+)\}/g, (_, i: string) => encodeURIComponent(idOf(Number(i))))
    .replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(CREDENTIALS.has(name) ? apiKey : CATALOG[name]!));
  const query = shape.slots.map((s, i) => (s.where === "query" ? `${s.name}=${encodeURIComponent(idOf(i))}` : null)).filter(Boolean);
  if (query.length) path += `?${query.join("&")}`;
  const fill = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === "object") {
      if ("$slot" in v) return idOf((v as SlotRef).$slot);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    }
    return v;
  };
  return { path, body: shape.body === undefined ? undefined : fill(shape.body) };
}

/**
 * The foreign-slot sets to try: every slot foreign (A's org in the path), then each slot
 * alone foreign with the caller's own ids everywhere else (B's org, workspace and app in the
 * path with one of A's ids below them, or one of A's ids in the body or query).
 */
export function variants(shape: Shape): Set<number>[] {
  const n = shape.slots.length;
  if (n === 0) return [new Set()];
  const all = new Set(shape.slots.map((_, i) => i));
  const singles = n > 1 ? shape.slots.map((_, i) => new Set([i])) : [];
  return [all, ...singles];
}

/**
 * Fills `{name}` placeholders with `ids` (by parameter name, then by kind), catalog names and
 * `extra` (e.g. the api_key). Returns null when a parameter cannot be filled.
 */
export function fillPath(template: string, ids: Record<string, string>, extra: Record<string, string> = {}): string | null {
  let missing = false;
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = extra[name] ?? ids[name] ?? ids[TENANT_IDS[name] ?? ""] ?? CATALOG[name];
    if (v === undefined) missing = true;
    return encodeURIComponent(v ?? "");
  });
  return missing ? null : path;
}
