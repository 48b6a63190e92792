import { describe, expect, it } from "vitest";
import { afterFailure, decide, type Policy } from "../../src/durable/rate-limit";

const P: Policy = { limit: 3, windowSeconds: 60 };
const T0 = 1_000_000_000_000;

describe("failed-attempt window", () => {
  it("allows until `limit` failures fall in one window, then blocks with the seconds left", () => {
    let s = null as ReturnType<typeof afterFailure> | null;
    for (let i = 0; i < 3; i++) {
      expect(decide(s, T0 + i * 1000, P)).toEqual({ allowed: true });
      s = afterFailure(s, T0 + i * 1000, P);
    }
    expect(s).toEqual({ start: T0, failures: 3 });
    expect(decide(s, T0 + 10_000, P)).toEqual({ allowed: false, retryAfterSeconds: 50 });
    expect(decide(s, T0 + 59_001, P)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it("a new window starts once the old one has passed", () => {
    const s = { start: T0, failures: 3 };
    expect(decide(s, T0 + 60_000, P)).toEqual({ allowed: true });
    expect(afterFailure(s, T0 + 60_000, P)).toEqual({ start: T0 + 60_000, failures: 1 });
  });

  it("a clock that went backwards never yields a negative or zero Retry-After", () => {
    const s = { start: T0, failures: 3 };
    const d = decide(s, T0 - 5_000, P);
    expect(d.allowed).toBe(false);
    if (!d.allowed) expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});
