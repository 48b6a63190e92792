/** Prints one benchmark figure as a tagged JSON line that bench/run.mjs collects. */
export function report(name: string, figures: Record<string, unknown>): void {
  console.log(`BENCH ${JSON.stringify({ name, ...figures })}`);
}
