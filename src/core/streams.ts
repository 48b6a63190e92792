/**
 * Reads a body stream into bytes, but never more than `max`: returns null as soon as the
 * bytes received exceed it (the stream is cancelled, nothing more is read), or at once when
 * `declaredLength` (a Content-Length) already says more. Counts bytes, not characters.
 * Used wherever untrusted input is read whole: webhook bodies, the token endpoint, poll answers.
 */
export async function readUpTo(body: ReadableStream<Uint8Array> | null, max: number, declaredLength?: string | null): Promise<Uint8Array | null> {
  const declared = declaredLength && /^\d+$/.test(declaredLength) ? Number(declaredLength) : NaN;
  if (declared > max) {
    await body?.cancel().catch(() => undefined);
    return null;
  }
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) (out.set(c, at), (at += c.byteLength));
  return out;
}
