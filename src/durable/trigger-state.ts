import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * One object per trigger (or per action / pipeline for direct invocations): the single
 * writer of cursor and approval state. D1 stays the queryable record.
 */
export class TriggerState extends DurableObject<Env> {
  /** Liveness probe used by tests and the health check. */
  async ping(): Promise<string> {
    return "pong";
  }
}
