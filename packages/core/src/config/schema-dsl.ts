/**
 * The schema language of the configuration: a handful of node kinds, each of which does two
 * things from one definition, so the two can never disagree:
 *
 * - `check(value, path, ctx)` validates a JSON value and returns it normalised;
 * - `jsonSchema()` describes the node as JSON Schema (draft-07), written to the shipped
 *   `restauth.schema.json` for editors.
 *
 * What it supports, and nothing more:
 *
 * - Kinds: {@link str} (enum, minLength, pattern with a readable hint), {@link url},
 *   {@link num} (integer, min, max), {@link bool}, {@link literal}, {@link arr} (minItems),
 *   {@link obj} (fixed keys), {@link byType} (one shape per JSON type, e.g. a string or an
 *   array of them), {@link tagged} (one shape per value of a tag key: a provider's `preset` or
 *   `type`, a store's `type`; a wrong tag is reported at the tag's own path) and {@link secret}.
 *   Option names follow JSON Schema's keywords (`min`/`max` stand for minimum/maximum).
 * - Properties of an object are {@link required}, {@link optional} or {@link withDefault}; a
 *   missing key with a default gets a copy of it, checked like a written value.
 * - Secrets: a string, or `{"env": "NAME"}` read from `ctx.env`; an issue names the variable,
 *   never a value.
 * - An unknown key is an issue, with "did you mean" the closest known key when one is close.
 * - `refine` (on {@link str}, {@link arr} and {@link obj}) adds a check once the node's own checks
 *   passed: a route pattern, a CIDR, "exactly one key source", unique provider names. A check
 *   across keys sits on the smallest object holding them, so it runs even when another
 *   section has a mistake.
 * - Every issue is collected, not only the first, each with its exact path in the form
 *   `policy.rules[2].groups[0]` (see {@link join}). What a node returns after an issue does not
 *   matter: the caller throws once the whole value has been checked.
 *
 * For example `obj({ limit: withDefault(num({ integer: true, min: 1 }), 100) })` turns `{}` into
 * `{ limit: 100 }`, and `{"limit": "100"}` into the issue
 * `{ path: 'limit', message: 'expected a number, got string "100"' }`.
 *
 * Why no library: core has no runtime dependencies, and a validator (ajv and the like) would be
 * one. ajv can fill defaults, but no validator reads `{"env": ...}` secrets or suggests a key for
 * a typo, and they report JSON Pointers (`/policy/rules/2`) with one complaint per failed branch
 * of a union, where we want one issue at `policy.rules[2]`. We would write most of this on top.
 */
import type { ConfigIssue } from '../errors.js';

/** What one validation run shares: the issues found so far and where secrets are read. */
export interface ValidationContext {
  readonly issues: ConfigIssue[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

/** One schema node. `check` returns the normalised value, or undefined after an issue. */
export interface Node {
  check(value: unknown, path: string, ctx: ValidationContext): unknown;
  jsonSchema(): JsonSchema;
}

/** An extra check on a value its node accepted; it pushes any issue to `ctx.issues`. */
export type Refine<T> = (value: T, path: string, ctx: ValidationContext) => void;

/** Appends a property or an index to a path: `join('policy', 'rules')`, `join('policy.rules', 2)`. */
export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Records an issue; returns undefined, the value of a node that found one. */
function fail(ctx: ValidationContext, path: string, message: string): undefined {
  ctx.issues.push({ path, message });
  return undefined;
}

/** `string "x"`, `number 5`, `boolean true`, or the bare JSON type of anything else. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return jsonType(v);
}

const expected = (what: string, v: unknown): string => `expected ${what}, got ${describeValue(v)}`;
const oneOf = (values: readonly string[]): string => values.map((x) => JSON.stringify(x)).join(', ');

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON Schema with `description` first (when given) and no undefined fields. */
function schemaOf(description: string | undefined, fields: JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries({ description, ...fields }).filter(([, v]) => v !== undefined));
}

/** Options of {@link str}. */
export interface StrOptions {
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly minLength?: number;
  readonly pattern?: RegExp;
  /** The message when `pattern` does not match; default "does not match <pattern>". */
  readonly patternHint?: string;
  /** JSON Schema `format`; informative only. */
  readonly format?: string;
  readonly refine?: Refine<string>;
}

/** A string, optionally limited to an enum, a minimum length or a pattern. */
export function str(opts: StrOptions = {}): Node {
  return {
    check(v, path, ctx) {
      if (typeof v !== 'string') return fail(ctx, path, expected('a string', v));
      if (opts.enum && !opts.enum.includes(v)) return fail(ctx, path, `must be one of ${oneOf(opts.enum)}, got ${JSON.stringify(v)}`);
      if (opts.minLength !== undefined && v.length < opts.minLength) {
        return fail(ctx, path, opts.minLength === 1 ? 'must not be empty' : `must be at least ${opts.minLength} characters`);
      }
      if (opts.pattern && !opts.pattern.test(v)) return fail(ctx, path, opts.patternHint ?? `does not match ${opts.pattern.source}`);
      opts.refine?.(v, path, ctx);
      return v;
    },
    jsonSchema: () =>
      schemaOf(opts.description, {
        type: 'string',
        enum: opts.enum && [...opts.enum],
        minLength: opts.minLength,
        pattern: opts.pattern?.source,
        format: opts.format,
      }),
  };
}

/** An absolute http(s) URL. */
export function url(opts: { description?: string } = {}): Node {
  return str({
    description: opts.description,
    format: 'uri',
    refine(s, path, ctx) {
      const protocol = URL.canParse(s) ? new URL(s).protocol : undefined;
      if (protocol === undefined) fail(ctx, path, `must be an absolute URL, got ${JSON.stringify(s)}`);
      else if (protocol !== 'http:' && protocol !== 'https:') fail(ctx, path, `must use http: or https:, got ${protocol}`);
    },
  });
}

/** A finite number, optionally a whole one within bounds. */
export function num(opts: { description?: string; integer?: boolean; min?: number; max?: number } = {}): Node {
  return {
    check(v, path, ctx) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail(ctx, path, expected('a number', v));
      if (opts.integer && !Number.isInteger(v)) return fail(ctx, path, `expected a whole number, got ${v}`);
      if (opts.min !== undefined && v < opts.min) return fail(ctx, path, `must be at least ${opts.min}, got ${v}`);
      if (opts.max !== undefined && v > opts.max) return fail(ctx, path, `must be at most ${opts.max}, got ${v}`);
      return v;
    },
    jsonSchema: () => schemaOf(opts.description, { type: opts.integer ? 'integer' : 'number', minimum: opts.min, maximum: opts.max }),
  };
}

