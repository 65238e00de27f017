/**
 * A small schema language: each node validates a JSON value (collecting every issue with its
 * exact path, applying defaults, resolving `{"env": "NAME"}` secrets) and describes itself as
 * JSON Schema, so the validator and the shipped schema file never disagree.
 */
import type { ConfigIssue } from '../errors.js';

/** Validation state shared by one run. */
export interface ValidationContext {
  readonly issues: ConfigIssue[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One schema node. `check` returns the normalised value (undefined after an issue). */
export interface Node {
  readonly description?: string;
  check(value: unknown, path: string, ctx: ValidationContext): unknown;
  jsonSchema(): Record<string, unknown>;
}

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describe(v: unknown): string {
  const t = typeOf(v);
  if (t === 'string') return `string ${JSON.stringify(v)}`;
  if (t === 'number' || t === 'boolean') return `${t} ${String(v)}`;
  return t;
}

const withDesc = (schema: Record<string, unknown>, description?: string): Record<string, unknown> =>
  description ? { description, ...schema } : schema;

/** Appends a property or index to a path. */
export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** A string, optionally limited to an enum, a pattern, or a minimum length. */
export function str(
  opts: { enum?: readonly string[]; pattern?: RegExp; patternHint?: string; minLength?: number; maxLength?: number; description?: string; format?: string } = {},
): Node {
  return {
    description: opts.description,
    check(v, path, ctx) {
      if (typeof v !== 'string') {
        ctx.issues.push({ path, message: `expected a string, got ${describe(v)}` });
        return undefined;
      }
      if (opts.enum && !opts.enum.includes(v)) {
        ctx.issues.push({ path, message: `must be one of ${opts.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(v)}` });
        return undefined;
      }
      if (opts.minLength !== undefined && v.length < opts.minLength) {
        ctx.issues.push({ path, message: opts.minLength === 1 ? 'must not be empty' : `must be at least ${opts.minLength} characters` });
        return undefined;
      }
      if (opts.maxLength !== undefined && v.length > opts.maxLength) {
        ctx.issues.push({ path, message: `must be at most ${opts.maxLength} characters` });
        return undefined;
      }
      if (opts.pattern && !opts.pattern.test(v)) {
        ctx.issues.push({ path, message: opts.patternHint ?? `does not match ${opts.pattern.source}` });
        return undefined;
      }
      return v;
    },
    jsonSchema: () =>
      withDesc(
        {
          type: 'string',
          ...(opts.enum ? { enum: [...opts.enum] } : {}),
          ...(opts.minLength !== undefined ? { minLength: opts.minLength } : {}),
          ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}),
          ...(opts.pattern ? { pattern: opts.pattern.source } : {}),
          ...(opts.format ? { format: opts.format } : {}),
        },
        opts.description,
      ),
  };
}

/** An http(s) URL. */
export function url(opts: { description?: string; protocols?: readonly string[] } = {}): Node {
  const protocols = opts.protocols ?? ['http:', 'https:'];
  return {
    description: opts.description,
    check(v, path, ctx) {
      const s = str().check(v, path, ctx);
      if (typeof s !== 'string') return undefined;
      let parsed: URL;
      try {
        parsed = new URL(s);
      } catch {
        ctx.issues.push({ path, message: `must be an absolute URL, got ${JSON.stringify(s)}` });
        return undefined;
      }
      if (!protocols.includes(parsed.protocol)) {
        ctx.issues.push({ path, message: `must use ${protocols.join(' or ')}, got ${parsed.protocol}` });
        return undefined;
      }
      return s;
    },
    jsonSchema: () => withDesc({ type: 'string', format: 'uri' }, opts.description),
  };
}

/** A number, optionally an integer within bounds. */
export function num(opts: { integer?: boolean; min?: number; max?: number; description?: string } = {}): Node {
  return {
    description: opts.description,
    check(v, path, ctx) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        ctx.issues.push({ path, message: `expected a number, got ${describe(v)}` });
        return undefined;
      }
      if (opts.integer && !Number.isInteger(v)) {
        ctx.issues.push({ path, message: `expected a whole number, got ${v}` });
        return undefined;
      }
      if (opts.min !== undefined && v < opts.min) {
        ctx.issues.push({ path, message: `must be at least ${opts.min}, got ${v}` });
        return undefined;
      }
      if (opts.max !== undefined && v > opts.max) {
        ctx.issues.push({ path, message: `must be at most ${opts.max}, got ${v}` });
        return undefined;
      }
      return v;
    },
    jsonSchema: () =>
      withDesc(
        {
          type: (opts.integer ? 'integer' : 'number') satisfies JsonType,
          ...(opts.min !== undefined ? { minimum: opts.min } : {}),
          ...(opts.max !== undefined ? { maximum: opts.max } : {}),
        },
        opts.description,
      ),
  };
}

