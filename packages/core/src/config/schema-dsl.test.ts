import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../errors.js';
import { arr, bool, byType, join, literal, num, obj, optional, required, secret, str, tagged, url, withDefault, type Node } from './schema-dsl.js';

/** Checks `value` against `node` at path `at`; returns what it normalised to and the issues. */
function run(node: Node, value: unknown, { at = 'x', env = {} }: { at?: string; env?: Record<string, string> } = {}) {
  const issues: ConfigIssue[] = [];
  const out = node.check(value, at, { issues, env });
  return { out, issues };
}
const issuesOf = (node: Node, value: unknown, at?: string) => run(node, value, { at }).issues;

describe('join', () => {
  it('writes properties with dots and indexes in brackets', () => {
    expect(join('', 'policy')).toBe('policy');
    expect(join(join(join(join('policy', 'rules'), 2), 'groups'), 0)).toBe('policy.rules[2].groups[0]');
  });
});

describe('leaf kinds', () => {
  it('str reports the first rule a value breaks', () => {
    const s = str({ enum: ['a', 'bb'], minLength: 2 });
    expect(issuesOf(s, 5)).toEqual([{ path: 'x', message: 'expected a string, got number 5' }]);
    expect(issuesOf(s, 'c')).toEqual([{ path: 'x', message: 'must be one of "a", "bb", got "c"' }]);
    expect(issuesOf(s, 'a')).toEqual([{ path: 'x', message: 'must be at least 2 characters' }]);
    expect(issuesOf(str({ minLength: 1 }), '')).toEqual([{ path: 'x', message: 'must not be empty' }]);
    expect(issuesOf(str({ pattern: /^[a-z]+$/ }), 'A')).toEqual([{ path: 'x', message: 'does not match ^[a-z]+$' }]);
    expect(issuesOf(str({ pattern: /^[a-z]+$/, patternHint: 'must be lower-case' }), 'A')).toEqual([{ path: 'x', message: 'must be lower-case' }]);
  });

  it('str runs refine only on a value that passed its own rules', () => {
    const seen: string[] = [];
    const s = str({ minLength: 1, refine: (v, path, ctx) => { seen.push(v); ctx.issues.push({ path, message: 'refused' }); } });
    expect(issuesOf(s, '')).toEqual([{ path: 'x', message: 'must not be empty' }]);
    expect(issuesOf(s, 'ok')).toEqual([{ path: 'x', message: 'refused' }]);
    expect(seen).toEqual(['ok']);
  });

  it('url wants an absolute http(s) URL', () => {
    expect(run(url(), 'https://idp.example.com/jwks')).toEqual({ out: 'https://idp.example.com/jwks', issues: [] });
    expect(issuesOf(url(), '/jwks')).toEqual([{ path: 'x', message: 'must be an absolute URL, got "/jwks"' }]);
    expect(issuesOf(url(), 'ftp://idp.example.com/')).toEqual([{ path: 'x', message: 'must use http: or https:, got ftp:' }]);
    expect(issuesOf(url(), null)).toEqual([{ path: 'x', message: 'expected a string, got null' }]);
  });

  it('num, bool and literal', () => {
    const n = num({ integer: true, min: 1, max: 10 });
    expect(issuesOf(n, Number.NaN)).toEqual([{ path: 'x', message: 'expected a number, got number NaN' }]);
    expect(issuesOf(n, 1.5)).toEqual([{ path: 'x', message: 'expected a whole number, got 1.5' }]);
    expect(issuesOf(n, 0)).toEqual([{ path: 'x', message: 'must be at least 1, got 0' }]);
    expect(issuesOf(n, 11)).toEqual([{ path: 'x', message: 'must be at most 10, got 11' }]);
    expect(issuesOf(bool(), 'true')).toEqual([{ path: 'x', message: 'expected true or false, got string "true"' }]);
    expect(issuesOf(literal('jwt'), 'JWT')).toEqual([{ path: 'x', message: 'must be "jwt"' }]);
  });

  it('secret reads {"env": NAME}, names a missing variable, and counts bytes', () => {
    const s = secret({ minLength: 4 });
    expect(run(s, { env: 'K' }, { env: { K: 'abcd' } })).toEqual({ out: 'abcd', issues: [] });
    expect(issuesOf(s, { env: 'K' })).toEqual([{ path: 'x', message: 'environment variable K is not set' }]);
    expect(issuesOf(s, { env: 'K', default: 'abcd' })).toEqual([{ path: 'x', message: 'a secret reference must be {"env": "VARIABLE_NAME"}' }]);
    expect(issuesOf(s, ['abcd'])).toEqual([{ path: 'x', message: 'expected a string or {"env": "NAME"}, got array' }]);
    expect(issuesOf(s, 'éé')).toEqual([]); // 4 bytes in UTF-8
    expect(issuesOf(s, 'abc')).toEqual([{ path: 'x', message: 'is too short: at least 4 bytes are required' }]);
  });
});

