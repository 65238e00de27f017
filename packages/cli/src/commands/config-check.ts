import {
  ASYMMETRIC_ALGORITHMS,
  createRestAuth,
  diffConfigs,
  formatConfigDiff,
  HMAC_ALGORITHMS,
  isRestAuthError,
  validateConfig,
  type ConfigIssue,
  type ResolvedConfig,
  type ResolvedProvider,
  type ResolvedStore,
  type RestAuthPlugin,
} from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import type { Command, CommandContext } from '../command.js';
import { configLocation, readConfigJson, type ConfigLocation } from '../config-file.js';
import { UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { padEnd, table } from '../output.js';

const NAME = 'config check';

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const list = (items: readonly string[]) => items.join(', ');
const quoted = (items: readonly string[]) => items.map((i) => `"${i}"`).join(', ');

/** The words `config check` prints, section by section. */
export interface ConfigSummary {
  readonly gate: string;
  readonly providers: readonly { readonly name: string; readonly type: string; readonly preset?: string; readonly details: readonly string[] }[];
  readonly apiTokens: readonly string[];
  readonly basicAuth: string;
  readonly policy: readonly string[];
  readonly rateLimit: readonly string[];
  readonly audit: readonly string[];
  readonly warnings: readonly string[];
}

/** "secret from $NAME" for an `{"env": ...}` reference; '' for a value written in the file. */
function secretSource(raw: unknown, what: string): string {
  const env = obj(raw)['env'];
  return typeof env === 'string' ? `${what} from $${env}` : '';
}

function redactUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return text;
  }
}

/** A store as a noun phrase: "Redis at redis://cache:6379", "process memory (...)". */
function storeWords(store: ResolvedStore, raw: unknown, kind: 'rate-limit' | 'tokens' | 'audit'): string {
  const url = obj(raw)['url'];
  const env = obj(url)['env'];
  const where = (name: string, fallback: string) =>
    typeof env === 'string' ? `${name} (URL from $${env})` : store.url ? `${name} at ${redactUrl(store.url)}` : `${name} at ${fallback}`;
  switch (store.type) {
    case 'memory':
      return kind === 'audit' ? 'process memory (lost on restart)' : 'process memory (each instance on its own, lost on restart)';
    case 'redis':
      return `${where('Redis', '$REDIS_URL (else redis://127.0.0.1:6379)')}${store.keyPrefix ? `, key prefix "${store.keyPrefix}"` : ''}${kind === 'rate-limit' ? ', shared by every instance' : ''}`;
    case 'postgres':
      return `${where('PostgreSQL', '$DATABASE_URL')}${store.table ? `, table ${store.table}` : ''}`;
    case 'file':
      return `the JSON Lines file ${store.path}${store.maxFileBytes ? ` (rotated at ${store.maxFileBytes} bytes)` : ''}`;
    case 'stdout':
      return 'standard output (JSON Lines)';
    default:
      return store.type;
  }
}

function claimWords(p: ResolvedProvider): string {
  const parts = [`username from "${p.usernameClaim}"`, `groups from "${p.groupsClaim}"`];
  if (p.clientIdClaim) parts.push(`client from "${p.clientIdClaim}"`);
  if (p.scopeClaim) parts.push(`scopes from "${p.scopeClaim}"`);
  return parts.join(', ');
}

function providerWords(p: ResolvedProvider, raw: Raw): string[] {
  if (p.type === 'jwt') {
    const keys = p.jwksUri ? `keys from the JWKS at ${p.jwksUri}`
      : p.discovery ? `keys found by OIDC discovery (${p.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration)`
      : p.publicKey ? 'a PEM public key written in the config'
      : p.certificate ? 'a PEM certificate written in the config'
      : `a shared secret (HMAC)${typeof obj(raw['secret'])['env'] === 'string' ? ` from $${obj(raw['secret'])['env'] as string}` : ' written in the config'}`;
    const defaults: readonly string[] = p.secret !== undefined ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
    const algs = p.algorithms.length === defaults.length && p.algorithms.every((a) => defaults.includes(a)) ? `${p.secret !== undefined ? 'HS256/384/512' : 'any RSA, EC or EdDSA algorithm'}` : list(p.algorithms);
    return [
      `JWTs from issuer ${p.issuer}, audience ${list(p.audience)}${p.audienceClaim && p.audienceClaim !== 'aud' ? ` (in "${p.audienceClaim}")` : ''}`,
      keys,
      `algorithms: ${algs}`,
      claimWords(p),
      `clock tolerance ${p.clockToleranceSec}s${p.requireTyp ? `, typ must be "${p.requireTyp}"` : ''}`,
    ];
  }
  if (p.type === 'introspection') {
    return [
      `opaque tokens checked by RFC 7662 introspection at ${p.introspectionEndpoint}`,
      p.clientAuth === 'private_key_jwt'
        ? `as client "${p.clientId}" (private_key_jwt, ${secretSource(raw['privateKey'], 'key') || 'key written in the config'})`
        : `as client "${p.clientId}" (${p.clientAuth}, ${secretSource(raw['clientSecret'], 'secret') || 'secret written in the config'})`,
      ...(p.audience?.length ? [`the answer's aud must name ${list(p.audience)}`] : []),
      `answers cached ${p.cacheTtlSec}s`,
      claimWords(p),
    ];
  }
  return [`opaque tokens checked by calling the userinfo endpoint ${p.userinfoEndpoint}`, `answers cached ${p.cacheTtlSec}s`, claimWords(p)];
}