/** A boolean. */
export function bool(opts: { description?: string } = {}): Node {
  return {
    description: opts.description,
    check(v, path, ctx) {
      if (typeof v !== 'boolean') {
        ctx.issues.push({ path, message: `expected true or false, got ${describe(v)}` });
        return undefined;
      }
      return v;
    },
    jsonSchema: () => withDesc({ type: 'boolean' }, opts.description),
  };
}

/** An array of `item`. */
export function arr(item: Node, opts: { minItems?: number; maxItems?: number; unique?: boolean; description?: string } = {}): Node {
  return {
    description: opts.description,
    check(v, path, ctx) {
      if (!Array.isArray(v)) {
        ctx.issues.push({ path, message: `expected an array, got ${describe(v)}` });
        return undefined;
      }
      if (opts.minItems !== undefined && v.length < opts.minItems) {
        ctx.issues.push({ path, message: opts.minItems === 1 ? 'must not be empty' : `needs at least ${opts.minItems} items` });
      }
      if (opts.maxItems !== undefined && v.length > opts.maxItems) {
        ctx.issues.push({ path, message: `must have at most ${opts.maxItems} items` });
      }
      return v.map((x, i) => item.check(x, join(path, i), ctx));
    },
    jsonSchema: () =>
      withDesc(
        {
          type: 'array',
          items: item.jsonSchema(),
          ...(opts.minItems !== undefined ? { minItems: opts.minItems } : {}),
          ...(opts.maxItems !== undefined ? { maxItems: opts.maxItems } : {}),
        },
        opts.description,
      ),
  };
}

/** A property of an object node. */
export interface Prop {
  readonly node: Node;
  readonly required?: boolean;
  /** Value used when the key is absent (deep-copied). */
  readonly default?: unknown;
}

/** Marks a property required. */
export const required = (node: Node): Prop => ({ node, required: true });
/** Gives a property a default. */
export const withDefault = (node: Node, value: unknown): Prop => ({ node, default: value });
/** An optional property with no default. */
export const optional = (node: Node): Prop => ({ node });

function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}

/** The closest known key to a mistyped one, if any is close. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = distance(key, k);
    if (dist < bestD) { best = k; bestD = dist; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * An object with known properties only: an unknown key is a mistake (with a "did you mean"),
 * a missing required one too. `refine` runs after the properties, on the normalised object.
 */
