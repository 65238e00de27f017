import { isRestAuthError, type ApiTokenRecord, type ApiTokens, type ApiTokenStore, type Principal } from '@restauth/core';
import { intValue, listValue, stringValue, type Command, type CommandContext } from '../command.js';
import { loadConfigFile, type LoadedConfig } from '../config-file.js';
import { CliError, messageOf, UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { relativeTime, shortTime, table } from '../output.js';
import { buildGate, openTokenStore } from '../plugins.js';

// The CLI acts as an admin of the store: it lists and revokes every token. The group exists
// only inside this process (added to adminGroups of the CLI's own gate, never to the file).
const CLI_ADMIN_GROUP = 'restauth-cli:admin';
const CLI_ADMIN: Principal = {
  subject: 'restauth-cli', username: 'restauth-cli', groups: [CLI_ADMIN_GROUP], scopes: [],
  provider: 'restauth-cli', tokenType: 'basic', claims: {},
};

/** The config, when its API tokens live in a store the CLI can reach. */
function tokensConfig(ctx: CommandContext, command: string): LoadedConfig {
  const loaded = loadConfigFile(ctx);
  const at = loaded.resolved.apiTokens;
  const file = loaded.location.display;
  if (!at.enabled) {
    throw new CliError(`API tokens are off in ${file}`, { exitCode: EXIT_CODES.usage, code: 'config', hint: 'Set "apiTokens": {"enabled": true, "store": {"type": "postgres" | "redis"}}.' });
  }
  if (at.store.type === 'memory') {
    throw new CliError(`apiTokens.store in ${file} is "memory": those tokens live inside each running app, out of reach of a command line`, {
      exitCode: EXIT_CODES.usage, code: 'config',
      hint: `Use a shared store ({"type": "postgres"} or {"type": "redis"}) to manage tokens with "restauth ${command}", or the app's /auth/tokens routes.`,
    });
  }
  return loaded;
}

async function withTokens<T>(ctx: CommandContext, loaded: LoadedConfig, task: (tokens: ApiTokens) => Promise<T>, apiTokens: Record<string, unknown> = {}): Promise<T> {
  const at = loaded.resolved.apiTokens;
  const auth = await buildGate(loaded, ctx.io, {
    audit: { enabled: false },
    rateLimit: { enabled: false },
    apiTokens: { adminGroups: [...at.adminGroups, CLI_ADMIN_GROUP], ...apiTokens },
  });
  try {
    return await task(auth.tokens as ApiTokens);
  } finally {
    await auth.close();
  }
}

/** One read of the configured store itself (opened and closed here); a failure is exit 1. */
async function fromStore<T>(loaded: LoadedConfig, read: (store: ApiTokenStore) => Promise<T>): Promise<T> {
  const store = await openTokenStore(loaded);
  try {
    return await read(store);
  } catch (cause) {
    throw new CliError(`API token store is unavailable (${messageOf(cause)})`, { cause });
  } finally {
    await store.close?.();
  }
}

const unknownToken = (id: string) => new CliError(`No token with id ${id}`, { code: 'not_found' });

/** The provider a token owner authenticates with: `--provider`, or the only one there is. */
function ownerProvider(ctx: CommandContext, loaded: LoadedConfig, given: string | undefined, command: string): string {
  const names = loaded.resolved.providers.map((p) => p.name);
  const file = loaded.location.display;
  if (given !== undefined) {
    if (names.includes(given)) return given;
    // Basic credentials are checked by the app's own strategy, whose provider name the config does not know.
    if (!loaded.resolved.basicAuth.enabled) throw new UsageError(`--provider "${given}" is not a provider of ${file} (${names.join(', ') || 'it has none'})`, command);
    ctx.out.note(`${ctx.out.errStyle.yellow('note:')} "${given}" is not a provider of ${file}: it must be the provider name your app's Basic strategy reports`);
    return given;
  }
  if (names.length === 1) return names[0] as string;
  throw new UsageError(
    names.length
      ? `--provider is required: the user signs in through one of ${names.join(', ')}, and tokens are listed per provider`
      : `--provider is required: ${file} has no provider`,
    command,
  );
}

const expiryText = (at: string | null) => (at ? `${at} (${relativeTime(new Date(at))})` : 'never');

/** The secret, once, set apart, and the warning that it is not shown again. */
function printSecret(out: CommandContext['out'], token: string, after: string): void {
  out.line('', `  ${out.style.bold(token)}`, '');
  out.line(out.style.yellow('Copy the token now: it is not shown again.') + after);
}

const CREATE = 'tokens create';
export const tokensCreateCommand: Command = {
  name: CREATE,
  summary: 'Create an API token for a user; the secret is printed once',
  usage: '--user U --name N [--groups g1,g2] [--provider P] [--scopes a,b] [--days N]',
  description: [
    'Creates a token in the configured apiTokens.store (PostgreSQL or Redis) on behalf of a user, as',
    'if the user had called POST /auth/tokens: the user must be in apiTokens.creatorGroups (when',
    'set), and the token carries the given groups (as recorded now) and scopes. It is listed by the',
    "user's own GET /auth/tokens when --provider and --subject match how the user signs in.",
    'The secret is shown only in this output; the store keeps its hash.',
  ].join('\n'),
  options: {
    user: { type: 'string', short: 'u', value: 'USER', description: 'Username of the owner' },
    name: { type: 'string', short: 'n', value: 'NAME', description: 'Name of the token, e.g. "ci deploy"' },
    groups: { type: 'string', short: 'g', value: 'G1,G2', description: "The owner's groups, recorded with the token" },
    provider: { type: 'string', value: 'P', description: 'Provider the owner signs in with (default: the only one configured)' },
    subject: { type: 'string', value: 'SUB', description: "The owner's subject (sub) at the provider. Default: USER" },
    scopes: { type: 'string', short: 's', value: 'A,B', description: 'Scopes of the token. Default: none' },
    days: { type: 'string', short: 'd', value: 'N', description: 'Lifetime in days. Default: apiTokens.defaultLifetimeDays' },
  },
  positionals: { min: 0, max: 0 },
  examples: [
    'restauth tokens create --user alice --groups users,admins --name "ci deploy" --scopes items:read --days 30',
    'restauth tokens create -u build-bot -g services -n nightly --provider corp --json | jq -r .token',
  ],
  async run(ctx) {
    const { values, out } = ctx;
    const user = stringValue(values['user']);
    const name = stringValue(values['name']);
    if (!user) throw new UsageError('--user is required', CREATE);
    if (name === undefined) throw new UsageError('--name is required', CREATE);
    const groups = listValue(values['groups']) ?? [];
    const scopes = listValue(values['scopes']);
    const days = intValue(values['days'], 'days', CREATE, 1, 3650);
    const loaded = tokensConfig(ctx, CREATE);
    const provider = ownerProvider(ctx, loaded, stringValue(values['provider']), CREATE);
    return withTokens(ctx, loaded, async (tokens) => {
      const owner: Principal = {
        subject: stringValue(values['subject']) ?? user, username: user, groups, scopes: scopes ?? [],
        provider, tokenType: 'jwt', claims: {},
      };
      const created = await out.progress('Creating the token…', () =>
        tokens.create(owner, { name, ...(scopes ? { scopes } : {}), ...(days !== undefined ? { expiresInDays: days } : {}) }),
      );
      if (out.json) {
        out.printJson({ ...created, owner: { username: user, subject: owner.subject, provider, groups } });
        return EXIT_CODES.ok;
      }
      const s = out.style;
      out.line(`${s.green(s.bold('✔'))} Created API token ${s.bold(`"${created.name}"`)} for ${s.bold(user)} ${s.dim(`(${provider})`)}`);
      out.write(table([
        [s.dim('id'), created.id],
        [s.dim('groups'), groups.join(', ') || '-'],
        [s.dim('scopes'), created.scopes.join(' ') || '-'],
        [s.dim('expires'), expiryText(created.expiresAt)],
      ], { indent: 2 }));
      printSecret(out, created.token, s.dim(` Revoke it with: restauth tokens revoke ${created.id}`));
      return EXIT_CODES.ok;
    });
  },
};

const LIST = 'tokens list';

type TokenStatus = 'active' | 'expired' | 'revoked';

function statusOf(r: ApiTokenRecord, now: number): TokenStatus {
  if (r.revokedAt) return 'revoked';
  return r.expiresAt && r.expiresAt.getTime() <= now ? 'expired' : 'active';
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const tokensListCommand: Command = {
  name: LIST,
  summary: "List API tokens: one user's, or every token",
  usage: '[--user U [--provider P] | --all] [--active]',
  description: [
    'Lists the tokens in the configured apiTokens.store, newest first: owner, scopes, dates and',
    'status (active, expired or revoked; the stores keep revoked and expired tokens). Never a',
    'secret. Without --user, every token is listed (as with --all).',
  ].join('\n'),
  options: {
    user: { type: 'string', short: 'u', value: 'USER', description: 'Only tokens owned by this username' },
    provider: { type: 'string', value: 'P', description: 'With --user: only owners signing in through this provider' },
    all: { type: 'boolean', short: 'a', description: 'Every token (the default without --user)' },
    active: { type: 'boolean', description: 'Hide revoked and expired tokens' },
  },
  positionals: { min: 0, max: 0 },
  examples: ['restauth tokens list --user alice', 'restauth tokens list --all --active --json | jq -r ".tokens[].id"'],
  async run(ctx) {
    const { values, out } = ctx;
    const user = stringValue(values['user']);
    const provider = stringValue(values['provider']);
    if (user !== undefined && values['all']) throw new UsageError('--user and --all exclude each other', LIST);
    if (provider !== undefined && user === undefined) throw new UsageError('--provider needs --user', LIST);
    const loaded = tokensConfig(ctx, LIST);
    // Read from the store itself: core's listing has no revocation status, which an admin needs.
    const records = await fromStore(loaded, (store) => out.progress('Reading tokens…', () => store.list({})));
    const now = Date.now();
    const list = records
      .filter((r) => (user === undefined || r.owner.username === user) && (provider === undefined || r.owner.provider === provider))
      .filter((r) => !values['active'] || statusOf(r, now) === 'active')
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    if (out.json) {
      out.printJson({
        tokens: list.map((r) => ({
          id: r.id, name: r.name, scopes: r.scopes, status: statusOf(r, now),
          owner: { username: r.owner.username, provider: r.owner.provider, subject: r.owner.subject, groups: r.owner.groups },
          createdAt: iso(r.createdAt), expiresAt: iso(r.expiresAt), lastUsedAt: iso(r.lastUsedAt), revokedAt: iso(r.revokedAt),
        })),
      });
      return EXIT_CODES.ok;
    }
    const s = out.style;
    if (!list.length) {
      out.line(s.dim(user !== undefined ? `No API tokens owned by ${user}${provider ? ` (${provider})` : ''}.` : 'No API tokens.'));
      return EXIT_CODES.ok;
    }
    const statusText = (st: TokenStatus) => (st === 'active' ? s.green(st) : st === 'revoked' ? s.red(st) : s.yellow(st));
    out.write(table(
      list.map((r) => [r.id, r.name, `${r.owner.username} (${r.owner.provider})`, r.scopes.join(' ') || '-', statusText(statusOf(r, now)), shortTime(iso(r.createdAt)), shortTime(iso(r.expiresAt)), shortTime(iso(r.lastUsedAt))]),
      { header: ['ID', 'NAME', 'OWNER', 'SCOPES', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'], style: s },
    ));
    const active = list.filter((r) => statusOf(r, now) === 'active').length;
    out.line(s.dim(`${list.length} token${list.length === 1 ? '' : 's'}, ${active} active`));
    return EXIT_CODES.ok;
  },
};

const REVOKE = 'tokens revoke';
export const tokensRevokeCommand: Command = {
  name: REVOKE,
  summary: 'Revoke API tokens by id',
  usage: 'ID [ID...]',
  description: [
    'Revokes each token at once in the store; apps stop accepting it at once when the store tells',
    'them (Redis pub/sub, PostgreSQL NOTIFY), else within their short verification cache.',
    'Exit code: 0 all revoked, 1 some id is unknown.',
  ].join('\n'),
  options: {},
  positionals: { min: 1, max: 100 },
  examples: ['restauth tokens revoke 3fQk9LmB2xYz7HcD', 'restauth tokens list --user bob --json | jq -r ".tokens[].id" | xargs restauth tokens revoke'],
  async run(ctx) {
    const { out } = ctx;
    return withTokens(ctx, tokensConfig(ctx, REVOKE), async (tokens) => {
      const revoked: string[] = [];
      const unknown: string[] = [];
      for (const id of ctx.positionals) {
        try {
          await out.progress(`Revoking ${id}…`, () => tokens.revoke(CLI_ADMIN, id));
          revoked.push(id);
        } catch (err) {
          if (isRestAuthError(err) && err.code === 'not_found') unknown.push(id);
          else throw err;
        }
      }
      if (out.json) {
        out.printJson({ revoked, unknown });
      } else {
        const s = out.style;
        for (const id of revoked) out.line(`${s.green('✔')} Revoked ${id}`);
        for (const id of unknown) out.line(`${s.red('✖')} No token with id ${id}`);
      }
      return unknown.length ? EXIT_CODES.failure : EXIT_CODES.ok;
    });
  },
};

const ROLL = 'tokens roll';
const MAX_GRACE_SEC = 7 * 86_400;
/** `restauth tokens roll ID [--grace-sec N]`: a new secret for a token, as an operator of the store. */
export const tokensRollCommand: Command = {
  name: ROLL,
  summary: 'Give an API token a new secret; the old one may keep working for a grace period',
  usage: 'ID [--grace-sec N]',
  description: [
    'Rolls a token as its owner would with POST /auth/tokens/:id/roll: same id, name, scopes and',
    'expiry, a new secret printed once. The old secret keeps working for --grace-sec seconds',
    '(default 0: it stops at once), then is refused as revoked. The CLI acts as an operator of the',
    "store: it rolls any user's token on the owner's behalf (the HTTP route lets only the owner roll,",
    'and creatorGroups is not checked again). Apps drop the old record at once when the store',
    'announces it (Redis pub/sub, PostgreSQL NOTIFY). Exit code: 0 rolled, 1 unknown, revoked or',
    'expired token.',
  ].join('\n'),
  options: {
    'grace-sec': { type: 'string', value: 'N', description: `Seconds the old secret keeps working, 0 to ${MAX_GRACE_SEC} (7 days). Default: 0` },
  },
  positionals: { min: 1, max: 1 },
  examples: ['restauth tokens roll 3fQk9LmB2xYz7HcD --grace-sec 3600', 'restauth tokens roll 3fQk9LmB2xYz7HcD --json | jq -r .token'],
  async run(ctx) {
    const { values, out } = ctx;
    const id = ctx.positionals[0] as string;
    const graceSec = intValue(values['grace-sec'], 'grace-sec', ROLL, 0, MAX_GRACE_SEC) ?? 0;
    const loaded = tokensConfig(ctx, ROLL);
    const record = /^[0-9A-Za-z]{1,64}$/.test(id) ? await fromStore(loaded, (store) => store.get(id)) : undefined;
    if (!record) throw unknownToken(id);
    // Core lets only the owner roll: the operator acts as the owner recorded with the token.
    const owner: Principal = {
      subject: record.owner.subject, username: record.owner.username, groups: record.owner.groups, scopes: record.scopes,
      provider: record.owner.provider, tokenType: 'jwt', claims: {},
    };
    return withTokens(ctx, loaded, async (tokens) => {
      const startedAt = Date.now();
      let rolled;
      try {
        rolled = await out.progress(`Rolling ${id}…`, () => tokens.roll(owner, id, { graceSec }));
      } catch (err) {
        if (isRestAuthError(err) && err.code === 'not_found') throw unknownToken(id);
        // A revoked or expired token: the command ran and the answer is no.
        if (isRestAuthError(err) && err.code === 'invalid_request') throw new CliError(err.message);
        throw err;
      }
      const oldUntil = graceSec > 0 ? new Date(startedAt + graceSec * 1000).toISOString() : null;
      const ownerJson = { username: record.owner.username, subject: record.owner.subject, provider: record.owner.provider };
      if (out.json) {
        out.printJson({ ...rolled, graceSec, oldSecretUntil: oldUntil, owner: ownerJson });
        return EXIT_CODES.ok;
      }
      const s = out.style;
      out.line(`${s.green(s.bold('✔'))} Rolled API token ${s.bold(`"${rolled.name}"`)} of ${s.bold(record.owner.username)} ${s.dim(`(${record.owner.provider})`)}`);
      out.write(table([
        [s.dim('id'), rolled.id],
        [s.dim('scopes'), rolled.scopes.join(' ') || '-'],
        [s.dim('expires'), expiryText(rolled.expiresAt)],
        [s.dim('old secret'), oldUntil ? `works until ${oldUntil} (${relativeTime(new Date(oldUntil))})` : 'refused from now on'],
      ], { indent: 2 }));
      printSecret(out, rolled.token, '');
      return EXIT_CODES.ok;
    }, { creatorGroups: [] });
  },
};

const USAGE = 'tokens usage';
/** `restauth tokens usage ID [--days N]`: a token's per-day allowed and refused counts. */
export const tokensUsageCommand: Command = {
  name: USAGE,
  summary: "Per-day counts of an API token's allowed and refused requests",
  usage: 'ID [--days N]',
  description: [
    'Reads the per-day counts (UTC days, oldest first) that apps keep in the store, as GET',
    '/auth/tokens/:id/usage does for an admin. Each app instance writes its counts with its',
    'last-use batch (every 60 s and on close), so the last minute may be missing. Exit code: 0',
    'done, 1 unknown token id.',
  ].join('\n'),
  options: {
    days: { type: 'string', short: 'd', value: 'N', description: 'Days up to today, 1 to apiTokens.usageRetentionDays. Default: 7' },
  },
  positionals: { min: 1, max: 1 },
  examples: ['restauth tokens usage 3fQk9LmB2xYz7HcD --days 30', 'restauth tokens usage 3fQk9LmB2xYz7HcD --json | jq ".days[-1].allowed"'],
  async run(ctx) {
    const { values, out } = ctx;
    const id = ctx.positionals[0] as string;
    const given = intValue(values['days'], 'days', USAGE, 1, 400);
    const loaded = tokensConfig(ctx, USAGE);
    const retention = loaded.resolved.apiTokens.usageRetentionDays;
    if (given !== undefined && given > retention) {
      throw new UsageError(`--days must be a whole number from 1 to ${retention} (apiTokens.usageRetentionDays in ${loaded.location.display}), got "${given}"`, USAGE);
    }
    const days = given ?? Math.min(7, retention);
    return withTokens(ctx, loaded, async (tokens) => {
      let usage;
      try {
        usage = await out.progress('Reading usage…', () => tokens.usage(CLI_ADMIN, id, { days }));
      } catch (err) {
        if (isRestAuthError(err) && err.code === 'not_found') throw unknownToken(id);
        throw err;
      }
      const total = usage.days.reduce((t, d) => ({ allowed: t.allowed + d.allowed, refused: t.refused + d.refused }), { allowed: 0, refused: 0 });
      if (out.json) {
        out.printJson({ ...usage, total });
        return EXIT_CODES.ok;
      }
      const s = out.style;
      out.write(table(usage.days.map((d) => [d.day, String(d.allowed), String(d.refused)]), { header: ['DAY', 'ALLOWED', 'REFUSED'], style: s }));
      out.line(s.dim(`${total.allowed} allowed, ${total.refused} refused in ${days} day${days === 1 ? '' : 's'} (UTC)`));
      return EXIT_CODES.ok;
    });
  },
};
