import { createRoute, z, type OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { createUser, deleteUser, getUser, listUsers, updateUser } from "../../services/users";
import { conflictResponse, deleted, OrgParams, UserIn, UserOut, UserPatch } from "./schemas";

const tags = ["Users"];
const base = "/v1/orgs/{org_id}/users";
const path = `${base}/{user_id}`;
const UserParams = OrgParams.extend({ user_id: z.string().min(1).max(100) });
const taken = conflictResponse("Email already in use (emails are unique across orgs)");

const create = createRoute({
  method: "post", path: base, tags, summary: "Create User (admin)",
  description: "The user signs in at `POST /v1/oauth/token` with `grant_type=password`, `username=<email>`. The password is stored only as a PBKDF2 hash and never returned.",
  request: { params: OrgParams, body: jsonBody(UserIn) }, responses: { 201: jsonOk(UserOut, "Created"), ...errorResponses, ...taken },
});
const list = createRoute({ method: "get", path: base, tags, summary: "List Users (admin)", request: { params: OrgParams, query: PageQuery }, responses: { 200: jsonOk(listOf("users", UserOut)), ...errorResponses } });
const get = createRoute({ method: "get", path, tags, summary: "Get User (admin)", request: { params: UserParams }, responses: { 200: jsonOk(UserOut), ...errorResponses } });
const update = (method: "put" | "patch") =>
  createRoute({ method, path, tags, summary: "Update User (admin, partial)", request: { params: UserParams, body: jsonBody(UserPatch) }, responses: { 200: jsonOk(UserOut), ...errorResponses, ...taken } });
const del = createRoute({ method: "delete", path, tags, summary: "Delete User (admin)", request: { params: UserParams }, responses: { ...deleted, ...errorResponses } });

const onUpdate: RouteHandler<ReturnType<typeof update>, AppEnv> = async (c) => {
  const p = c.req.valid("param");
  c.set("audit", { action: "user.update", targetType: "user", targetId: p.user_id });
  return c.json(await updateUser(ctxOf(c), p.org_id, p.user_id, c.req.valid("json")), 200);
};

/** Registers the user routes. */
export function registerUsers(r: OpenAPIHono<AppEnv>): void {
  r.openapi(create, async (c) => {
    c.set("audit", { action: "user.create", targetType: "user" });
    const out = await createUser(ctxOf(c), c.req.valid("param").org_id, c.req.valid("json"));
    c.set("audit", { action: "user.create", targetType: "user", targetId: out.user_id, details: { role: out.role } });
    return c.json(out, 201);
  });
  r.openapi(list, async (c) => {
    const { items, ...page } = await listUsers(ctxOf(c), c.req.valid("param").org_id, c.req.valid("query"));
    return c.json({ ...page, users: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getUser(ctxOf(c), p.org_id, p.user_id), 200);
  });
  r.openapi(update("put"), onUpdate);
  r.openapi(update("patch"), onUpdate);
  r.openapi(del, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "user.delete", targetType: "user", targetId: p.user_id });
    await deleteUser(ctxOf(c), p.org_id, p.user_id);
    return c.body(null, 204);
  });
}
