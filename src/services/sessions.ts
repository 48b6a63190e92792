import { eq, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { endedSessions } from "../db/schema";

/**
 * Records that the console session `sessionId` (valid until `expiresAt`, ISO-8601) was
 * signed out, so `isSessionEnded` answers true for it from now on, and prunes records of
 * sessions that have expired anyway. Idempotent. Sessions are not org data: the id is a
 * random 128-bit value that only the session's own (encrypted) cookie carries.
 */
export async function endSessionId(db: Db, sessionId: string, expiresAt: string): Promise<void> {
  await db.batch([
    db.insert(endedSessions).values({ sessionId, expiresAt }).onConflictDoNothing(),
    db.delete(endedSessions).where(lt(endedSessions.expiresAt, new Date().toISOString())),
  ]);
}

/** True when the session was signed out (one primary-key lookup). */
export async function isSessionEnded(db: Db, sessionId: string): Promise<boolean> {
  return (await db.select({ id: endedSessions.sessionId }).from(endedSessions).where(eq(endedSessions.sessionId, sessionId)).limit(1)).length > 0;
}
