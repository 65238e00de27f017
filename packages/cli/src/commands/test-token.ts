import { API_TOKEN_PREFIX, describePrincipal, parseIp, type Explanation, type ExplainStep, type Principal } from '@restauth/core';
import { stringValue, type Command, type CommandContext } from '../command.js';
import { loadConfigFile } from '../config-file.js';
import { UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { relativeTime, table, type Style } from '../output.js';
import { buildGate } from '../plugins.js';
import { readTokenArgument } from '../token-input.js';

const NAME = 'test-token';

function parseHeaders(values: string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of values ?? []) {
    const i = h.indexOf(':');
    const name = i > 0 ? h.slice(0, i).trim().toLowerCase() : '';
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new UsageError(`--header must look like "Name: value", got "${h}"`, NAME);
    if (name === 'authorization') throw new UsageError('the Authorization header is built from TOKEN; do not pass it with --header', NAME);
    const value = h.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}

/** The principal as JSON: the caller-facing summary, plus subject and expiry. */
function principalJson(p: Principal | undefined) {
  const summary = describePrincipal(p);
  if (!p || !summary) return null;
  return { ...summary, subject: p.subject, expiresAt: p.expiresAt ? p.expiresAt.toISOString() : null, ...(p.tokenId ? { tokenId: p.tokenId } : {}) };
}

/** The step that decided: the failing one for a deny, bypass/disabled for those allows. */
function decidingStep(e: Explanation): number {
  const { decision, steps } = e;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i] as ExplainStep;
    if (!decision.allowed && s.result === 'fail') return i;
    if (decision.allowed && (decision.reason === 'bypass' || decision.reason === 'disabled') && s.check === decision.reason && s.result === 'pass') return i;
  }
  return -1;
}

function resultText(result: ExplainStep['result'], style: Style): string {
  switch (result) {
    case 'pass': return style.green('pass');
    case 'fail': return style.red('fail');
    case 'would-fail': return style.yellow('would-fail');
    default: return style.dim('skip');
  }
}

