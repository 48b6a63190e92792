const enc = new TextEncoder();

/** Concatenates strings (UTF-8) and byte arrays, e.g. `${t}.` + raw body for Stripe. */
export function concatBytes(...parts: (string | Uint8Array)[]): Uint8Array {
  const arrs = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  const out = new Uint8Array(arrs.reduce((n, a) => n + a.byteLength, 0));
  let off = 0;
  for (const a of arrs) {
    out.set(a, off);
    off += a.byteLength;
  }
  return out;
}
