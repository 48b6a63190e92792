import type { TriggerState } from "./durable/trigger-state";
import type { Task } from "./queue/messages";

/** Bindings and secrets the Worker runs with (see wrangler.toml and .dev.vars.example). */
export interface Env {
  DB: D1Database;
  TASKS: Queue<Task>;
  DLQ: Queue<Task>;
  TRIGGER_STATE: DurableObjectNamespace<TriggerState>;
  ADMIN_TOKEN: string;
  ENCRYPTION_KEY: string;
  JWT_SECRET: string;
  /** Key material of the console's encrypted session cookie (at least 32 characters). Without it the console answers 503 saying so; the APIs are unaffected. */
  SESSION_SECRET?: string;
  /** Comma-separated outbound allowances: loopback, private, link-local, or "*". Default: none. */
  OUTBOUND_ALLOW?: string;
  /** Largest accepted webhook body in bytes. Default: 1048576. */
  MAX_BODY_BYTES?: string;
  /** Days final events, executions and runs are kept (per-org override: PUT /v1/orgs/{org_id}/retention). Default: 30. */
  EVENT_RETENTION_DAYS?: string;
  /** Days a large event keeps its body; its metadata stays for the full retention. Default: 7. */
  LARGE_BODY_RETENTION_DAYS?: string;
  /** Bytes above which an event body is large. Default: 65536. */
  LARGE_BODY_BYTES?: string;
  /** How an accepted webhook is made durable before the 2xx: "queue" (default), "inbox" (npm start) or "d1" (see services/ingest-handoff.ts). */
  INGEST_MODE?: string;
  /** External identity provider JWKS URL; when set, asymmetric JWTs from it are accepted. */
  JWKS_URL?: string;
  /** Required `iss` of external (JWKS_URL) tokens; empty = not checked. Default: "". */
  JWT_ISSUER?: string;
  /** Required `aud` of external (JWKS_URL) tokens; empty = not checked. Default: "". */
  JWT_AUDIENCE?: string;
}