export const testTokenCommand: Command = {
  name: NAME,
  summary: 'Run the whole gate for a synthetic request and show the decision',
  usage: 'TOKEN [--method M] [--path P] [--ip IP] [--header "Name: value"]... [--public]',
  description: [
    'Builds the gate from the config exactly as an app would (providers, API tokens, policy, rate',
    'limit) and explains one request carrying TOKEN as a bearer token: every check in order, the',
    'one that decided, and the principal. Pass "-" as TOKEN to read it from standard input.',
    'Nothing is written to the audit trail; with rate limiting on, the request counts as one hit.',
    'Exit code: 0 allowed, 1 denied, 2 usage or config error.',
  ].join('\n'),
  options: {
    method: { type: 'string', short: 'X', value: 'METHOD', description: 'HTTP method. Default GET' },
    path: { type: 'string', short: 'p', value: 'PATH', description: 'Request path (and query). Default /' },
    ip: { type: 'string', value: 'IP', description: 'Address of the TCP peer. Default 127.0.0.1' },
    header: { type: 'string', short: 'H', multiple: true, value: '"NAME: VALUE"', description: 'Extra request header, e.g. "X-Forwarded-For: 203.0.113.7"' },
    public: { type: 'boolean', description: "Treat the route as declared public in the app's code" },
  },
  positionals: { min: 1, max: 1 },
  tokenArgument: true,
  examples: [
    'restauth test-token "$TOKEN" --method DELETE --path /api/items/1',
    'pbpaste | restauth test-token - --path /api/admin/users --json',
    'restauth test-token "$TOKEN" --ip 10.0.0.5 -H "X-Forwarded-For: 203.0.113.7"',
  ],
  async run(ctx: CommandContext): Promise<number> {
    const { values, out } = ctx;
    const method = (stringValue(values['method']) ?? 'GET').toUpperCase();
    if (!/^[A-Z]{1,20}$/.test(method)) throw new UsageError(`--method must be an HTTP method, got "${method}"`, NAME);
    const path = stringValue(values['path']) ?? '/';
    if (!path.startsWith('/') && !/^https?:\/\//i.test(path)) throw new UsageError(`--path must start with "/", got "${path}"`, NAME);
    const ip = stringValue(values['ip']) ?? '127.0.0.1';
    if (!parseIp(ip)) throw new UsageError(`--ip must be an IPv4 or IPv6 address, got "${ip}"`, NAME);
    const headers = parseHeaders(values['header'] as string[] | undefined);
    const token = await readTokenArgument(ctx.positionals[0] as string, ctx.io, NAME);

    const loaded = loadConfigFile(ctx);
    const auth = await buildGate(loaded, ctx.io, { audit: { enabled: false } });
    let explanation: Explanation;
    try {
      explanation = await out.progress('Checking the token…', () =>
        auth.explain({ method, url: path, headers: { ...headers, authorization: `Bearer ${token}` }, remoteAddress: ip }, values['public'] ? { public: true } : undefined),
      );
    } finally {
      await auth.close();
    }

    const { decision, steps } = explanation;
    const decider = decidingStep(explanation);
    const exit = decision.allowed ? EXIT_CODES.allow : EXIT_CODES.deny;
    const memoryTokens = token.startsWith(API_TOKEN_PREFIX) && loaded.resolved.apiTokens.enabled && loaded.resolved.apiTokens.store.type === 'memory';
    const notes = memoryTokens ? ['apiTokens.store is "memory": API tokens issued by a running app live only in its process, so the CLI cannot know them.'] : [];

    if (out.json) {
      out.printJson({
        decision: decision.allowed ? (decision.wouldDeny ? 'would-deny' : 'allow') : 'deny',
        allowed: decision.allowed,
        status: decision.status,
        reason: decision.reason,
        decidedBy: decider >= 0 ? steps[decider] : { check: decision.reason, result: decision.allowed ? 'pass' : 'fail', detail: decision.error?.message ?? '' },
        error: decision.error ? { code: decision.body ? (JSON.parse(decision.body) as { error: string }).error : decision.error.code, message: decision.error.message } : null,
        wouldDeny: decision.wouldDeny ? { reason: decision.wouldDeny.reason, code: decision.wouldDeny.error.code, message: decision.wouldDeny.error.message } : null,
        request: { method, path, ip, headers: Object.keys(headers) },
        principal: principalJson(decision.principal),
        steps,
        headers: decision.headers,
        config: loaded.location.display,
        notes,
      });
      return exit;
    }

    const s = out.style;
    const lines: string[] = [];
    if (decision.allowed) {
      lines.push(`${s.green(s.bold('✔ ALLOW'))}  ${decision.status}  ${method} ${path}`);
    } else {
      const code = decision.body ? (JSON.parse(decision.body) as { error: string }).error : decision.error?.code;
      lines.push(`${s.red(s.bold('✖ DENY'))}  ${decision.status} ${code}  ${method} ${path}`);
    }
    const decidedBy = decider >= 0
      ? `${(steps[decider] as ExplainStep).check}: ${(steps[decider] as ExplainStep).detail}`
      : decision.allowed ? `${decision.reason}: every check passed` : `${decision.reason}: ${decision.error?.message ?? ''}`;
    lines.push(`  decided by  ${s.bold(decidedBy)}`);
    if (decision.wouldDeny) lines.push(`  ${s.yellow('would deny')}  ${decision.wouldDeny.reason}: ${decision.wouldDeny.error.message} (report-only: allowed for now)`);

    const p = decision.principal;
    lines.push('', s.bold('Principal'));
    if (p) {
      const rows: string[][] = [
        ['username', p.username],
        ['subject', p.subject || '-'],
        ['provider', `${p.provider} (${p.tokenType})`],
        ['groups', p.groups.join(', ') || '-'],
        ['scopes', p.scopes.join(' ') || '-'],
        ['client', p.clientId ?? '-'],
        ['expires', p.expiresAt ? `${p.expiresAt.toISOString()} (${relativeTime(p.expiresAt)})` : '-'],
      ];
      lines.push(table(rows.map(([k, v]) => [s.dim(k as string), v as string]), { indent: 2 }).trimEnd());
    } else {
      lines.push(`  ${s.dim('none (the token was not verified, or the request never reached verification)')}`);
    }

    lines.push('', s.bold('Checks'));
    lines.push(table(steps.map((st, i) => [st.check, resultText(st.result, s), st.detail + (i === decider ? s.bold('  ← decided') : '')]), { indent: 2 }).trimEnd());
    lines.push('', s.dim(`request  ${method} ${path} from ${ip}; config ${loaded.location.display}`));
    out.line(...lines);
    for (const n of notes) out.note(`${out.errStyle.yellow('note:')} ${n}`);
    return exit;
  },
};
