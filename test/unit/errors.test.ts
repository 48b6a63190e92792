import { describe, expect, it } from "vitest";
import { AppError, conflict, forbidden, invalid, notFound, unauthorized } from "../../src/core/errors";

describe("AppError items always carry input and ctx (18)", () => {
  it.each([
    ["notFound", notFound("action", ["path", "action_id"])],
    ["notFound with its input", notFound("action", ["path", "action_id"], "abc")],
    ["invalid without input", invalid(["body", "x"], "bad")],
    ["invalid with input", invalid(["body", "x"], "bad", 3, { max: 2 })],
    ["forbidden", forbidden()],
    ["unauthorized", unauthorized()],
    ["conflict", conflict("busy")],
    ["default items", new AppError("unavailable", "down")],
    ["hand-built items", new AppError("validation_error", "m", [{ loc: ["body"], msg: "m", type: "json_invalid" }])],
  ])("%s", (_, err) => {
    for (const item of err.items) {
      expect(item).toHaveProperty("input");
      expect(item.input).not.toBeUndefined();
      expect(item.ctx).toBeTypeOf("object");
      expect(item.ctx).not.toBeNull();
    }
  });

  it("keeps a given input and ctx", () => {
    expect(invalid(["body", "x"], "bad", 3, { max: 2 }).items[0]).toMatchObject({ input: 3, ctx: { max: 2 } });
    expect(notFound("action", ["path", "action_id"], "abc").items[0]).toMatchObject({ input: "abc", ctx: {} });
    expect(invalid(["body", "x"], "bad").items[0]).toMatchObject({ input: null, ctx: {} });
  });
});