/** A boolean. */
export function bool(opts: { description?: string } = {}): Node {
  return {
    check: (v, path, ctx) => (typeof v === 'boolean' ? v : fail(ctx, path, expected('true or false', v))),
    jsonSchema: () => schemaOf(opts.description, { type: 'boolean' }),
  };
}

/** One constant string: the tag of a {@link tagged} variant. */
export function literal(value: string): Node {
  return {
    check: (v, path, ctx) => (v === value ? v : fail(ctx, path, `must be ${JSON.stringify(value)}`)),
    jsonSchema: () => ({ const: value }),
  };
}

/**
 * An array of `item`. Each item is checked (at `path[i]`) even when the array is too short.
 * `refine` runs on the normalised items when none of them had an issue.
 */
export function arr(item: Node, opts: { description?: string; minItems?: number; refine?: Refine<unknown[]> } = {}): Node {
  return {
    check(v, path, ctx) {
      if (!Array.isArray(v)) return fail(ctx, path, expected('an array', v));
      if (opts.minItems !== undefined && v.length < opts.minItems) {
        fail(ctx, path, opts.minItems === 1 ? 'must not be empty' : `needs at least ${opts.minItems} items`);
      }
      const before = ctx.issues.length;
      const out = v.map((x, i) => item.check(x, join(path, i), ctx));
      if (opts.refine && ctx.issues.length === before) opts.refine(out, path, ctx);
      return out;
    },
    jsonSchema: () => schemaOf(opts.description, { type: 'array', items: item.jsonSchema(), minItems: opts.minItems }),
  };
}

/** A property of an {@link obj}. */
export interface Prop {
  readonly node: Node;
  readonly required?: boolean;
  /** Used when the key is absent: a copy of it is checked like a written value. */
  readonly default?: unknown;
}

/** A property that must be present. */
export const required = (node: Node): Prop => ({ node, required: true });
/** A property that gets `value` when absent. */
export const withDefault = (node: Node, value: unknown): Prop => ({ node, default: value });
/** A property that may be absent, with no default. */
export const optional = (node: Node): Prop => ({ node });

/**
 * An object with known keys only. An unknown key is an issue (with the closest known key as a
 * suggestion), and so is a missing required one. `refine` runs on the normalised object when
 * no property had an issue (an unknown key does not stop it).
 */
