import { describe, expect, it } from "vitest";
import { cronProblem, nextCronRun } from "../../src/core/cron";
import { computeNextRunAt } from "../../src/services/schedules";

/** Three consecutive fire times after `after`. */
function fires(expr: string, tz: string, after: string, n = 3): string[] {
  const out: string[] = [];
  let d = new Date(after);
  for (let i = 0; i < n; i++) {
    const next = nextCronRun(expr, tz, d)!;
    out.push(next);
    d = new Date(next);
  }
  return out;
}

describe("cron next run across DST", () => {
  it("Europe/Paris spring-forward: 02:30 does not exist on 2026-03-29; the job fires once, right after the gap (03:00 CEST)", () => {
    expect(fires("30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z")).toEqual([
      "2026-03-29T01:00:00.000Z", // 03:00 CEST, the first instant after the skipped hour
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("Europe/Paris fall-back: 02:30 happens twice on 2026-10-25 but fires once", () => {
    expect(fires("30 2 * * *", "Europe/Paris", "2026-10-24T12:00:00Z")).toEqual([
      "2026-10-25T00:30:00.000Z", // 02:30 CEST (first occurrence)
      "2026-10-26T01:30:00.000Z", // 02:30 CET
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  it("America/New_York spring-forward and fall-back", () => {
    expect(fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z")).toEqual([
      "2026-03-08T07:00:00.000Z", // 03:00 EDT, after the gap
      "2026-03-09T06:30:00.000Z",
      "2026-03-10T06:30:00.000Z",
    ]);
    expect(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z")).toEqual([
      "2026-11-01T05:30:00.000Z", // 01:30 EDT, once
      "2026-11-02T06:30:00.000Z", // 01:30 EST
      "2026-11-03T06:30:00.000Z",
    ]);
  });

  it("keeps wall-clock time across the change (09:00 Paris)", () => {
    expect(fires("0 9 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", 2)).toEqual(["2026-03-29T07:00:00.000Z", "2026-03-30T07:00:00.000Z"]);
  });

  it("reports bad expressions and zones", () => {
    expect(cronProblem("0 9 * * *", "Europe/Paris")).toBeNull();
    expect(cronProblem("0 9 * *", "UTC")).toMatch(/5 fields/);
    expect(cronProblem("0 25 * * *", "UTC")).toMatch(/invalid cron/);
    expect(cronProblem("0 9 * * *", "Nowhere/Land")).toMatch(/time zone/);
  });
});

describe("computeNextRunAt", () => {
  const base = { isEnabled: true, scheduleType: "cron", cronExpression: "0 * * * *", timezone: null, scheduledAt: null };
  const now = new Date("2026-05-01T10:15:00Z");
  it("cron defaults to UTC", () => expect(computeNextRunAt(base, now)).toBe("2026-05-01T11:00:00.000Z"));
  it("is null when disabled or unscheduled", () => {
    expect(computeNextRunAt({ ...base, isEnabled: false }, now)).toBeNull();
    expect(computeNextRunAt({ ...base, scheduleType: null }, now)).toBeNull();
  });
  it("once: scheduled_at when in the future, null when past", () => {
    const once = { ...base, scheduleType: "once", cronExpression: null };
    expect(computeNextRunAt({ ...once, scheduledAt: "2026-05-02T00:00:00Z" }, now)).toBe("2026-05-02T00:00:00.000Z");
    expect(computeNextRunAt({ ...once, scheduledAt: "2026-04-30T00:00:00Z" }, now)).toBeNull();
  });
});
