// Types of client/index.mjs for TypeScript callers (the e2e tests, users' scripts).
import type { Client } from "openapi-fetch";
import type { paths } from "./schema";

export type { paths };
export type SwitchyardClient = Client<paths>;

/** A client for `baseUrl` sending `token` as a bearer token; HTTP errors resolve to `{error, response}`. */
export function createSwitchyardClient(o: { baseUrl: string; token?: string; fetch?: typeof globalThis.fetch; headers?: Record<string, string> }): SwitchyardClient;

/** A person-readable message for a failed call (the API's `detail[].msg` with locations, else the status line). */
export function errorMessage(error: unknown, response: Response | undefined): string;
