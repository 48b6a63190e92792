import { z } from "@hono/zod-openapi";

/** FastAPI-style error body, used by every REST response that is not 2xx. */
export const ErrorItem = z
  .object({
    loc: z.array(z.union([z.string(), z.number()])),
    msg: z.string(),
    type: z.string(),
    input: z.unknown().openapi({ description: "The offending value, or null" }),
    ctx: z.record(z.string(), z.unknown()).openapi({ description: "Extra facts about the problem (possibly {})" }),
  })
  .openapi("ErrorItem");
export const ErrorOut = z.object({ detail: z.array(ErrorItem) }).openapi("HTTPValidationError");

/** Standard error responses for `createRoute({ responses })`. */
export const errorResponses = {
  401: { description: "Missing or invalid bearer token", content: { "application/json": { schema: ErrorOut } } },
  403: { description: "Role does not allow this", content: { "application/json": { schema: ErrorOut } } },
  404: { description: "Not found (also for other tenants' ids)", content: { "application/json": { schema: ErrorOut } } },
  422: { description: "Validation error", content: { "application/json": { schema: ErrorOut } } },
} as const;

/** `limit` (1–200, default 50) and `cursor`, as in the actions document. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "Maximum number of items to return (1-200)" }),
  cursor: z.string().optional().openapi({ description: "Cursor for pagination (from previous response's next_cursor)" }),
});

/** `{total, has_more, next_cursor, <key>: [...]}` — the list envelope of the actions document. */
export function listOf<K extends string, T extends z.ZodTypeAny>(key: K, item: T) {
  return z.object({
    total: z.number().int(),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
    ...({ [key]: z.array(item) } as { [P in K]: z.ZodArray<T> }),
  });
}

/** JSON request body spec for `createRoute`. */
export const jsonBody = <T extends z.ZodTypeAny>(schema: T, description?: string) => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

/** JSON 200/201 response spec for `createRoute`. */
export const jsonOk = <T extends z.ZodTypeAny>(schema: T, description = "Successful Response") => ({
  description,
  content: { "application/json": { schema } },
});
