import { text } from "drizzle-orm/sqlite-core";

/** ISO-8601 UTC timestamp stored as TEXT; lexical order equals time order. */
export const ts = (name: string) => text(name);

/** Columns every tenant-owned row carries: the owning org and the audit timestamps. */
export const stamps = {
  createdAt: ts("created_at").notNull(),
  updatedAt: ts("updated_at").notNull(),
};
