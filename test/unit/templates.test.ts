import { describe, expect, it } from "vitest";
import { renderString, renderValue, TemplateError, templateProblem, type TemplateContext } from "../../src/core/templates";

const ctx = (over: Partial<TemplateContext> = {}): TemplateContext => ({
  event: { id: "evt_1", type: "order.created", body: { amount: 42, items: [{ sku: "a" }], customer: { name: "Ann" } }, headers: { "x-id": "h1" } },
  inputs: { reason: "test" },
  manualInputs: { reason: "test" },
  env: { REGION: "eu" },
  target: { id: "t1", kind: "ticket" },
  trigger: { id: "trg_1", provider_id: "github" },
  action: { id: "act_1", name: "notify" },
  run: { id: "run_1", attempt: 2 },
  ...over,
});

describe("templates", () => {
  it("renders every context name", async () => {
    const out = await renderString(
      "{{ event.type }}/{{ event.id }}/{{ event.headers['x-id'] }}/{{ inputs.reason }}/{{ manualInputs.reason }}/{{ env.REGION }}/{{ target.kind }}/{{ trigger.provider_id }}/{{ action.name }}/{{ run.attempt }}",
      ctx(),
    );
    expect(out).toBe("order.created/evt_1/h1/test/test/eu/ticket/github/notify/2");
  });

  it("a lone expression yields its JSON value; mixed text yields a string", async () => {
    const out = await renderValue(
      { amount: "{{ event.body.amount }}", plus: "{{ event.body.amount | plus: 1 }}", customer: "{{ event.body.customer }}", items: " {{ event.body.items }} ", missing: "{{ nope.nothing }}", text: "total: {{ event.body.amount }}", n: 5, list: ["{{ env.REGION }}"] },
      ctx(),
    );
    expect(out).toEqual({ amount: 42, plus: 43, customer: { name: "Ann" }, items: [{ sku: "a" }], missing: null, text: "total: 42", n: 5, list: ["eu"] });
  });

  it("user is absent for API tokens and present for a person", async () => {
    expect(await renderString("{% if user %}by {{ user.email }}{% else %}by a token{% endif %}", ctx())).toBe("by a token");
    expect(await renderString("{% if user %}by {{ user.email }}{% endif %}", ctx({ user: { id: "u1", email: "ann@example.com", name: "Ann" } }))).toBe("by ann@example.com");
  });

  it("unknown filters are errors with the template's path", async () => {
    await expect(renderValue({ a: { b: "{{ event.type | shout }}" } }, ctx())).rejects.toBeInstanceOf(TemplateError);
    await expect(renderValue({ a: { b: "{{ event.type | shout }}" } }, ctx())).rejects.toMatchObject({ path: ["a", "b"] });
    expect(templateProblem({ x: ["ok", "{% if %}"] })).toMatchObject({ path: ["x", 1] });
    expect(templateProblem({ x: "{{ event.type | upcase }}" })).toBeNull();
  });

  it("has no file system: include finds nothing", async () => {
    await expect(renderString("{% include 'secrets' %}", ctx())).rejects.toBeInstanceOf(TemplateError);
  });
});
