/**
 * Seeded randomness for race tests: each race is run in shuffled orders, with the seed logged
 * (and settable with RACE_SEED) so a failing order can be replayed.
 */

/** Most rounds a race test runs while waiting for both sides to have won once. */
export const MAX_ROUNDS = 12;

/** A mulberry32 generator in [0, 1), seeded from RACE_SEED or the clock; logs the seed under `label`. */
export function seeded(label: string): () => number {
  const fromEnv = Number((globalThis as { process?: { env?: Record<string, string> } }).process?.env?.RACE_SEED);
  let a = (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : Date.now()) >>> 0;
  console.info(`${label}: RACE_SEED=${a}`);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates shuffle of a copy of `items` driven by `rand`. */
export function shuffle<T>(rand: () => number, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
