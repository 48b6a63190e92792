// Types of client/generate.mjs.
export function openapiText(doc: unknown): string;
export function generateTypes(doc: unknown): Promise<string>;
