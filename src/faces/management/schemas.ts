/**
 * Request and response schemas of the management face. Request objects ignore unknown
 * fields (zod strips them); `…Patch` schemas are the partial bodies of PUT/PATCH.
 */
import { z } from "@hono/zod-openapi";
import { ROLES } from "../../core/actor";
import { ErrorOut } from "../../http/schemas";

export const Name = z.string().trim().min(1).max(200).openapi({ example: "production" });
export const RoleEnum = z.enum(ROLES as unknown as ["viewer", "runner", "editor", "admin"]).openapi({ description: "viewer < runner < editor < admin" });
const Stamp = z.string().openapi({ example: "2026-01-31T12:00:00.000Z" });
const Id = z.string().min(1).max(100);

/** Path parameters, named as in the actions document. */
export const OrgParams = z.object({ org_id: Id });
export const WorkspaceParams = OrgParams.extend({ workspace_id: Id });
export const AppParams = WorkspaceParams.extend({ app_id: Id });
export const EndpointParams = AppParams.extend({ endpoint_id: Id });

export const NameIn = z.object({ name: Name });
export const NamePatch = z.object({ name: Name.optional() });

export const OrgOut = z.object({ org_id: z.string(), name: z.string(), created_at: Stamp, updated_at: Stamp }).openapi("Org");
export const WorkspaceOut = z
  .object({ workspace_id: z.string(), org_id: z.string(), name: z.string(), created_at: Stamp, updated_at: Stamp })
  .openapi("Workspace");
export const AppOut = z
  .object({ app_id: z.string(), workspace_id: z.string(), org_id: z.string(), name: z.string(), created_at: Stamp, updated_at: Stamp })
  .openapi("App");

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not a valid HTTP header name");
const Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const EndpointFields = {
  name: Name,
  url: z.string().min(1).max(2048).openapi({ example: "https://example.com/hooks/switchyard", description: "http(s) URL; private, loopback, link-local and metadata hosts are refused unless OUTBOUND_ALLOW permits them" }),
  method: z.enum(Methods).openapi({ description: "Default: POST" }),
  headers: z.record(HeaderName, z.string().max(4096)).openapi({ description: "Static headers sent with every delivery. Default: {}" }),
  secret: z.string().min(1).max(500).openapi({ description: 'Signing secret (e.g. whsec_…) for Standard Webhooks signatures. "generate" creates one and returns it once as `secret`. Never returned otherwise.' }),
  timeout_seconds: z.number().int().min(1).max(120).openapi({ description: "Default: 30" }),
  circuit_breaker: z
    .object({
      enabled: z.boolean().optional().openapi({ description: "Default: true" }),
      failure_threshold: z.number().int().min(1).max(1000).optional().openapi({ description: "Consecutive failed attempts that open the circuit. Default: 20" }),
      failing_for_seconds: z.number().int().min(60).max(2_592_000).optional().openapi({ description: "Open also after failing everything this long. Default: 86400 (24 h)" }),
      probe_interval_seconds: z.number().int().min(10).max(3600).optional().openapi({ description: "First wait before probing an open circuit (the minute cron probes, so below 60 s only manual cron runs see a difference); doubles per failed probe, at most 1 h. Default: 60" }),
    })
    .strict()
    .openapi("CircuitBreakerIn", { description: "Partial: absent fields keep their value (or default)" }),
  rate_limit: z
    .object({ count: z.number().int().min(1).max(10_000), period: z.enum(["second", "minute"]) })
    .strict()
    .nullable()
    .openapi("RateLimit", { description: "At most `count` deliveries per `period` (sliding window); the rest wait, never dropped. null: no limit (default)" }),
  max_concurrency: z.number().int().min(1).max(1000).nullable().openapi({ description: "Most deliveries in flight at once; null: no limit (default)" }),
  ordering: z.enum(["none", "fifo"]).openapi({ description: '"fifo": one run per key at a time, in execution order (key: the thread id when the action uses a thread, else the endpoint). Default: "none"' }),
};
const FlowFields = {
  circuit_breaker: EndpointFields.circuit_breaker.optional(),
  rate_limit: EndpointFields.rate_limit.optional(),
  max_concurrency: EndpointFields.max_concurrency.optional(),
  ordering: EndpointFields.ordering.optional(),
};
export const EndpointIn = z
  .object({ ...EndpointFields, method: EndpointFields.method.optional(), headers: EndpointFields.headers.optional(), secret: EndpointFields.secret.optional(), timeout_seconds: EndpointFields.timeout_seconds.optional(), ...FlowFields })
  .openapi("EndpointIn");
