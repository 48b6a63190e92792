/**
 * UUIDv7: time-ordered ids, so `ORDER BY id` is creation order and an id is a stable
 * pagination cursor. Guarantees: RFC 9562 layout, unique per call (74 random bits).
 */
export function uuidv7(now = Date.now()): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The id of the event a delivery to `triggerId` with dedupe key `dedupKey` becomes: a UUID
 * (RFC 9562 version 8) made of the first 122 bits of SHA-256(trigger id, NUL, dedupe key).
 * Guarantees: the same inputs always give the same id (a replayed delivery is answered with
 * the original's id without reading storage); its version nibble (8) never equals UUIDv7's,
 * so it never collides with an id from `uuidv7`. It carries no time: order events by
 * `received_at`, not by id.
 */
export async function eventIdFor(triggerId: string, dedupKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${triggerId.toLowerCase()}\u0000${dedupKey}`)));
  const b = digest.slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Current time as an ISO-8601 UTC string (the format every timestamp column uses). */
export const nowIso = (): string => new Date().toISOString();

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
