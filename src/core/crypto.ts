/** Cryptographic primitives (Web Crypto only). */
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Standard base64 (with padding) of the bytes. */
export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]!);
  return btoa(s);
}

/** Bytes of a standard base64 string; throws on characters outside the alphabet. */
export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Lower-case hex of the bytes, two digits per byte. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return Array.from(u, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Lower-case hex SHA-256 of a UTF-8 string or of bytes. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data));
}

export type HmacAlg = "SHA-1" | "SHA-256" | "SHA-512";

/** HMAC of `data` under `key` (raw bytes or UTF-8 string). */
export async function hmac(alg: HmacAlg, key: string | Uint8Array, data: string | Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    typeof key === "string" ? enc.encode(key) : key,
    { name: "HMAC", hash: alg },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, typeof data === "string" ? enc.encode(data) : data));
}

/**
 * Constant-time comparison of two strings: the time taken does not depend on where they
 * differ. Different lengths compare unequal (length is not secret for signatures).
 */
export function safeEqual(a: string, b: string): boolean {
  const ab = enc.encode(a);
  const bb = enc.encode(b);
  if (ab.byteLength !== bb.byteLength) return false;
  return crypto.subtle.timingSafeEqual(ab, bb);
}

async function aesKey(keyB64: string): Promise<CryptoKey> {
  const raw = fromBase64(keyB64);
  if (raw.byteLength !== 32) throw new Error("ENCRYPTION_KEY must be 32 bytes, base64-encoded");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** AES-256-GCM encryption; output is `v1.<iv b64>.<ciphertext b64>`. A fresh IV per call. */
export async function encryptSecret(keyB64: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(keyB64), enc.encode(plaintext));
  return `v1.${toBase64(iv)}.${toBase64(ct)}`;
}

/** Inverse of `encryptSecret`; throws if the ciphertext was tampered with or the key differs. */
export async function decryptSecret(keyB64: string, sealed: string): Promise<string> {
  const [v, ivB64, ctB64] = sealed.split(".");
  if (v !== "v1" || !ivB64 || !ctB64) throw new Error("unknown secret format");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(ivB64) }, await aesKey(keyB64), fromBase64(ctB64));
  return dec.decode(pt);
}

/** PBKDF2-SHA256 password hash: `pbkdf2$<iterations>$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string, iterations = 100_000): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const bits = await pbkdf2(password, salt, iterations);
  return `pbkdf2$${iterations}$${toBase64(salt)}$${toBase64(bits)}`;
}

/** Checks a password against `hashPassword` output in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, it, saltB64, hashB64] = stored.split("$");
  if (scheme !== "pbkdf2" || !it || !saltB64 || !hashB64) return false;
  const bits = await pbkdf2(password, fromBase64(saltB64), Number(it));
  return safeEqual(toBase64(bits), hashB64);
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, k, 256));
}
