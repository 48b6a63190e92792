import { decryptSecret, encryptSecret } from "../core/crypto";
import { notFound } from "../core/errors";
import type { Db } from "../db/client";
import { connections } from "../db/schema";
import { inOrg } from "../db/scope";
import { eq } from "drizzle-orm";

export type Secrets = Record<string, unknown>;

/** Seals a connection's secrets object with ENCRYPTION_KEY (AES-GCM). */
export const sealSecrets = (key: string, secrets: Secrets): Promise<string> => encryptSecret(key, JSON.stringify(secrets));

/** Opens sealed secrets; throws if the key is wrong or the ciphertext was altered. */
export const openSecrets = async (key: string, sealed: string): Promise<Secrets> => JSON.parse(await decryptSecret(key, sealed)) as Secrets;

/**
 * Loads and decrypts the secrets of a connection in `orgId`. 404 if it is not in that org.
 * Callers must never echo the result in a response, a log line or an event.
 */
export async function loadConnectionSecrets(db: Db, encryptionKey: string, orgId: string, connectionId: string): Promise<{ providerId: string; secrets: Secrets }> {
  const row = (await db.select().from(connections).where(inOrg(connections, orgId, eq(connections.connectionId, connectionId))).limit(1))[0];
  if (!row) throw notFound("connection");
  return { providerId: row.providerId, secrets: await openSecrets(encryptionKey, row.secretsEnc) };
}