describe('arr and obj', () => {
  const rules = obj({ rules: optional(arr(obj({ groups: optional(arr(str({ minLength: 1 }))) }))) });

  it('names the exact path of a nested mistake', () => {
    expect(issuesOf(rules, { rules: [{}, {}, { groups: ['admins', ''] }] }, 'policy')).toEqual([{ path: 'policy.rules[2].groups[1]', message: 'must not be empty' }]);
  });

  it('arr checks every item even when the array is too short, and collects all issues', () => {
    expect(issuesOf(arr(num(), { minItems: 3 }), [1, 'a'])).toEqual([
      { path: 'x', message: 'needs at least 3 items' },
      { path: 'x[1]', message: 'expected a number, got string "a"' },
    ]);
    expect(issuesOf(arr(num(), { minItems: 1 }), [])).toEqual([{ path: 'x', message: 'must not be empty' }]);
  });

  it('arr and obj run refine only when their children had no issue', () => {
    let calls = 0;
    const refine = () => void calls++;
    issuesOf(arr(num(), { refine }), [1, 'a']);
    issuesOf(obj({ a: optional(num()) }, { refine }), { a: 'a' });
    expect(calls).toBe(0);
    issuesOf(arr(num(), { refine }), [1]);
    issuesOf(obj({ a: optional(num()) }, { refine }), { a: 1, typo: 1 }); // an unknown key does not stop it
    expect(calls).toBe(2);
  });

  it('obj reports unknown keys (with a close known key, ignoring case), then missing ones', () => {
    const o = obj({ jwksUri: optional(str()), issuer: required(str()) });
    expect(issuesOf(o, { JWKSURI: 'x', zzzzzzzzzz: 1 }, '')).toEqual([
      { path: 'JWKSURI', message: 'unknown key (did you mean "jwksUri"?)' },
      { path: 'zzzzzzzzzz', message: 'unknown key' },
      { path: 'issuer', message: 'is required' },
    ]);
    expect(issuesOf(o, [], '')).toEqual([{ path: '', message: 'expected an object, got array' }]);
  });

  it('obj fills a copy of each default and checks it; undefined counts as absent', () => {
    const o = obj({ list: withDefault(arr(str()), ['a']), n: withDefault(num({ min: 5 }), 1), s: optional(str()) });
    const first = run(o, { s: undefined });
    expect(first.out).toEqual({ list: ['a'], n: undefined });
    expect(first.issues).toEqual([{ path: 'x.n', message: 'must be at least 5, got 1' }]);
    (run(o, {}).out as { list: string[] }).list.push('b');
    expect((run(o, {}).out as { list: string[] }).list).toEqual(['a']);
  });
});

describe('unions', () => {
  it('byType picks the shape by JSON type and names the types it takes', () => {
    const audience = byType({ string: str(), array: arr(str()) });
    expect(run(audience, ['a']).out).toEqual(['a']);
    expect(issuesOf(audience, 5)).toEqual([{ path: 'x', message: 'expected string or array, got number 5' }]);
  });

  it('tagged picks the shape by the first tag key present and reports a wrong tag at its own path', () => {
    const variant = (tag: string, key: string) => obj({ [key]: required(literal(tag)), n: optional(num()) });
    const provider = tagged({ preset: { okta: variant('okta', 'preset') }, type: { jwt: variant('jwt', 'type') } });
    expect(run(provider, { type: 'jwt', n: 1 }).out).toEqual({ type: 'jwt', n: 1 });
    expect(issuesOf(provider, { n: 1 })).toEqual([{ path: 'x', message: 'needs "preset" or "type"' }]);
    expect(issuesOf(provider, { preset: 'auth0', type: 'jwt' })).toEqual([{ path: 'x.preset', message: 'must be one of "okta", got string "auth0"' }]);
    expect(issuesOf(provider, { type: 'constructor' })).toEqual([{ path: 'x.type', message: 'must be one of "jwt", got string "constructor"' }]);
    expect(issuesOf(provider, { type: 'jwt', n: 'one' })).toEqual([{ path: 'x.n', message: 'expected a number, got string "one"' }]);
  });
});

describe('jsonSchema', () => {
  it('mirrors the rules: description first, defaults, required keys, no extra keys', () => {
    const o = obj({
      mode: withDefault(str({ enum: ['a', 'b'], description: 'Mode.' }), 'a'),
      n: required(num({ integer: true, min: 1 })),
    }, { description: 'Thing.' });
    expect(JSON.stringify(o.jsonSchema())).toBe(JSON.stringify({
      description: 'Thing.',
      type: 'object',
      properties: { mode: { description: 'Mode.', type: 'string', enum: ['a', 'b'], default: 'a' }, n: { type: 'integer', minimum: 1 } },
      additionalProperties: false,
      required: ['n'],
    }));
  });

  it('describes unions, literals, URLs and secrets', () => {
    expect(byType({ string: str(), array: arr(str(), { minItems: 1 }) }).jsonSchema()).toEqual({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }] });
    expect(tagged({ type: { a: obj({ type: required(literal('a')) }) } }).jsonSchema()).toEqual({
      oneOf: [{ type: 'object', properties: { type: { const: 'a' } }, additionalProperties: false, required: ['type'] }],
    });
    expect(url({ description: 'JWKS URL.' }).jsonSchema()).toEqual({ description: 'JWKS URL.', type: 'string', format: 'uri' });
    expect(secret().jsonSchema()).toEqual({ anyOf: [{ type: 'string' }, expect.objectContaining({ required: ['env'], additionalProperties: false })] });
  });
});
