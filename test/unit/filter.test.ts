import { describe, expect, it } from "vitest";
import { eventMatches, filterProblem, matchesFilter } from "../../src/core/filter";

const event = {
  body: { type: "order.created", amount: 120, currency: "EUR", tags: ["vip", "eu"], customer: { email: "ann@example.com", id: 7 }, note: null },
  headers: { "x-github-event": "push", "content-type": "application/json" },
  type: "order.created",
};

describe("filter matching", () => {
  it.each([
    [{ body: { type: "order.created" } }, true],
    [{ body: { type: "order.updated" } }, false],
    [{ body: { customer: { id: 7 } } }, true],
    [{ "body.customer.email": "ann@example.com" }, true],
    [{ body: { "customer.id": 7 } }, true],
    [{ body: { tags: "vip" } }, true],
    [{ body: { tags: ["eu", "vip"] } }, true],
    [{ body: { tags: ["eu", "us"] } }, false],
    [{ headers: { "x-github-event": "push" }, type: "order.created" }, true],
    [{ body: { amount: { $eq: 120 } } }, true],
    [{ body: { amount: { $neq: 120 } } }, false],
    [{ body: { currency: { $in: ["EUR", "USD"] } } }, true],
    [{ body: { currency: { $nin: ["EUR", "USD"] } } }, false],
    [{ body: { tags: { $in: ["us", "vip"] } } }, true],
    [{ body: { amount: { $gt: 100 } } }, true],
    [{ body: { amount: { $gt: 120 } } }, false],
    [{ body: { amount: { $gte: 120 } } }, true],
    [{ body: { amount: { $lt: 120 } } }, false],
    [{ body: { amount: { $lte: 120, $gte: 100 } } }, true],
    [{ body: { amount: { $gt: "100" } } }, false],
    [{ body: { customer: { email: { $exist: true } } } }, true],
    [{ body: { missing: { $exist: true } } }, false],
    [{ body: { missing: { $exist: false } } }, true],
    [{ body: { note: { $exist: false } } }, true],
    [{ body: { customer: { email: { $startsWith: "ann@" } } } }, true],
    [{ body: { customer: { email: { $endsWith: "@example.org" } } } }, false],
    [{ body: { customer: { email: { $contains: "example" } } } }, true],
    [{ body: { tags: { $contains: "vip" } } }, true],
    [{ $or: [{ body: { currency: "USD" } }, { body: { amount: { $gt: 100 } } }] }, true],
    [{ $or: [{ body: { currency: "USD" } }, { body: { amount: { $gt: 500 } } }] }, false],
    [{ $and: [{ body: { currency: "EUR" } }, { body: { amount: { $gt: 100 } } }] }, true],
    [{ body: { $not: { currency: "EUR" } } }, false],
    [{ body: { currency: { $not: { $eq: "USD" } } } }, true],
    [{ body: { customer: { $eq: { id: 7, email: "ann@example.com" } } } }, true],
    [{ body: { note: null } }, true],
  ])("%j → %s", (filter, expected) => {
    expect(eventMatches(filter, event)).toBe(expected);
  });

  it("accepts everything without a filter", () => {
    expect(eventMatches(null, event)).toBe(true);
    expect(eventMatches({}, event)).toBe(true);
  });

  it("never throws on odd input", () => {
    expect(matchesFilter({ body: { a: { $gt: 1 } } }, "plain text body")).toBe(false);
    expect(matchesFilter({ body: "plain" }, { body: "plain" })).toBe(true);
  });
});

describe("filter validation", () => {
  it("names unknown operators and bad operands with their path", () => {
    expect(filterProblem({ body: { amount: { $gte: 1 } } })).toBeNull();
    expect(filterProblem({ body: { amount: { $ge: 1 } } })).toMatchObject({ path: ["body", "amount", "$ge"] });
    expect(filterProblem({ body: { c: { $in: "EUR" } } })?.msg).toMatch(/\$in expects an array/);
    expect(filterProblem({ $or: [] })?.msg).toMatch(/non-empty array/);
    expect(filterProblem({ $or: [{ a: { $wat: 1 } }] })).toMatchObject({ path: ["$or", 0, "a", "$wat"] });
    expect(filterProblem({ a: { $exist: "yes" } })?.msg).toMatch(/true or false/);
    expect(filterProblem({ $not: { a: { $nope: 1 } } })).toMatchObject({ path: ["$not", "a", "$nope"] });
    expect(filterProblem([1, 2])?.msg).toMatch(/JSON object/);
  });
});
