import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";

export type Db = DrizzleD1Database;

/** A drizzle handle over the D1 binding. Cheap: no connection is opened. */
export const getDb = (d1: D1Database): Db => drizzle(d1);
