import * as z from "zod";
import { cronProblem } from "../core/cron";
import { AppError, invalid, type ErrorItem } from "../core/errors";

const LOC = ["body", "trigger_config"];

/** Seconds; accepts numbers or numeric strings (the seed's example stores "10000"). Default: 300. */
const frequency = z.coerce.number().int().min(60, "polling_frequency is in seconds and must be at least 60").default(300);
const httpUrl = z.url({ protocol: /^https?$/, error: "url must be an absolute http(s) URL" });

const HttpPoll = z.looseObject({
  url: httpUrl,
  /** Dot path to the item array in the JSON response; "" for a top-level array. Default: "". */
  items_path: z.string().default(""),
  /** Field that identifies an item. Default: "id". */
  id_field: z.string().min(1).default("id"),
  polling_frequency: frequency,
});
const RssPoll = z.looseObject({ url: httpUrl, polling_frequency: frequency });
const Cron = z.looseObject({ cron: z.string().min(1), timezone: z.string().min(1).default("UTC") });
const Generic = z.looseObject({
  signature_header: z.string().regex(/^[A-Za-z0-9-]+$/, "signature_header must be an HTTP header name").optional(),
  algorithm: z.enum(["sha1", "sha256", "sha512"]).optional(),
  encoding: z.enum(["hex", "base64"]).optional(),
  prefix: z.string().optional(),
});
const AnyObject = z.record(z.string(), z.unknown());

const SCHEMA: Record<string, z.ZodType<Record<string, unknown>>> = {
  "http/poll": HttpPoll,
  "rss/poll": RssPoll,
  "schedule/cron": Cron,
  "webhook/on_any_event": Generic,
};

/** Triggers that cannot work without a trigger_config. */
const REQUIRED = new Set(["http/poll", "rss/poll", "schedule/cron"]);

/**
 * Validates and normalizes a trigger_config for a catalog trigger, filling documented
 * defaults. Throws a 422 whose `loc` starts with ["body","trigger_config"]. Returns null
 * when no config was given and none is needed.
 */
export function normalizeTriggerConfig(providerId: string, triggerId: string, input: unknown): Record<string, unknown> | null {
  const key = `${providerId}/${triggerId}`;
  if (input === undefined || input === null) {
    if (REQUIRED.has(key)) throw invalid(LOC, `trigger_config is required for ${key}`, input ?? null);
    return null;
  }
  const schema = SCHEMA[key] ?? AnyObject;
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const items: ErrorItem[] = parsed.error.issues.map((i) => ({
      loc: [...LOC, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
      msg: i.message,
      type: i.code,
      input: (i as { input?: unknown }).input ?? null,
    }));
    throw new AppError("validation_error", items[0]?.msg ?? "invalid trigger_config", items);
  }
  const cfg = parsed.data;
  if (key === "schedule/cron") {
    const problem = cronProblem(String(cfg.cron), String(cfg.timezone));
    if (problem) throw invalid([...LOC, problem.startsWith("unknown IANA") ? "timezone" : "cron"], problem, problem.startsWith("unknown IANA") ? cfg.timezone : cfg.cron);
  }
  return cfg;
}