export const EndpointPatch = z
  .object({
    name: Name.optional(),
    url: EndpointFields.url.optional(),
    method: EndpointFields.method.optional(),
    headers: EndpointFields.headers.optional(),
    secret: EndpointFields.secret.nullable().optional().openapi({ description: 'New secret, "generate" to rotate (returned once), or null to remove it' }),
    timeout_seconds: EndpointFields.timeout_seconds.optional(),
    ...FlowFields,
  })
  .openapi("EndpointPatch");
export const CircuitOut = z
  .object({
    state: z.enum(["closed", "open", "half_open", "disabled"]).openapi({ description: "closed: delivering; open: runs held, probed on a schedule; half_open: one probe in flight; disabled: by an operator, runs held" }),
    reason: z.string().nullable(),
    changed_at: z.string().nullable(),
    consecutive_failures: z.number().int(),
    failing_since: z.string().nullable().openapi({ description: "First failed attempt since the last success" }),
    next_probe_at: z.string().nullable(),
    last_failure: z.object({ at: z.string(), status: z.number().int().nullable(), error: z.string().nullable() }).nullable(),
  })
  .openapi("Circuit");
export const EndpointOut = z
  .object({
    endpoint_id: z.string(), org_id: z.string(), workspace_id: z.string(), app_id: z.string(), name: z.string(), url: z.string(),
    method: z.string(), headers: z.record(z.string(), z.string()), timeout_seconds: z.number().int(), has_secret: z.boolean(),
    circuit_breaker: z.object({ enabled: z.boolean(), failure_threshold: z.number().int(), failing_for_seconds: z.number().int(), probe_interval_seconds: z.number().int() }).openapi("CircuitBreaker"),
    rate_limit: z.object({ count: z.number().int(), period: z.enum(["second", "minute"]) }).nullable(),
    max_concurrency: z.number().int().nullable(),
    ordering: z.enum(["none", "fifo"]),
    circuit: CircuitOut,
    created_at: Stamp, updated_at: Stamp,
    secret: z.string().optional().openapi({ description: 'Only in the response that generated it ("secret": "generate"); shown once' }),
  })
  .openapi("Endpoint");

export const ApiKeyIn = z.object({ name: Name, role: RoleEnum }).openapi("ApiKeyIn");
export const ApiKeyPatch = z.object({ name: Name.optional(), role: RoleEnum.optional() }).openapi("ApiKeyPatch");
export const ApiKeyOut = z
  .object({ key_id: z.string(), org_id: z.string(), name: z.string(), role: RoleEnum, created_at: Stamp, updated_at: Stamp, revoked_at: z.string().nullable(), last_used_at: z.string().nullable() })
  .openapi("ApiKey");
export const ApiKeyCreated = ApiKeyOut.extend({ token: z.string().openapi({ description: "The bearer token. Shown once; only its hash is stored." }) }).openapi("ApiKeyCreated");

const Email = z.email().max(320);
const Password = z.string().min(8).max(200);
export const UserIn = z.object({ email: Email, name: Name, role: RoleEnum, password: Password }).openapi("UserIn");
export const UserPatch = z.object({ email: Email.optional(), name: Name.optional(), role: RoleEnum.optional(), password: Password.optional() }).openapi("UserPatch");
export const UserOut = z
  .object({ user_id: z.string(), org_id: z.string(), email: z.string(), name: z.string(), role: RoleEnum, created_at: Stamp, updated_at: Stamp })
  .openapi("User");

const ProviderId = z.string().regex(/^[a-z0-9_]{1,64}$/, "provider_id is lower-case letters, digits and _").openapi({ example: "stripe" });
const SecretsObj = z.record(z.string().min(1).max(200), z.unknown()).openapi({ description: "Credentials, e.g. {\"signing_secret\": \"whsec_…\"}. Encrypted at rest; never returned." });
export const ConnectionIn = z.object({ provider_id: ProviderId, name: Name, secrets: SecretsObj }).openapi("ConnectionIn");
export const ConnectionPatch = z.object({ provider_id: ProviderId.optional(), name: Name.optional(), secrets: SecretsObj.optional().openapi({ description: "Replaces the whole secrets object" }) }).openapi("ConnectionPatch");
export const ConnectionOut = z
  .object({ connection_id: z.string(), org_id: z.string(), provider_id: z.string(), name: z.string(), secret_keys: z.array(z.string()), created_at: Stamp, updated_at: Stamp })
  .openapi("Connection");

/** `204 No Content` for deletes. */
export const deleted = { 204: { description: "Deleted" } } as const;

/** `409 Conflict` response spec (unique email, delete of a resource still in use). */
export const conflictResponse = (description: string) => ({ 409: { description, content: { "application/json": { schema: ErrorOut } } } }) as const;
