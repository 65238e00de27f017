import { isRestAuthError, type ApiTokenRecord, type ApiTokens, type Principal } from '@restauth/core';
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

async function withTokens<T>(ctx: CommandContext, loaded: LoadedConfig, task: (tokens: ApiTokens) => Promise<T>): Promise<T> {
  const at = loaded.resolved.apiTokens;
  const auth = await buildGate(loaded, ctx.io, {
    audit: { enabled: false },
    rateLimit: { enabled: false },
    apiTokens: { adminGroups: [...at.adminGroups, CLI_ADMIN_GROUP] },
  });
  try {
    return await task(auth.tokens as ApiTokens);
  } finally {
    await auth.close();
  }
}

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
        [s.dim('expires'), created.expiresAt ? `${created.expiresAt} (${relativeTime(new Date(created.expiresAt))})` : 'never'],
      ], { indent: 2 }));
      out.line('', `  ${s.bold(created.token)}`, '');
      out.line(s.yellow('Copy the token now: it is not shown again.') + s.dim(` Revoke it with: restauth tokens revoke ${created.id}`));
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
    const store = await openTokenStore(loaded);
    let records: ApiTokenRecord[];
    try {
      records = await out.progress('Reading tokens…', () => store.list({}));
    } catch (cause) {
      throw new CliError(`API token store is unavailable (${messageOf(cause)})`, { cause });
    } finally {
      await store.close?.();
    }
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
