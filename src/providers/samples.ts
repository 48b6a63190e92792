/**
 * Realistic sample payloads per webhook provider, shaped like each provider's documented
 * examples (ids shortened). Served by the test-samples endpoint; a catalog trigger
 * `can_get_test_samples` exactly when it has at least one.
 */
type Sample = Record<string, unknown>;

const githubPush: Sample = {
  ref: "refs/heads/main",
  before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  after: "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
  repository: { id: 1296269, name: "Hello-World", full_name: "octocat/Hello-World", private: false },
  pusher: { name: "octocat", email: "octocat@github.com" },
  sender: { login: "octocat", id: 1, type: "User" },
  installation: { id: 2311213 },
  head_commit: { id: "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5", message: "Update README.md", timestamp: "2026-03-02T10:30:09Z" },
};
const githubPullRequest: Sample = {
  action: "opened",
  number: 1347,
  pull_request: { id: 1, number: 1347, state: "open", title: "Amazing new feature", user: { login: "octocat" }, head: { ref: "new-topic" }, base: { ref: "main" } },
  repository: { id: 1296269, full_name: "octocat/Hello-World" },
  sender: { login: "octocat", id: 1 },
  installation: { id: 2311213 },
};
const stripePaymentIntent: Sample = {
  id: "evt_3NfTnS2eZvKYlo2C0m3kX9aB",
  object: "event",
  api_version: "2024-06-20",
  created: 1772447409,
  type: "payment_intent.succeeded",
  livemode: false,
  data: { object: { id: "pi_3NfTnS2eZvKYlo2C0xY1Zq4R", object: "payment_intent", amount: 2000, currency: "usd", status: "succeeded", customer: "cus_NffrFeUfNV2Hib" } },
};
const stripeCustomer: Sample = {
  id: "evt_1NG8Du2eZvKYlo2CUI79vXWy",
  object: "event",
  api_version: "2024-06-20",
  created: 1772447409,
  type: "customer.created",
  livemode: false,
  data: { object: { id: "cus_NffrFeUfNV2Hib", object: "customer", email: "jenny.rosen@example.com", name: "Jenny Rosen" } },
};
const slackMessage: Sample = {
  token: "XXYYZZ",
  team_id: "T061EG9R6",
  api_app_id: "A0PNCHHK2",
  type: "event_callback",
  event_id: "Ev0PV52K25",
  event_time: 1772447409,
  event: { type: "message", channel: "C2147483705", user: "U2147483697", text: "Hello world", ts: "1355517523.000005" },
};
const slackMention: Sample = {
  ...slackMessage,
  event_id: "Ev0PV52K26",
  event: { type: "app_mention", user: "U061F7AUR", text: "<@U0LAN0Z89> is it everything a river should be?", ts: "1515449522.000016", channel: "C0LAN2Q65" },
};
const shopifyOrder: Sample = {
  id: 820982911946154500,
  email: "jon@example.com",
  created_at: "2026-03-02T10:30:09-05:00",
  currency: "USD",
  total_price: "403.00",
  financial_status: "paid",
  line_items: [{ id: 866550311766439000, title: "IPod Nano - 8GB", quantity: 1, price: "199.00" }],
};
const typeformResponse: Sample = {
  event_id: "LtWXD3crgy",
  event_type: "form_response",
  form_response: {
    form_id: "lT4Z3j",
    token: "a3a12ec67a1365927098a606107fac15",
    submitted_at: "2026-03-02T10:30:09Z",
    definition: { id: "lT4Z3j", title: "Webhooks example", fields: [{ id: "DlXFaesGBpoF", type: "short_text", title: "What is your name?" }] },
    answers: [{ type: "text", text: "Laura", field: { id: "DlXFaesGBpoF", type: "short_text" } }],
  },
};
const graphNotification: Sample = {
  value: [
    {
      subscriptionId: "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
      subscriptionExpirationDateTime: "2026-03-05T18:23:45.9356913Z",
      changeType: "created",
      resource: "Users/{user-id}/Messages/{message-id}",
      resourceData: { "@odata.type": "#Microsoft.Graph.Message", id: "AAMkAGUwNjQ4ZjIxAAA=" },
      clientState: "<your client_state>",
      tenantId: "84bd8158-6d4d-4958-8b9f-9d6445542f95",
    },
  ],
};
const standardWebhook: Sample = {
  type: "invoice.paid",
  timestamp: "2026-03-02T10:30:09Z",
  data: { invoice_id: "inv_123", amount: 4200, currency: "EUR" },
};
const genericWebhook: Sample = { type: "order.created", data: { order_id: "ord_123", total: 42.5 } };

/** Samples by `provider_id/trigger_id`. */
export const SAMPLES: Record<string, Sample[]> = {
  "github/on_any_event": [githubPush, githubPullRequest],
  "github/on_push": [githubPush],
  "github/on_pull_request": [githubPullRequest],
  "stripe/on_any_event": [stripePaymentIntent, stripeCustomer],
  "stripe/on_payment_intent_succeeded": [stripePaymentIntent],
  "stripe/on_customer_created": [stripeCustomer],
  "slack/on_any_event": [slackMessage, slackMention],
  "slack/on_message": [slackMessage],
  "slack/on_app_mention": [slackMention],
  "shopify/on_any_event": [shopifyOrder],
  "shopify/on_order_created": [shopifyOrder],
  "typeform/on_any_event": [typeformResponse],
  "typeform/on_form_response": [typeformResponse],
  "microsoft_graph/on_any_event": [graphNotification],
  "standard_webhooks/on_any_event": [standardWebhook],
  "webhook/on_any_event": [genericWebhook],
};