/** Describes a valid configuration in words, with warnings about risky or surprising settings. */
export function describeConfig(raw: Raw, c: ResolvedConfig): ConfigSummary {
  const warnings: string[] = [];
  const rawProviders = Array.isArray(raw['providers']) ? (raw['providers'] as unknown[]).map(obj) : [];
  const providers = c.providers.map((p, i) => {
    const r = rawProviders[i] ?? {};
    const preset = typeof r['preset'] === 'string' ? r['preset'] : undefined;
    if (p.type === 'introspection' && p.clientAuth !== 'private_key_jwt' && typeof obj(r['clientSecret'])['env'] !== 'string') warnings.push(`providers[${i}].clientSecret is written in the file: prefer {"env": "NAME"}`);
    if (p.type === 'jwt' && p.secret !== undefined && typeof obj(r['secret'])['env'] !== 'string') warnings.push(`providers[${i}].secret is written in the file: prefer {"env": "NAME"}`);
    return { name: p.name, type: p.type, ...(preset ? { preset } : {}), details: [...(preset ? [`from the ${preset} preset`] : []), ...providerWords(p, r)] };
  });

  const gate = c.enabled ? `on, realm "${c.realm}"` : 'OFF: every request passes through untouched';
  if (!c.enabled) warnings.push('"enabled": false — the gate lets every request through');

  const at = c.apiTokens;
  const rawAt = obj(raw['apiTokens']);
  const apiTokens = !at.enabled ? ['off'] : [
    `on, stored in ${storeWords(at.store, rawAt['store'], 'tokens')}`,
    at.creatorGroups.length ? `created by members of ${list(at.creatorGroups)}` : 'any authenticated caller may create them',
    at.adminGroups.length ? `${list(at.adminGroups)} may list and revoke anyone's` : 'no admin group (each owner manages their own)',
    `valid ${at.defaultLifetimeDays} days by default, at most ${at.maxLifetimeDays}`,
    `also accepted in the ${at.header} header`,
  ];
  if (at.enabled && at.store.type === 'memory') warnings.push('apiTokens.store is "memory": tokens are lost on restart, not shared between instances, and cannot be managed with "restauth tokens"');

  const basicAuth = c.basicAuth.enabled ? 'on (Basic credentials are checked by the app\'s own strategy)' : 'off';

  const pol = c.policy;
  const policy: string[] = [];
  policy.push(pol.mode === 'report-only' ? 'REPORT-ONLY: policy checks are computed and audited but never deny' : 'enforced');
  if (pol.mode === 'report-only') warnings.push('policy.mode is "report-only": group, client, IP and rule checks never deny');
  policy.push(pol.allowGroups.length ? `only members of ${list(pol.allowGroups)} get in` : 'any authenticated caller gets in (no allowGroups)');
  if (pol.readOnlyGroups.length) policy.push(`read-only (GET, HEAD, OPTIONS) for ${list(pol.readOnlyGroups)}`);
  if (pol.allowClients.length) policy.push(`tokens that name a client must name ${list(pol.allowClients)}`);
  if (pol.ipAllow.length) policy.push(`callers only from ${list(pol.ipAllow)}`);
  if (typeof pol.trustProxy === 'number' ? pol.trustProxy > 0 : pol.trustProxy.length) {
    policy.push(`client IP from ${pol.clientIpHeader}, trusting ${typeof pol.trustProxy === 'number' ? `${pol.trustProxy} proxy hop(s)` : `proxies ${list(pol.trustProxy)}`}`);
  } else if (pol.ipAllow.length) {
    policy.push('client IP is the TCP peer (no trusted proxy)');
  }
  if (pol.bypass.length) policy.push(`bypassed entirely: ${quoted(pol.bypass)}`);
  if (pol.public.length) policy.push(`public (anonymous allowed): ${quoted(pol.public)}`);
  if (pol.restrictPublic.length) policy.push(`must authenticate even if public in code: ${quoted(pol.restrictPublic)}`);
  for (const r of pol.rules) {
    const needs = [
      r.groups?.length ? `a member of ${list(r.groups)}` : '',
      r.scopes?.length ? `scopes ${r.scopes.join(' ')}` : '',
    ].filter(Boolean).join(' with ');
    const extra = [
      r.methods?.length ? `methods ${list(r.methods)}` : '',
      r.mode === 'report-only' ? 'report-only' : '',
      r.rateLimit ? `limit ${r.rateLimit.limit} per ${r.rateLimit.windowSec}s` : '',
    ].filter(Boolean).join(', ');
    policy.push(`rule "${r.match}": ${needs ? `needs ${needs}` : 'no requirement'}${extra ? ` (${extra})` : ''}`);
  }

  const rl = c.rateLimit;
  const rateLimit = !rl.enabled ? ['off'] : [
    `${rl.limit} requests per ${rl.windowSec}s per ${rl.by}${rl.burst ? `, bursts up to ${rl.burst}` : ''}`,
    `counted in ${storeWords(rl.store, obj(raw['rateLimit'])['store'], 'rate-limit')}`,
    `when the store fails: ${rl.onStoreError === 'deny' ? 'deny (503)' : 'allow'}`,
    ...(rl.exempt.groups.length || rl.exempt.clients.length ? [`exempt: ${list([...rl.exempt.groups.map((g) => `group ${g}`), ...rl.exempt.clients.map((x) => `client ${x}`)])}`] : []),
  ];
  if (rl.enabled && rl.store.type === 'memory') warnings.push('rateLimit.store is "memory": with several instances each counts on its own');

  const au = c.audit;
  const audit = !au.enabled ? ['off'] : [
    `every decision written to ${storeWords(au.sink, obj(raw['audit'])['sink'], 'audit')}`,
    `kept ${au.retention.maxAgeDays} days / ${au.retention.maxEntries} entries`,
    `up to ${au.queue.maxEvents} events wait for the sink, then ${au.queue.onFull === 'spill' ? `they spill to ${au.queue.spillPath ?? `${au.sink.path ?? 'the sink path'}.spill`}` : 'the oldest are dropped'}`,
    ...(au.sampleAllowed < 1 ? [`${Math.round(au.sampleAllowed * 100)}% of allowed requests (every deny)`] : []),
  ];

  if (c.enabled && !c.providers.length && !at.enabled && !c.basicAuth.enabled) warnings.push('no provider, API tokens or Basic auth: every protected route will answer 401');
  return { gate, providers, apiTokens, basicAuth, policy, rateLimit, audit, warnings };
}

