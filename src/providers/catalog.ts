import { SAMPLES } from "./samples";
import type { CatalogTrigger, TriggerType } from "./types";

/** Provider ids, fixed by the spec ("Names that scripts depend on"). */
export const PROVIDER_IDS = ["github", "stripe", "slack", "shopify", "typeform", "microsoft_graph", "standard_webhooks", "webhook", "http", "rss", "schedule"] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

interface Def {
  type: TriggerType;
  id: string;
  name: string;
  description: string;
  instructions: string;
  /** Specific triggers accept only this event type; catch-alls (undefined) accept all. */
  eventType?: string;
  tags?: string[];
}

interface Provider {
  icon: string;
  verification: boolean;
  defs: Def[];
}

const URL_HINT = "Use the webhook_url in this trigger's webhook_data (POST /v1/webhooks/<project_trigger_id>) as the destination";
const SECRET_HINT = "and attach a connection of this provider whose secrets.signing_secret holds";
const anyEvent = (label: string, how: string): Def => ({
  type: "webhook",
  id: "on_any_event",
  name: `Any ${label} event`,
  description: `Fires on every verified ${label} webhook delivery.`,
  instructions: how,
});
const only = (id: string, name: string, eventType: string, provider: string): Def => ({
  type: "webhook",
  id,
  name,
  description: `Fires on ${provider} '${eventType}' events; other event types are acknowledged and stored as 'unmatched'.`,
  instructions: `Same set-up as on_any_event; subscribe the ${provider} webhook to '${eventType}' to avoid unmatched deliveries.`,
  eventType,
});

const CATALOG: Record<ProviderId, Provider> = {
  github: {
    icon: "github",
    verification: false,
    defs: [
      anyEvent("GitHub", `${URL_HINT} of a GitHub webhook (content type application/json), set a secret on it ${SECRET_HINT} that secret.`),
      only("on_push", "Push", "push", "GitHub"),
      only("on_pull_request", "Pull request", "pull_request", "GitHub"),
    ],
  },
  stripe: {
    icon: "stripe",
    verification: false,
    defs: [
      anyEvent("Stripe", `${URL_HINT} of a Stripe webhook endpoint ${SECRET_HINT} the endpoint's whsec_ signing secret.`),
      only("on_payment_intent_succeeded", "Payment intent succeeded", "payment_intent.succeeded", "Stripe"),
      only("on_customer_created", "Customer created", "customer.created", "Stripe"),
    ],
  },
  slack: {
    icon: "slack",
    verification: true,
    defs: [
      anyEvent("Slack", `${URL_HINT} of your Slack app's Event Subscriptions (or slash command / interactivity Request URL) ${SECRET_HINT} the app's Signing Secret. Enable the trigger before Slack sends its url_verification challenge.`),
      only("on_message", "Message", "message", "Slack"),
      only("on_app_mention", "App mention", "app_mention", "Slack"),
    ],
  },
  shopify: {
    icon: "shopify",
    verification: false,
    defs: [
      anyEvent("Shopify", `${URL_HINT} of a Shopify webhook subscription ${SECRET_HINT} the app's client secret.`),
      only("on_order_created", "Order created", "orders/create", "Shopify"),
    ],
  },
  typeform: {
    icon: "typeform",
    verification: false,
    defs: [
      anyEvent("Typeform", `${URL_HINT} of a Typeform webhook, set a secret on it ${SECRET_HINT} that secret.`),
      only("on_form_response", "Form response", "form_response", "Typeform"),
    ],
  },
  microsoft_graph: {
    icon: "microsoft",
    verification: true,
    defs: [
      anyEvent("Microsoft Graph", `${URL_HINT} as the notificationUrl of a Graph subscription and attach a connection whose secrets.client_state equals the subscription's clientState. The validationToken handshake is answered automatically.`),
    ],
  },
  standard_webhooks: {
    icon: "webhook",
    verification: false,
    defs: [anyEvent("Standard Webhooks / Svix", `${URL_HINT} of any Standard Webhooks or Svix sender ${SECRET_HINT} the whsec_ key.`)],
  },
  webhook: {
    icon: "webhook",
    verification: false,
    defs: [
      anyEvent(
        "generic",
        `${URL_HINT}. Without a connection the unguessable URL is the only secret. With a connection whose secrets.signing_secret is set, deliveries must carry an HMAC of the body; configure trigger_config {signature_header (default X-Signature), algorithm sha1|sha256|sha512 (default sha256), encoding hex|base64 (default hex), prefix (e.g. "sha256=")}.`,
      ),
    ],
  },
  http: {
    icon: "globe",
    verification: false,
    defs: [
      {
        type: "polling",
        id: "poll",
        name: "Poll a JSON HTTP endpoint",
        description: "Polls a JSON URL and emits one event per new item.",
        instructions: "trigger_config: {url, items_path (dot path to the array, empty for a top-level array), id_field (default 'id'), polling_frequency (seconds, >= 60)}. Credentials come from the connection.",
      },
    ],
  },
  rss: {
    icon: "rss",
    verification: false,
    defs: [
      {
        type: "polling",
        id: "poll",
        name: "Poll an RSS/Atom feed",
        description: "Polls a feed and emits one event per new entry.",
        instructions: "trigger_config: {url, polling_frequency (seconds, >= 60)}.",
      },
    ],
  },
  schedule: {
    icon: "clock",
    verification: false,
    defs: [
      {
        type: "scheduled",
        id: "cron",
        name: "Cron schedule",
        description: "Emits one event at every tick of a 5-field cron expression in an IANA time zone.",
        instructions: "trigger_config: {cron (e.g. '0 9 * * 1-5'), timezone (IANA, default 'UTC')}. DST-correct; a missed tick fires once.",
      },
    ],
  },
};

/** True when `id` is one of the catalog's provider ids. */
export const isProviderId = (id: string): id is ProviderId => (PROVIDER_IDS as readonly string[]).includes(id);

function toEntry(providerId: ProviderId, d: Def): CatalogTrigger {
  const p = CATALOG[providerId];
  return {
    trigger_type: d.type,
    provider_id: providerId,
    trigger_id: d.id,
    trigger_name: d.name,
    description: d.description,
    instructions: d.instructions,
    icon: p.icon,
    tags: d.tags ?? [d.type, ...(d.eventType ? [d.eventType] : [])],
    version: "1.0.0",
    webhook_requires_verification: p.verification,
    can_get_test_samples: (SAMPLES[`${providerId}/${d.id}`]?.length ?? 0) > 0,
  };
}

/** Every trigger of a provider, or null for an unknown provider. */
export function listProviderTriggers(providerId: string): CatalogTrigger[] | null {
  if (!isProviderId(providerId)) return null;
  return CATALOG[providerId].defs.map((d) => toEntry(providerId, d));
}

/** One catalog trigger, or null when the provider or trigger is unknown. */
export function getProviderTrigger(providerId: string, triggerId: string): CatalogTrigger | null {
  if (!isProviderId(providerId)) return null;
  const d = CATALOG[providerId].defs.find((x) => x.id === triggerId);
  return d ? toEntry(providerId, d) : null;
}

/** The event type a specific trigger accepts, or null for catch-all triggers. */
export function triggerEventFilter(providerId: string, triggerId: string): string | null {
  if (!isProviderId(providerId)) return null;
  return CATALOG[providerId].defs.find((x) => x.id === triggerId)?.eventType ?? null;
}

/** The test samples of a catalog trigger (empty when it has none). */
export function triggerSamples(providerId: string, triggerId: string): Record<string, unknown>[] {
  return SAMPLES[`${providerId}/${triggerId}`] ?? [];
}
