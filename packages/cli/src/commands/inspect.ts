import { decodeJwt, getClaim, usernameCandidates, type ResolvedJwtProvider, type ResolvedProvider, type UsernameCandidate } from '@restauth/core';
import { stringValue, type Command, type CommandContext } from '../command.js';
import { configLocation, loadConfigFile, loadOptionalConfigFile, type LoadedConfig } from '../config-file.js';
import { CliError, ConfigFileError, UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { relativeTime, table, type Output } from '../output.js';
import { introspect, userinfo, type EndpointAnswer } from '../provider-endpoints.js';
import { readTokenArgument } from '../token-input.js';

const NAME = 'inspect';
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

type EndpointProvider = Extract<ResolvedProvider, { type: 'introspection' | 'userinfo' }>;

interface Attempt {
  readonly provider: string;
  readonly type: 'introspection' | 'userinfo';
  readonly endpoint: string;
  readonly ok: boolean;
  readonly reason?: string;
}

function claimValue(name: string, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (TIME_CLAIMS.has(name) && typeof value === 'number' && Number.isFinite(value)) {
    const d = new Date(value * 1000);
    return `${text}  (${d.toISOString()}, ${relativeTime(d)})`;
  }
  return text;
}

/** What restauth would think of a decoded JWT, as warnings (nothing here is a verification). */
function jwtWarnings(header: Record<string, unknown>, claims: Record<string, unknown>, provider: ResolvedJwtProvider | undefined, config: LoadedConfig | undefined): string[] {
  const w: string[] = [];
  const now = Date.now() / 1000;
  if (header['alg'] === 'none') w.push('alg is "none": an unsigned token, always rejected');
  for (const h of ['jku', 'x5u', 'jwk']) if (header[h] !== undefined) w.push(`header "${h}" is never followed by restauth`);
  if (typeof claims['exp'] === 'number' && claims['exp'] < now) w.push(`expired ${relativeTime(new Date(claims['exp'] * 1000))}`);
  if (typeof claims['nbf'] === 'number' && claims['nbf'] > now) w.push(`not valid before ${new Date(claims['nbf'] * 1000).toISOString()}`);
  if (config && !provider) {
    const issuers = config.resolved.providers.filter((p) => p.type === 'jwt').map((p) => p.issuer);
    const opaque = config.resolved.providers.filter((p) => p.type !== 'jwt').map((p) => p.name);
    w.push(`no JWT provider in ${config.location.display} has issuer ${JSON.stringify(claims['iss'] ?? null)}${issuers.length ? ` (configured: ${issuers.join(', ')})` : ''}: ${
      opaque.length ? `restauth would ask ${opaque.join(', ')} about it (see what they say with --remote)` : 'restauth would reject it'}`);
  }
  if (provider) {
    const aud = typeof claims['aud'] === 'string' ? [claims['aud']] : Array.isArray(claims['aud']) ? claims['aud'] : [];
    if (!aud.some((a) => provider.audience.includes(a as string))) w.push(`aud ${JSON.stringify(claims['aud'] ?? null)} is not among provider "${provider.name}"'s audience (${provider.audience.join(', ')})`);
    if (typeof header['alg'] === 'string' && !provider.algorithms.includes(header['alg'])) w.push(`alg ${header['alg']} is not allowed for provider "${provider.name}" (${provider.algorithms.join(', ')})`);
    if (provider.requireTyp && header['typ'] !== provider.requireTyp) w.push(`typ must be "${provider.requireTyp}" for provider "${provider.name}"`);
  }
  return w;
}

function usernameOutcome(claims: Record<string, unknown>, claim: string | undefined): { username: string | null; detail: string } {
  if (!claim) return { username: null, detail: '' };
  const value = getClaim(claims, claim);
  if (typeof value === 'string' && value !== '') return { username: value, detail: `from "${claim}"` };
  const sub = typeof claims['sub'] === 'string' && claims['sub'] !== '' ? claims['sub'] : null;
  return { username: sub, detail: `"${claim}" is missing or not a string: ${sub ? 'falls back to "sub"' : 'no "sub" either'}` };
}

function printCandidates(out: Output, candidates: readonly UsernameCandidate[], configuredClaim: string | undefined): void {
  const s = out.style;
  out.line('', s.bold('Username candidates') + s.dim('  (claims that could be the provider\'s "usernameClaim")'));
  if (!candidates.length) {
    out.line(`  ${s.dim('no string claim that could name the user')}`);
    return;
  }
  out.write(table(candidates.map((c) => [s.cyan(c.claim), c.value, s.dim(c.note) + (c.configured ? s.green('  ← configured') : '')]), { indent: 2 }));
  const best = candidates.find((c) => !c.configured && !['sub', 'oid', 'name', 'given_name', 'user_id', 'uid'].includes(c.claim)) ?? candidates[0];
  const configuredOk = configuredClaim !== undefined && candidates.some((c) => c.configured);
  if (!configuredOk && best) out.line('', `Suggested: ${s.bold(`"usernameClaim": "${best.claim}"`)}`);
}

function claimsTable(out: Output, claims: Record<string, unknown>): void {
  out.write(table(Object.entries(claims).map(([k, v]) => [out.style.cyan(k), claimValue(k, v)]), { indent: 2 }));
}

async function askEndpoints(ctx: CommandContext, config: LoadedConfig, token: string, only: string | undefined): Promise<{ answer?: { provider: EndpointProvider; claims: Record<string, unknown> }; attempts: Attempt[] }> {
  const all = config.resolved.providers;
  if (only !== undefined && !all.some((p) => p.name === only)) {
    throw new UsageError(`no provider named "${only}" in ${config.location.display} (providers: ${all.map((p) => p.name).join(', ') || 'none'})`, NAME);
  }
  const endpoints = all.filter((p): p is EndpointProvider => (p.type === 'introspection' || p.type === 'userinfo') && (only === undefined || p.name === only));
  if (!endpoints.length) {
    throw new CliError(
      only !== undefined
        ? `provider "${only}" is a ${all.find((p) => p.name === only)?.type} provider: only introspection and userinfo providers have an endpoint to ask`
        : `${config.location.display} has no introspection or userinfo provider to ask about an opaque token`,
      { exitCode: EXIT_CODES.usage, code: 'config', hint: 'A JWT is decoded without any provider; an opaque token needs a provider of type "introspection" or "userinfo".' },
    );
  }
  const attempts: Attempt[] = [];
  for (const p of endpoints) {
    const endpoint = p.type === 'introspection' ? p.introspectionEndpoint : p.userinfoEndpoint;
    const answer: EndpointAnswer = await ctx.out.progress(`Asking ${p.name} (${p.type} at ${new URL(endpoint).host})…`, () => (p.type === 'introspection' ? introspect(p, token) : userinfo(p, token)));
    attempts.push({ provider: p.name, type: p.type, endpoint, ok: answer.ok, ...(answer.ok ? {} : { reason: answer.reason }) });
    if (answer.ok) return { answer: { provider: p, claims: answer.claims }, attempts };
  }
  return { attempts };
}

export const inspectCommand: Command = {
  name: NAME,
  summary: 'Decode a JWT or ask the provider about an opaque token; list the claims that could be the username',
  usage: 'TOKEN [--provider NAME] [--remote]',
  description: [
    'A JWT is decoded locally and NOT verified (use test-token for that); its issuer is matched to',
    'the configured JWT provider when there is a config. An opaque token is sent to the configured',
    'introspection endpoints (POST, with the client credentials) and userinfo endpoints (GET, as a',
    'bearer token), in config order, until one accepts it. Either way the string claims that could',
    'serve as the provider\'s "usernameClaim" are listed, most suitable first.',
    'Pass "-" as TOKEN to read it from standard input. Exit code: 0 decoded or accepted, 1 not',
    'accepted by any endpoint, 2 usage or config error.',
  ].join('\n'),
  options: {
    provider: { type: 'string', value: 'NAME', description: 'Ask only this introspection or userinfo provider' },
    remote: { type: 'boolean', description: 'Also ask the endpoints about a JWT (their claims may differ)' },
  },
  positionals: { min: 1, max: 1 },
  tokenArgument: true,
  examples: [
    'restauth inspect eyJhbGciOiJSUzI1NiIsImtpZCI6Ij...',
    'restauth inspect "$OPAQUE_TOKEN" --config restauth.config.json',
    'restauth inspect - --provider github --json < token.txt',
  ],
  async run(ctx) {
    const { out } = ctx;
    const s = out.style;
    const token = await readTokenArgument(ctx.positionals[0] as string, ctx.io, NAME);
    const only = stringValue(ctx.values['provider']);
    const decoded = decodeJwt(token);

    if (decoded?.kind === 'jws' && !ctx.values['remote'] && only === undefined) {
      let config: LoadedConfig | undefined;
      try {
        config = loadOptionalConfigFile(ctx);
      } catch (err) {
        if (!(err instanceof ConfigFileError && configLocation(ctx).source === 'default')) throw err;
        out.note(`${out.errStyle.yellow('note:')} ignoring ${configLocation(ctx).display}: ${err.issues.length ? err.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : err.message}`);
      }
      const { header, claims } = decoded;
      const provider = config?.resolved.providers.find((p): p is ResolvedJwtProvider => p.type === 'jwt' && p.issuer === claims['iss']);
      const configuredClaim = provider?.usernameClaim;
      const candidates = usernameCandidates(claims, configuredClaim);
      const outcome = usernameOutcome(claims, configuredClaim);
      const warnings = jwtWarnings(header, claims, provider, config);
      if (out.json) {
        out.printJson({
          kind: 'jwt', verified: false, header, claims,
          provider: provider?.name ?? null, usernameClaim: configuredClaim ?? null, username: outcome.username,
          candidates, warnings,
        });
        return EXIT_CODES.ok;
      }
      out.line(`${s.bold('JWT')}  ${s.yellow('decoded, NOT verified')} ${s.dim('(restauth test-token checks the signature)')}`, '', s.bold('Header'));
      out.write(table(Object.entries(header).map(([k, v]) => [s.cyan(k), typeof v === 'string' ? v : JSON.stringify(v)]), { indent: 2 }));
      out.line('', s.bold('Claims'));
      claimsTable(out, claims);
      if (provider) {
        out.line('', `${s.bold('Provider')}  ${provider.name} ${s.dim(`(issuer matches; usernameClaim "${provider.usernameClaim}")`)}`);
        out.line(`${s.bold('Username')}  ${outcome.username ?? '-'} ${s.dim(outcome.detail)}`);
      }
      printCandidates(out, candidates, configuredClaim);
      if (warnings.length) out.line('', ...warnings.map((w) => `${s.yellow('warning:')} ${w}`));
      return EXIT_CODES.ok;
    }

    const config = loadConfigFile(ctx);
    const { answer, attempts } = await askEndpoints(ctx, config, token, only);
    const kind = decoded ? (decoded.kind === 'jwe' ? 'jwe' : 'jwt') : 'opaque';
    if (!answer) {
      if (out.json) {
        out.printJson({ kind, accepted: false, attempts });
      } else {
        out.line(`${s.red(s.bold('✖ Not accepted'))} by any configured endpoint`);
        out.write(table(attempts.map((a) => [a.provider, a.type, a.reason ?? '']), { indent: 2 }));
      }
      return EXIT_CODES.failure;
    }
    const { provider, claims } = answer;
    const candidates = usernameCandidates(claims, provider.usernameClaim);
    const outcome = usernameOutcome(claims, provider.usernameClaim);
    const endpoint = provider.type === 'introspection' ? provider.introspectionEndpoint : provider.userinfoEndpoint;
    if (out.json) {
      out.printJson({
        kind, accepted: true, source: { provider: provider.name, type: provider.type, endpoint },
        ...(decoded && decoded.kind === 'jws' ? { header: decoded.header, tokenClaims: decoded.claims } : {}),
        claims, provider: provider.name, usernameClaim: provider.usernameClaim, username: outcome.username, candidates, attempts,
      });
      return EXIT_CODES.ok;
    }
    out.line(`${s.bold(kind === 'opaque' ? 'Opaque token' : kind === 'jwe' ? 'Encrypted JWT' : 'JWT')}  ${s.green(`accepted by ${provider.name}`)} ${s.dim(`(${provider.type} at ${endpoint})`)}`);
    for (const a of attempts) if (!a.ok) out.line(s.dim(`  ${a.provider} (${a.type}): ${a.reason}`));
    out.line('', s.bold(provider.type === 'introspection' ? 'Introspection answer' : 'Userinfo claims'));
    claimsTable(out, claims);
    out.line('', `${s.bold('Username')}  ${outcome.username ?? '-'} ${s.dim(outcome.detail)}`);
    printCandidates(out, candidates, provider.usernameClaim);
    return EXIT_CODES.ok;
  },
};