// Builds the gate without contacting anything: Redis and PostgreSQL stores are stand-ins, so
// the check also runs on a laptop without the production network, and never writes.
const offline: RestAuthPlugin = {
  name: 'restauth-cli-offline',
  rateLimitStores: { redis: () => ({ async hit() { throw new Error('offline'); } }) },
  apiTokenStores: Object.fromEntries(['redis', 'postgres'].map((t) => [t, () => ({
    async create() {}, async get() { return undefined; }, async list() { return []; }, async revoke() { return false; }, async touch() {},
    async roll() { return false; }, async spend() { return null; }, async addUsage() {}, async usage() { return []; },
  })])),
  auditSinks: { postgres: () => ({ async write() {} }) },
};

/** `config check --diff OLD NEW`: both must be valid; prints what a reload would change. */
async function diffCommand(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const s = out.style;
  if (ctx.positionals.length !== 2) throw new UsageError('--diff takes two files: OLD NEW', NAME);
  const results = [];
  for (const file of ctx.positionals) {
    const location = configLocation(ctx, file);
    const result = await check(ctx, location);
    if (!result.config) {
      if (out.json) out.printJson({ valid: false, file: location.display, issues: result.issues });
      else {
        out.line(`${s.red(s.bold('✖'))} ${s.bold(location.display)} has ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}; a reload to it would be refused`);
        out.write(table(result.issues.map((i) => [s.cyan(i.path || '(file)'), i.message]), { indent: 2 }));
      }
      return EXIT_CODES.usage;
    }
    results.push(result.config);
  }
  const diff = diffConfigs(results[0] as ResolvedConfig, results[1] as ResolvedConfig);
  if (out.json) out.printJson({ valid: true, diff });
  else for (const line of formatConfigDiff(diff)) out.line(line);
  return EXIT_CODES.ok;
}

