/**
 * The explicit mutant list run by scripts/mutation.mjs (`npm run test:mutation`). Each mutant
 * replaces one exact source snippet (`find`, which must occur exactly once in `file`) with
 * `replace`; running `tests` against the mutated source must FAIL. Snippets sit on the
 * compared/checked lines themselves so that refactors around them keep them valid; a refactor
 * that removes a snippet makes the run fail loudly instead of silently retiring the mutant.
 */
const VERIFIERS = ["test/unit/providers/matrix.test.ts"];
const ROUTE_MATRIX = ["test/routes/triggers/providers-matrix.test.ts"];
const POLICY = ["test/unit/outbound-policy.test.ts"];
const TENANCY = ["test/routes/management/connections.test.ts"];

/** @type {{ id: string, file: string, find: string, replace: string, tests: string[] }[]} */
export const MUTANTS = [
  // --- signature comparisons: accept anything ---
  { id: "github-accepts-any", file: "src/providers/github.ts", find: "if (!safeEqual(sig.toLowerCase(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "stripe-accepts-any", file: "src/providers/stripe.ts", find: "let match = false;", replace: "let match = true;", tests: ROUTE_MATRIX },
  { id: "slack-accepts-any", file: "src/providers/slack.ts", find: "if (!safeEqual(sig.toLowerCase(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "shopify-accepts-any", file: "src/providers/shopify.ts", find: "if (!safeEqual(sig.trim(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "typeform-accepts-any", file: "src/providers/typeform.ts", find: "if (!safeEqual(sig.trim(), expected)) {", replace: "if (false) {", tests: VERIFIERS },
  { id: "graph-clientstate-unchecked", file: "src/providers/microsoft-graph.ts", find: "if (!cs || !safeEqual(cs, expected)) {", replace: "if (!cs) {", tests: VERIFIERS },
  {
    id: "standard-webhooks-comparison-removed",
    file: "src/providers/standard-webhooks.ts",
    find: 'if (version === "v1" && sig && safeEqual(sig, expected)) return { ok: true };',
    replace: 'if (version === "v1" && sig) return { ok: true };',
    tests: VERIFIERS,
  },
  { id: "generic-webhook-accepts-any", file: "src/providers/generic-webhook.ts", find: 'if (!safeEqual(cfg.encoding === "hex" ? sig.toLowerCase() : sig, expected)) {', replace: "if (false) {", tests: VERIFIERS },
  { id: "safeEqual-always-true", file: "src/core/crypto.ts", find: "return crypto.subtle.timingSafeEqual(ab, bb);", replace: "return true;", tests: VERIFIERS },
  // --- signature comparisons: not constant-time ---
  { id: "stripe-plain-equality", file: "src/providers/stripe.ts", find: "if (safeEqual(s, expected)) match = true;", replace: "if (s === expected) match = true;", tests: VERIFIERS },
  { id: "github-plain-equality", file: "src/providers/github.ts", find: "if (!safeEqual(sig.toLowerCase(), expected)) {", replace: "if (sig.toLowerCase() !== expected) {", tests: VERIFIERS },
  // --- timestamp windows ---
  { id: "stripe-window-widened", file: "src/providers/stripe.ts", find: "export const STRIPE_TOLERANCE_SECONDS = 300;", replace: "export const STRIPE_TOLERANCE_SECONDS = 3000;", tests: VERIFIERS },
  { id: "slack-window-unchecked", file: "src/providers/slack.ts", find: "if (stale) return { ok: false, reason: stale };", replace: "", tests: VERIFIERS },
  { id: "standard-webhooks-window-unchecked", file: "src/providers/standard-webhooks.ts", find: "if (stale) return { ok: false, reason: stale };", replace: "", tests: VERIFIERS },
  { id: "window-past-only", file: "src/providers/body.ts", find: "const skew = Math.abs(now.getTime() / 1000 - Number(value));", replace: "const skew = now.getTime() / 1000 - Number(value);", tests: VERIFIERS },
  { id: "window-edge-exclusive", file: "src/providers/body.ts", find: "if (skew > windowSeconds) {", replace: "if (skew >= windowSeconds) {", tests: VERIFIERS },
  // --- dedup ---
  { id: "stripe-dedup-key-unstable", file: "src/providers/stripe.ts", find: "dedupKey: id ? `stripe:${id}`", replace: "dedupKey: id ? `stripe:${id}:${crypto.randomUUID()}`", tests: VERIFIERS },
  { id: "github-dedup-key-unstable", file: "src/providers/github.ts", find: "dedupKey: delivery ? `github:${delivery}`", replace: "dedupKey: delivery ? `github:${crypto.randomUUID()}`", tests: VERIFIERS },
  {
    id: "events-on-conflict-target",
    file: "src/services/ingest.ts",
    find: ".onConflictDoNothing({ target: [events.projectTriggerId, events.dedupKey] })",
    replace: ".onConflictDoNothing({ target: [events.eventId] })",
    tests: ROUTE_MATRIX,
  },
  // --- outbound policy ranges ---
  { id: "policy-172-16-12-too-wide", file: "src/core/outbound-policy.ts", find: "(a === 172 && b >= 16 && b <= 31)", replace: "(a === 172 && b >= 16 && b <= 32)", tests: POLICY },
  { id: "policy-cgnat-too-wide", file: "src/core/outbound-policy.ts", find: "a === 100 && b >= 64 && b <= 127", replace: "a === 100 && b >= 63 && b <= 127", tests: POLICY },
  { id: "policy-multicast-edge", file: "src/core/outbound-policy.ts", find: 'if (a >= 224) return "reserved";', replace: 'if (a > 224) return "reserved";', tests: POLICY },
  // --- tenancy and roles ---
  { id: "inOrg-drops-org", file: "src/db/scope.ts", find: "return and(eq(table.orgId, orgId), ...more) as SQL;", replace: "return and(...more) as SQL;", tests: TENANCY },
  { id: "assertRole-allows-all", file: "src/core/actor.ts", find: "if (ROLES.indexOf(actor.role) < ROLES.indexOf(min)) {", replace: "if (false) {", tests: TENANCY },
];