export function obj(
  props: Readonly<Record<string, Prop>>,
  opts: { description?: string; refine?: (value: Record<string, unknown>, path: string, ctx: ValidationContext) => void } = {},
): Node & { readonly props: Readonly<Record<string, Prop>> } {
  const keys = Object.keys(props);
  return {
    props,
    description: opts.description,
    check(v, path, ctx) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        ctx.issues.push({ path, message: `expected an object, got ${describe(v)}` });
        return undefined;
      }
      const input = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(input)) {
        if (!Object.prototype.hasOwnProperty.call(props, k)) {
          const hint = suggest(k, keys);
          ctx.issues.push({ path: join(path, k), message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}` });
        }
      }
      const before = ctx.issues.length;
      for (const k of keys) {
        const p = props[k] as Prop;
        const has = Object.prototype.hasOwnProperty.call(input, k) && input[k] !== undefined;
        if (!has) {
          if (p.required) ctx.issues.push({ path: join(path, k), message: 'is required' });
          else if (p.default !== undefined) out[k] = p.node.check(structuredClone(p.default), join(path, k), ctx);
          continue;
        }
        out[k] = p.node.check(input[k], join(path, k), ctx);
      }
      if (opts.refine && ctx.issues.length === before) opts.refine(out, path, ctx);
      return out;
    },
    jsonSchema: () => {
      const properties: Record<string, unknown> = {};
      for (const k of keys) {
        const p = props[k] as Prop;
        const s = p.node.jsonSchema();
        properties[k] = p.default !== undefined ? { ...s, default: p.default } : s;
      }
      const req = keys.filter((k) => props[k]?.required);
      return withDesc(
        { type: 'object', properties, additionalProperties: false, ...(req.length ? { required: req } : {}) },
        opts.description,
      );
    },
  };
}

/** One of several shapes, chosen by the JSON type of the value (string vs number vs array...). */
export function byType(options: Partial<Record<'string' | 'number' | 'array' | 'object' | 'boolean', Node>>, opts: { description?: string } = {}): Node {
  const names = Object.keys(options);
  return {
    description: opts.description,
    check(v, path, ctx) {
      const t = typeOf(v) as keyof typeof options;
      const node = options[t];
      if (!node) {
        ctx.issues.push({ path, message: `expected ${names.join(' or ')}, got ${describe(v)}` });
        return undefined;
      }
      return node.check(v, path, ctx);
    },
    jsonSchema: () => withDesc({ anyOf: Object.values(options).map((n) => n!.jsonSchema()) }, opts.description),
  };
}

/**
 * An object whose shape depends on one key (`type` of a store, `type` or `preset` of a provider).
 * `keys` are tried in order; the first present selects the variant.
 */
export function tagged(keys: readonly string[], variants: Readonly<Record<string, Readonly<Record<string, Node & { props: Readonly<Record<string, Prop>> }>>>>, opts: { description?: string } = {}): Node {
  return {
    description: opts.description,
    check(v, path, ctx) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        ctx.issues.push({ path, message: `expected an object, got ${describe(v)}` });
        return undefined;
      }
      const input = v as Record<string, unknown>;
      const key = keys.find((k) => input[k] !== undefined);
      if (key === undefined) {
        ctx.issues.push({ path, message: `needs ${keys.map((k) => `"${k}"`).join(' or ')}` });
        return undefined;
      }
      const table = variants[key] as Readonly<Record<string, Node>>;
      const tag = input[key];
      const node = typeof tag === 'string' ? table[tag] : undefined;
      if (!node) {
        ctx.issues.push({ path: join(path, key), message: `must be one of ${Object.keys(table).map((t) => JSON.stringify(t)).join(', ')}, got ${describe(tag)}` });
        return undefined;
      }
      return node.check(v, path, ctx);
    },
    jsonSchema: () =>
      withDesc(
        { oneOf: Object.values(variants).flatMap((table) => Object.values(table).map((n) => n.jsonSchema())) },
        opts.description,
      ),
  };
}

/** A constant string (the tag of a tagged variant). */
export function literal(value: string, opts: { description?: string } = {}): Node {
  return {
    description: opts.description,
    check(v, path, ctx) {
      if (v !== value) {
        ctx.issues.push({ path, message: `must be ${JSON.stringify(value)}` });
        return undefined;
      }
      return v;
    },
    jsonSchema: () => withDesc({ const: value }, opts.description),
  };
}

/**
 * A secret: a string, or `{"env": "NAME"}` resolved from the environment at load time. The
 * resolved value is returned; a missing variable is an issue naming it (never its value).
 */
export function secret(opts: { description?: string; minLength?: number } = {}): Node {
  return {
    description: opts.description,
    check(v, path, ctx) {
      let value: unknown = v;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const ref = v as Record<string, unknown>;
        const extra = Object.keys(ref).filter((k) => k !== 'env');
        if (extra.length || typeof ref['env'] !== 'string' || ref['env'] === '') {
          ctx.issues.push({ path, message: 'a secret reference must be {"env": "VARIABLE_NAME"}' });
          return undefined;
        }
        value = ctx.env[ref['env']];
        if (value === undefined || value === '') {
          ctx.issues.push({ path, message: `environment variable ${ref['env']} is not set` });
          return undefined;
        }
      } else if (typeof v !== 'string') {
        ctx.issues.push({ path, message: `expected a string or {"env": "NAME"}, got ${describe(v)}` });
        return undefined;
      }
      const s = value as string;
      if (opts.minLength !== undefined && Buffer.byteLength(s, 'utf8') < opts.minLength) {
        ctx.issues.push({ path, message: `is too short: at least ${opts.minLength} bytes are required` });
        return undefined;
      }
      return s;
    },
    jsonSchema: () =>
      withDesc(
        {
          anyOf: [
            { type: 'string' },
            { type: 'object', properties: { env: { type: 'string', minLength: 1 } }, required: ['env'], additionalProperties: false },
          ],
        },
        opts.description,
      ),
  };
}
