import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ts } from "./_columns";

/**
 * Console sessions that were signed out before they expired. The session cookie is stateless
 * (encrypted), so signing out records its id here and the console refuses it from then on.
 * A row is useless after `expires_at` (the cookie has expired anyway) and is pruned.
 */
export const endedSessions = sqliteTable(
  "ended_sessions",
  {
    sessionId: text("session_id").primaryKey(),
    expiresAt: ts("expires_at").notNull(),
  },
  (t) => [index("ended_sessions_expiry").on(t.expiresAt)],
);
