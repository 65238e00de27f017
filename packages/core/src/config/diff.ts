import type { ResolvedConfig } from './types.js';

/**
 * JSON with object keys sorted, so that two deep-equal values give the same text.
 *
 * @example
 * stableJson({ b: 1, a: [2] }) === stableJson({ a: [2], b: 1 }); // true
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  }) ?? 'undefined';
}

/**
 * What a reload from one config to another changes. Providers by name; the policy as lines
 * (`bypass: GET /health`, `rules: {...}`); elsewhere only the paths that changed, never their
 * values (a store URL may hold a password).
 *
 * @example
 * const diff: ConfigDiff = diffConfigs(auth.config, loadConfig('./next.json'));
 * diff.providers.added; // ['partner']
 */
export interface ConfigDiff {
  readonly providers: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[] };
  readonly policy: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** Other settings that changed, as config paths (`rateLimit.limit`, `audit.sink.path`). */
  readonly settings: readonly string[];
  /** True when nothing changes. */
  readonly empty: boolean;
}

function policyLines(policy: ResolvedConfig['policy']): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(policy)) {
    if (Array.isArray(value)) for (const item of value) lines.push(`${key}: ${typeof item === 'string' ? item : stableJson(item)}`);
    else lines.push(`${key}: ${stableJson(value)}`);
  }
  return lines;
}

function changedPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  const objects = typeof a === 'object' && a !== null && !Array.isArray(a) && typeof b === 'object' && b !== null && !Array.isArray(b);
  if (!objects) {
    if (stableJson(a) !== stableJson(b)) out.push(path);
    return;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of [...keys].sort()) changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
}

/**
 * What changes from `before` to `after` (both resolved, e.g. by `validateConfig`).
 *
 * @example
 * const diff = diffConfigs(validateConfig(old), validateConfig(next));
 * if (!diff.empty) console.log(formatConfigDiff(diff).join('\n'));
 */
export function diffConfigs(before: ResolvedConfig, after: ResolvedConfig): ConfigDiff {
  const byName = (c: ResolvedConfig) => new Map(c.providers.map((p) => [p.name, stableJson(p)]));
  const a = byName(before);
  const b = byName(after);
  const providers = {
    added: [...b.keys()].filter((n) => !a.has(n)),
    removed: [...a.keys()].filter((n) => !b.has(n)),
    changed: [...b.keys()].filter((n) => a.has(n) && a.get(n) !== b.get(n)),
  };
  const pa = policyLines(before.policy);
  const pb = policyLines(after.policy);
  const policy = { added: pb.filter((l) => !pa.includes(l)), removed: pa.filter((l) => !pb.includes(l)) };
  const settings: string[] = [];
  const rest = (c: ResolvedConfig): Record<string, unknown> => {
    const { providers: _p, policy: _q, ...others } = c;
    return others;
  };
  changedPaths(rest(before), rest(after), '', settings);
  const empty = !providers.added.length && !providers.removed.length && !providers.changed.length && !policy.added.length && !policy.removed.length && !settings.length;
  return { providers, policy, settings, empty };
}

/**
 * A config diff as lines for people: `+ provider partner`, `- policy bypass: GET /health`,
 * `~ rateLimit.limit`; `no changes` when empty.
 *
 * @example
 * console.log(formatConfigDiff(diffConfigs(before, after)).join('\n'));
 */
export function formatConfigDiff(diff: ConfigDiff): string[] {
  if (diff.empty) return ['no changes'];
  return [
    ...diff.providers.added.map((n) => `+ provider ${n}`),
    ...diff.providers.removed.map((n) => `- provider ${n}`),
    ...diff.providers.changed.map((n) => `~ provider ${n}`),
    ...diff.policy.added.map((l) => `+ policy ${l}`),
    ...diff.policy.removed.map((l) => `- policy ${l}`),
    ...diff.settings.map((p) => `~ ${p}`),
  ];
}
