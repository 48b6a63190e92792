import { describe, expect, it } from "vitest";
import { MAX_DELAY_SECONDS, retryDelaySeconds } from "../../src/core/retry";

describe("retryDelaySeconds", () => {
  it("doubles from the base per attempt", () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelaySeconds(60, a))).toEqual([60, 120, 240, 480, 960]);
  });
  it("is capped at the Queues 12 h delay ceiling", () => {
    expect(retryDelaySeconds(3600, 10)).toBe(MAX_DELAY_SECONDS);
    expect(retryDelaySeconds(60, 1000)).toBe(MAX_DELAY_SECONDS);
  });
  it("treats a zero base as immediate and clamps odd input", () => {
    expect(retryDelaySeconds(0, 3)).toBe(0);
    expect(retryDelaySeconds(-5, 2)).toBe(0);
    expect(retryDelaySeconds(10, 0)).toBe(10);
    expect(retryDelaySeconds(10.9, 2.7)).toBe(20);
  });
});
