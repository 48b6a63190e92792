import { describe, expect, it } from "vitest";
import { cutoffOf, daysVar, DEFAULT_EVENT_RETENTION_DAYS, DEFAULT_LARGE_BODY_BYTES, DEFAULT_LARGE_BODY_RETENTION_DAYS, policyOf } from "../../src/core/retention";

describe("retention policy", () => {
  it("defaults to 30 days, large bodies (> 64 KiB) for 7", () => {
    expect(policyOf({}, null)).toEqual({ days: DEFAULT_EVENT_RETENTION_DAYS, largeBodyDays: DEFAULT_LARGE_BODY_RETENTION_DAYS, largeBodyBytes: DEFAULT_LARGE_BODY_BYTES });
    expect([DEFAULT_EVENT_RETENTION_DAYS, DEFAULT_LARGE_BODY_RETENTION_DAYS, DEFAULT_LARGE_BODY_BYTES]).toEqual([30, 7, 65536]);
  });

  it("takes the env vars, and the org's override before EVENT_RETENTION_DAYS", () => {
    const vars = { EVENT_RETENTION_DAYS: "90", LARGE_BODY_RETENTION_DAYS: "14", LARGE_BODY_BYTES: "1000" };
    expect(policyOf(vars, null)).toEqual({ days: 90, largeBodyDays: 14, largeBodyBytes: 1000 });
    expect(policyOf(vars, 60).days).toBe(60);
    expect(policyOf(vars, 0)).toEqual({ days: 0, largeBodyDays: 0, largeBodyBytes: 1000 });
  });

  it("never keeps a body longer than its event", () => {
    expect(policyOf({ LARGE_BODY_RETENTION_DAYS: "30" }, 3).largeBodyDays).toBe(3);
  });

  it("ignores a var that is not a non-negative integer", () => {
    for (const bad of ["", " ", "-1", "1.5", "ten"]) expect(daysVar(bad, 30)).toBe(30);
    expect(daysVar(undefined, 30)).toBe(30);
    expect(daysVar("0", 30)).toBe(0);
  });

  it("cuts off exactly `days` × 24 h before now", () => {
    expect(cutoffOf(new Date("2026-03-31T12:00:00.000Z"), 30)).toBe("2026-03-01T12:00:00.000Z");
    expect(cutoffOf(new Date("2026-03-31T12:00:00.000Z"), 0)).toBe("2026-03-31T12:00:00.000Z");
  });
});