async function check(ctx: CommandContext, location: ConfigLocation): Promise<{ issues: ConfigIssue[]; raw?: Raw; config?: ResolvedConfig }> {
  try {
    const raw = readConfigJson(location) as Raw;
    const config = validateConfig(raw, { env: ctx.io.env });
    // Start-up checks beyond the schema (PEM keys parse, each provider type has its plugin).
    const auth = createRestAuth(raw, { plugins: [jwtPlugin(), offline], env: ctx.io.env });
    await auth.close();
    return { issues: [], raw, config };
  } catch (err) {
    if (isRestAuthError(err) && err.code === 'config_error') return { issues: [...(err as unknown as { issues: ConfigIssue[] }).issues] };
    throw err;
  }
}

export const configCheckCommand: Command = {
  name: NAME,
  summary: 'Validate a config file and say in words what it enables',
  usage: '[FILE] | --diff OLD NEW',
  description: [
    'Reads FILE (default: --config, $RESTAUTH_CONFIG, ./restauth.config.json), validates it like an',
    'app does at start-up (without contacting any provider, Redis or PostgreSQL) and prints what it',
    'enables: providers and where their keys come from, API tokens, policy, rate limit and audit.',
    'Every problem is printed with its path. {"env": "NAME"} secrets must be set in the environment.',
    'With --diff OLD NEW, checks both and prints what a reload from OLD to NEW would change:',
    'providers added (+), removed (-) or changed (~), policy lines added or removed, other settings',
    'by path (never their values). Exit code: 0 valid, 1 valid but with warnings (--strict only),',
    '2 invalid or unreadable, or a usage error.',
  ].join('\n'),
  options: {
    strict: { type: 'boolean', description: 'Warnings are problems: exit 1 when there is any (for CI)' },
    diff: { type: 'boolean', description: 'Compare two configs: what a reload from OLD to NEW changes' },
  },
  positionals: { min: 0, max: 2 },
  examples: ['restauth config check', 'restauth config check deploy/prod.restauth.json --strict', 'restauth config check --json | jq .issues', 'restauth config check --diff live.json next.json'],
  async run(ctx) {
    const { out } = ctx;
    const s = out.style;
    if (ctx.values['diff'] === true) return diffCommand(ctx);
    if (ctx.positionals.length > 1) throw new UsageError(`unexpected argument "${ctx.positionals[1]}" (two files need --diff)`, NAME);
    const location = configLocation(ctx, ctx.positionals[0]);
    const { issues, raw, config } = await check(ctx, location);
    if (issues.length || !raw || !config) {
      if (out.json) {
        out.printJson({ valid: false, file: location.display, issues });
      } else {
        out.line(`${s.red(s.bold('✖'))} ${s.bold(location.display)} has ${issues.length} problem${issues.length === 1 ? '' : 's'}`);
        out.write(table(issues.map((i) => [s.cyan(i.path || '(file)'), i.message]), { indent: 2 }));
      }
      // An invalid config is invalid input, as for every other command: the app would not start.
      return EXIT_CODES.usage;
    }
    const summary = describeConfig(raw, config);
    const verdict = ctx.values['strict'] === true && summary.warnings.length ? EXIT_CODES.problem : EXIT_CODES.ok;
    if (out.json) {
      out.printJson({ valid: true, file: location.display, ...summary });
      return verdict;
    }
    out.line(`${s.green(s.bold('✔'))} ${s.bold(location.display)} is valid`, '');
    const sections: [string, readonly string[]][] = [
      ['Gate', [summary.gate]],
      ['Providers', [summary.providers.length ? `${summary.providers.length}, tried in order (a JWT goes to the provider of its issuer)` : 'none']],
      ...summary.providers.map((p): [string, readonly string[]] => [`  ${p.name}`, p.details]),
      ['API tokens', summary.apiTokens],
      ['Basic auth', [summary.basicAuth]],
      ['Policy', summary.policy],
      ['Rate limit', summary.rateLimit],
      ['Audit', summary.audit],
    ];
    const width = Math.max(...sections.map(([l]) => l.length)) + 2;
    for (const [l, parts] of sections) {
      const head = l.startsWith('  ') ? s.cyan(l) : s.bold(l);
      parts.forEach((part, i) => out.line(i === 0 ? padEnd(head, width) + part : ' '.repeat(width) + part));
    }
    if (summary.warnings.length) out.line('', ...summary.warnings.map((w) => `${s.yellow('warning:')} ${w}`));
    return verdict;
  },
};
