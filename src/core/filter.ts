/**
 * Event filters (Hookdeck-style), pure. A filter is a JSON object matched against
 * `{ body, headers, type }` of an event:
 * - a plain value matches by deep equality (a scalar also matches an array that contains it);
 * - an array matches an array input that contains every listed element;
 * - an object descends: each non-`$` key is a path (dots allowed: `"user.id"`), each `$` key
 *   is an operator applied to the value at the current path;
 * - operators: `$eq` `$neq` `$in` `$nin` `$gt` `$gte` `$lt` `$lte` `$exist` `$startsWith`
 *   `$endsWith` `$contains` `$or` `$and` `$not`.
 * All keys of one object must match (implicit AND).
 */

export type FilterProblem = { path: (string | number)[]; msg: string };

const OPERATORS = new Set(["$eq", "$neq", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exist", "$startsWith", "$endsWith", "$contains", "$or", "$and", "$not"]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep structural equality of JSON values (key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Reads a dotted path (`"a.b.0"`) from a JSON value; undefined when any step is missing. */
function at(value: unknown, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(isObject(value) ? value : {}, key)) return (value as Record<string, unknown>)[key];
  let cur: unknown = value;
  for (const part of key.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, part)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

function compare(value: unknown, operand: unknown, test: (c: number) => boolean): boolean {
  if (typeof value === "number" && typeof operand === "number") return test(value - operand);
  if (typeof value === "string" && typeof operand === "string") return test(value < operand ? -1 : value > operand ? 1 : 0);
  return false;
}

function contains(value: unknown, operand: unknown): boolean {
  if (typeof value === "string" && typeof operand === "string") return value.includes(operand);
  if (Array.isArray(value)) return value.some((v) => deepEqual(v, operand));
  return false;
}

function inList(value: unknown, list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  if (Array.isArray(value)) return value.some((v) => list.some((x) => deepEqual(v, x)));
  return list.some((x) => deepEqual(value, x));
}

function applyOperator(op: string, operand: unknown, value: unknown): boolean {
  switch (op) {
    case "$eq": return deepEqual(value, operand);
    case "$neq": return !deepEqual(value, operand);
    case "$in": return inList(value, operand);
    case "$nin": return !inList(value, operand);
    case "$gt": return compare(value, operand, (c) => c > 0);
    case "$gte": return compare(value, operand, (c) => c >= 0);
    case "$lt": return compare(value, operand, (c) => c < 0);
    case "$lte": return compare(value, operand, (c) => c <= 0);
    case "$exist": return (value !== undefined && value !== null) === operand;
    case "$startsWith": return typeof value === "string" && typeof operand === "string" && value.startsWith(operand);
    case "$endsWith": return typeof value === "string" && typeof operand === "string" && value.endsWith(operand);
    case "$contains": return contains(value, operand);
    case "$or": return Array.isArray(operand) && operand.some((f) => matchesFilter(f, value));
    case "$and": return Array.isArray(operand) && operand.every((f) => matchesFilter(f, value));
    case "$not": return !matchesFilter(operand, value);
    default: return false;
  }
}

/**
 * True when `value` satisfies `filter`. Null/undefined filter matches everything. Never
 * throws; an operand of the wrong type simply does not match (use `filterProblem` to reject
 * such filters up front).
 */
export function matchesFilter(filter: unknown, value: unknown): boolean {
  if (filter === undefined || filter === null) return filter === null ? value === null || value === undefined : true;
  if (Array.isArray(filter)) {
    if (!Array.isArray(value)) return false;
    return filter.every((f) => value.some((v) => (isObject(f) ? matchesFilter(f, v) : deepEqual(f, v))));
  }
  if (!isObject(filter)) {
    if (Array.isArray(value)) return value.some((v) => deepEqual(v, filter));
    return deepEqual(value, filter);
  }
  return Object.entries(filter).every(([k, f]) => (k.startsWith("$") ? applyOperator(k, f, value) : matchesFilter(f, at(value, k))));
}

/** Top-level entry used by routing: null/undefined/`{}` filters accept every event. */
export function eventMatches(filter: unknown, input: { body: unknown; headers: Record<string, string>; type: string | null }): boolean {
  if (filter === undefined || filter === null) return true;
  return matchesFilter(filter, input);
}

/**
 * Why `filter` is not a valid filter, or null. Checks operator names and operand types so a
 * typo (`$gte` vs `$ge`) is a 422 at create time rather than a silently dead action.
 */
export function filterProblem(filter: unknown, path: (string | number)[] = []): FilterProblem | null {
  if (path.length === 0 && !isObject(filter)) return { path, msg: "filter must be a JSON object, e.g. {\"body\": {\"type\": \"order.created\"}}" };
  if (Array.isArray(filter)) {
    for (let i = 0; i < filter.length; i++) {
      const p = filterProblem(filter[i], [...path, i]);
      if (p) return p;
    }
    return null;
  }
  if (!isObject(filter)) return null;
  for (const [k, v] of Object.entries(filter)) {
    const here = [...path, k];
    if (!k.startsWith("$")) {
      const p = filterProblem(v, here);
      if (p) return p;
      continue;
    }
    if (!OPERATORS.has(k)) return { path: here, msg: `unknown filter operator '${k}'; use one of ${[...OPERATORS].join(", ")}` };
    const p = operandProblem(k, v, here);
    if (p) return p;
  }
  return null;
}

function operandProblem(op: string, v: unknown, path: (string | number)[]): FilterProblem | null {
  const bad = (what: string): FilterProblem => ({ path, msg: `${op} expects ${what}` });
  switch (op) {
    case "$in":
    case "$nin":
      return Array.isArray(v) ? null : bad("an array of values");
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return typeof v === "number" || typeof v === "string" ? null : bad("a number or a string");
    case "$exist":
      return typeof v === "boolean" ? null : bad("true or false");
    case "$startsWith":
    case "$endsWith":
      return typeof v === "string" ? null : bad("a string");
    case "$or":
    case "$and": {
      if (!Array.isArray(v) || v.length === 0) return bad("a non-empty array of filters");
      for (let i = 0; i < v.length; i++) {
        if (!isObject(v[i])) return { path: [...path, i], msg: `${op} items must be filter objects` };
        const p = filterProblem(v[i], [...path, i]);
        if (p) return p;
      }
      return null;
    }
    case "$not":
      return isObject(v) ? filterProblem(v, path) : bad("a filter object");
    default:
      return filterProblem(v, path);
  }
}