export function obj(props: Readonly<Record<string, Prop>>, opts: { description?: string; refine?: Refine<Record<string, unknown>> } = {}): Node {
  const keys = Object.keys(props);
  return {
    check(v, path, ctx) {
      if (!isRecord(v)) return fail(ctx, path, expected('an object', v));
      for (const k of Object.keys(v)) {
        if (!Object.hasOwn(props, k)) fail(ctx, join(path, k), unknownKey(k, keys));
      }
      const before = ctx.issues.length;
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(props)) {
        const at = join(path, k);
        if (Object.hasOwn(v, k) && v[k] !== undefined) out[k] = p.node.check(v[k], at, ctx);
        else if (p.required) fail(ctx, at, 'is required');
        else if (p.default !== undefined) out[k] = p.node.check(structuredClone(p.default), at, ctx);
      }
      if (opts.refine && ctx.issues.length === before) opts.refine(out, path, ctx);
      return out;
    },
    jsonSchema: () => {
      const properties = Object.fromEntries(
        Object.entries(props).map(([k, p]) => [k, p.default === undefined ? p.node.jsonSchema() : { ...p.node.jsonSchema(), default: p.default }]),
      );
      const req = keys.filter((k) => props[k]?.required);
      return schemaOf(opts.description, { type: 'object', properties, additionalProperties: false, required: req.length ? req : undefined });
    },
  };
}

/** One shape per JSON type of the value, e.g. `{ string: str(), array: arr(str()) }`. */
export function byType(shapes: Partial<Record<'string' | 'number' | 'boolean' | 'array' | 'object', Node>>, opts: { description?: string } = {}): Node {
  const types = Object.keys(shapes);
  return {
    check(v, path, ctx) {
      const node = shapes[jsonType(v) as keyof typeof shapes];
      return node ? node.check(v, path, ctx) : fail(ctx, path, expected(types.join(' or '), v));
    },
    jsonSchema: () => schemaOf(opts.description, { anyOf: Object.values(shapes).map((n) => n.jsonSchema()) }),
  };
}

/**
 * An object whose shape depends on a tag key, e.g. `tagged({ type: { redis: ..., memory: ... } })`.
 * With several tag keys (`{ preset: ..., type: ... }`) the first one present, in the order
 * written, chooses the table; its value chooses the shape, which checks the whole object.
 */
export function tagged(tables: Readonly<Record<string, Readonly<Record<string, Node>>>>): Node {
  const tagKeys = Object.keys(tables);
  return {
    check(v, path, ctx) {
      if (!isRecord(v)) return fail(ctx, path, expected('an object', v));
      const key = tagKeys.find((k) => v[k] !== undefined);
      if (key === undefined) return fail(ctx, path, `needs ${tagKeys.map((k) => `"${k}"`).join(' or ')}`);
      const table = tables[key] as Readonly<Record<string, Node>>;
      const tag = v[key];
      const node = typeof tag === 'string' && Object.hasOwn(table, tag) ? table[tag] : undefined;
      if (!node) return fail(ctx, join(path, key), `must be one of ${oneOf(Object.keys(table))}, got ${describeValue(tag)}`);
      return node.check(v, path, ctx);
    },
    jsonSchema: () => ({ oneOf: Object.values(tables).flatMap((table) => Object.values(table).map((n) => n.jsonSchema())) }),
  };
}

/**
 * A secret: a string, or `{"env": "NAME"}` read from `ctx.env` now. Returns the value; an issue
 * names the variable, never a value. `minLength` counts UTF-8 bytes (HMAC keys).
 */
export function secret(opts: { description?: string; minLength?: number } = {}): Node {
  return {
    check(v, path, ctx) {
      let value = v;
      if (isRecord(v)) {
        const name = v['env'];
        if (Object.keys(v).length !== 1 || typeof name !== 'string' || name === '') return fail(ctx, path, 'a secret reference must be {"env": "VARIABLE_NAME"}');
        value = ctx.env[name];
        if (value === undefined || value === '') return fail(ctx, path, `environment variable ${name} is not set`);
      } else if (typeof v !== 'string') {
        return fail(ctx, path, expected('a string or {"env": "NAME"}', v));
      }
      const s = value as string;
      if (opts.minLength !== undefined && Buffer.byteLength(s, 'utf8') < opts.minLength) {
        return fail(ctx, path, `is too short: at least ${opts.minLength} bytes are required`);
      }
      return s;
    },
    jsonSchema: () =>
      schemaOf(opts.description, {
        anyOf: [
          { type: 'string' },
          { type: 'object', properties: { env: { type: 'string', minLength: 1 } }, required: ['env'], additionalProperties: false },
        ],
      }),
  };
}

/** "unknown key", with the closest known key when one is close enough to be a typo. */
function unknownKey(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3));
  return close ? `unknown key (did you mean "${best}"?)` : 'unknown key';
}

/** Levenshtein distance ignoring case: the fewest one-character insertions, deletions or substitutions. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] as number;
}
