/**
 * The configuration schema, written in the language of schema-dsl.ts: one definition gives
 * validateConfig its checks and defaults, and restauth.schema.json its content
 * (`npm run schema -w @restauth/core`).
 */
import { parseCidr } from '../ip.js';
import { CLIENT_ASSERTION_ALGORITHMS } from '../opaque/client-assertion.js';
import { compilePattern, HTTP_METHODS } from '../route-pattern.js';
import { arr, bool, byType, join, literal, num, obj, optional, required, secret, str, tagged, url, withDefault, type Node, type Prop, type ValidationContext } from './schema-dsl.js';
import { BINDING_MODES, CUSTOM_PRESET, PRESETS, type ProviderPreset } from './presets.js';

/** Algorithms a JWT provider may allow. `none` is not among them. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
/** HMAC algorithms, for providers configured with a shared `secret`. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

const name = str({ pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, patternHint: 'must be 1-64 letters, digits, "_", "." or "-"', description: 'Unique provider name, reported as principal.provider.' });
const claim = (description: string) => optional(str({ minLength: 1, description }));
const strings = (description: string) => arr(str({ minLength: 1 }), { description });
/** One non-empty string or a non-empty list of them. */
const oneOrMore = (description: string) => byType({ string: str({ minLength: 1 }), array: arr(str({ minLength: 1 }), { minItems: 1 }) }, { description });
const claims = {
  usernameClaim: withDefault(str({ minLength: 1, description: 'Claim holding the username (dotted path allowed).' }), 'preferred_username'),
  groupsClaim: withDefault(str({ minLength: 1, description: 'Claim holding the groups (dotted path allowed).' }), 'groups'),
  clientIdClaim: claim('Claim naming the OAuth client. Default: client_id, azp, appid.'),
  scopeClaim: claim('Claim holding the scopes. Default: scope, then scp.'),
};
/** How a provider treats sender-constrained tokens; docs/dpop.md. */
const bindings = {
  dpop: withDefault(str({ enum: BINDING_MODES, description: 'DPoP (RFC 9449): off (DPoP scheme refused), allowed (a cnf.jkt token needs a proof; bearer tokens pass) or required (bearer refused).' }), 'allowed'),
  certificateBound: withDefault(str({ enum: BINDING_MODES, description: 'Certificate-bound tokens (RFC 8705): off, allowed (a cnf x5t#S256 token needs its client certificate) or required.' }), 'allowed'),
};
/** Asymmetric algorithms a DPoP proof may use by default (RFC 9449 §4.3 forbids symmetric ones and none). */
export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
const timeoutMs = withDefault(num({ integer: true, min: 100, max: 60000, description: 'Timeout of one outbound call, ms.' }), 5000);
const cacheTtlSec = withDefault(num({ integer: true, min: 0, max: 86400, description: 'Cache lifetime of a provider answer, seconds.' }), 60);

const KEY_SOURCES = ['jwksUri', 'discovery', 'publicKey', 'certificate', 'secret'] as const;

/** Exactly one key source, algorithms that fit it (its default set when none are given), and a list for `audience`. */
function refineJwt(p: Record<string, unknown>, path: string, ctx: ValidationContext): void {
  const sources = KEY_SOURCES.filter((k) => p[k] !== undefined && p[k] !== false);
  if (sources.length !== 1) {
    ctx.issues.push({
      path,
      message: sources.length === 0
        ? `needs exactly one key source: ${KEY_SOURCES.join(', ')}`
        : `has more than one key source (${sources.join(', ')}); keep exactly one`,
    });
    return;
  }
  const hmac = sources[0] === 'secret';
  const allowed: readonly string[] = hmac ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  if (p['algorithms'] === undefined) p['algorithms'] = [...allowed];
  (p['algorithms'] as string[]).forEach((alg, i) => {
    if (!allowed.includes(alg)) {
      ctx.issues.push({
        path: join(join(path, 'algorithms'), i),
        message: `"${alg}" is not allowed with ${hmac ? 'a shared secret' : 'a public key'} (use ${allowed.join(', ')})`,
      });
    }
  });
  if (typeof p['audience'] === 'string') p['audience'] = [p['audience']];
}

const jwtProvider = obj(
  {
    name: required(name),
    type: required(literal('jwt')),
    issuer: required(str({ minLength: 1, description: 'Exact iss value of the tokens.' })),
    audience: required(oneOrMore('Accepted aud value(s).')),
    audienceClaim: optional(str({ minLength: 1, description: 'Claim compared with audience instead of aud (Amazon Cognito access tokens: client_id).' })),
    jwksUri: optional(url({ description: 'JWKS URL.' })),
    discovery: optional(bool({ description: "Use the issuer's /.well-known/openid-configuration." })),
    publicKey: optional(str({ pattern: /-----BEGIN PUBLIC KEY-----/, patternHint: 'must be a PEM SPKI public key ("-----BEGIN PUBLIC KEY-----")', description: 'PEM SPKI public key.' })),
    certificate: optional(str({ pattern: /-----BEGIN CERTIFICATE-----/, patternHint: 'must be a PEM X.509 certificate ("-----BEGIN CERTIFICATE-----")', description: 'PEM X.509 certificate.' })),
    secret: optional(secret({ minLength: 32, description: 'HMAC shared secret, at least 32 bytes.' })),
    algorithms: optional(arr(str({ minLength: 1 }), { minItems: 1, description: 'Allowed alg values.' })),
    clockToleranceSec: withDefault(num({ integer: true, min: 0, max: 300, description: 'Allowed clock skew, seconds.' }), 30),
    requireTyp: optional(str({ minLength: 1, description: 'Required typ header, e.g. at+jwt (RFC 9068).' })),
    jwksCacheTtlSec: withDefault(num({ integer: true, min: 1, max: 86400 }), 600),
    jwksCooldownSec: withDefault(num({ integer: true, min: 0, max: 3600 }), 30),
    timeoutMs,
    ...claims,
    ...bindings,
  },
  { refine: refineJwt, description: 'JWT provider.' },
);

const CLIENT_AUTH = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** Each client authentication with the keys it uses, and no others; a list for `audience`. */
function refineIntrospection(p: Record<string, unknown>, path: string, ctx: ValidationContext): void {
  if (p['clientAuth'] === 'private_key_jwt') {
    if (p['privateKey'] === undefined) ctx.issues.push({ path: join(path, 'privateKey'), message: 'is required with clientAuth "private_key_jwt"' });
    if (p['clientSecret'] !== undefined) ctx.issues.push({ path: join(path, 'clientSecret'), message: 'is not used with clientAuth "private_key_jwt"; remove it' });
  } else {
    if (p['clientSecret'] === undefined) ctx.issues.push({ path: join(path, 'clientSecret'), message: `is required with clientAuth "${String(p['clientAuth'])}"` });
    for (const k of ['privateKey', 'keyId', 'assertionAlgorithm', 'assertionAudience']) {
      if (p[k] !== undefined) ctx.issues.push({ path: join(path, k), message: 'is only used with clientAuth "private_key_jwt"' });
    }
  }
  if (typeof p['audience'] === 'string') p['audience'] = [p['audience']];
}

const introspectionProvider = obj({
  name: required(name),
  type: required(literal('introspection')),
  introspectionEndpoint: required(url({ description: 'RFC 7662 introspection endpoint.' })),
  clientId: required(str({ minLength: 1, description: 'Client restauth authenticates as.' })),
  clientSecret: optional(secret({ description: 'Client secret (client_secret_basic, client_secret_post).' })),
  clientAuth: withDefault(str({ enum: CLIENT_AUTH, description: 'Client authentication at the endpoint.' }), 'client_secret_basic'),
  privateKey: optional(secret({ description: 'PEM private key for private_key_jwt client assertions.' })),
  keyId: optional(str({ minLength: 1, description: 'kid header of client assertions.' })),
  assertionAlgorithm: optional(str({ enum: CLIENT_ASSERTION_ALGORITHMS, description: 'Client assertion algorithm; default from the key.' })),
  assertionAudience: optional(str({ minLength: 1, description: 'aud of client assertions; default the introspection endpoint.' })),
  audience: optional(oneOrMore('When set, the answer\'s aud must name one of these.')),
  cacheTtlSec,
  timeoutMs,
  ...claims,
  ...bindings,
  usernameClaim: withDefault(str({ minLength: 1, description: 'Member holding the username (dotted path allowed); falls back to sub, then client_id.' }), 'username'),
}, { refine: refineIntrospection, description: 'RFC 7662 introspection provider.' });

const userinfoProvider = obj({
  name: required(name),
  type: required(literal('userinfo')),
  userinfoEndpoint: required(url({ description: 'Userinfo (or current-user) endpoint, called with the bearer token.' })),
  cacheTtlSec,
  timeoutMs,
  ...claims,
}, { description: 'Userinfo provider.' });

/** The keys of each store or sink type besides `type`. */
const STORE_KEYS: Readonly<Record<string, Readonly<Record<string, Prop>>>> = {
  memory: {},
  stdout: {},
  redis: {
    url: optional(secret({ description: 'redis connection URL; default from REDIS_URL.' })),
    keyPrefix: optional(str({ minLength: 1 })),
  },
  postgres: {
    url: optional(secret({ description: 'postgres connection URL; default from DATABASE_URL.' })),
    table: optional(str({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, patternHint: 'must be a lower-case SQL identifier' })),
  },
  file: { path: required(str({ minLength: 1 })), maxFileBytes: optional(num({ integer: true, min: 1024 })) },
};
const store = (types: readonly string[]): Node =>
  tagged({ type: Object.fromEntries(types.map((t) => [t, obj({ type: required(literal(t)), ...STORE_KEYS[t] })])) });

const pattern = (description: string): Node => str({ minLength: 1, description, refine: (s, path, ctx) => void compilePattern(s, path, ctx.issues) });
const patterns = (description: string) => withDefault(arr(pattern('"[METHOD ]/path"'), { description }), []);

const cidr = str({
  description: 'IPv4/IPv6 address or CIDR range.',
  refine(s, path, ctx) {
    if (!parseCidr(s)) ctx.issues.push({ path, message: `invalid IP address or CIDR range ${JSON.stringify(s)}` });
  },
});

const mode = str({ enum: ['enforce', 'report-only'] });

const rule = obj({
  match: required(pattern('Route pattern "[METHOD ]/path".')),
  methods: optional(arr(str({ enum: HTTP_METHODS }), { minItems: 1 })),
  groups: optional(strings('One of these groups is required.')),
  scopes: optional(strings('All of these scopes are required.')),
  mode: optional(mode),
  rateLimit: optional(obj({
    limit: required(num({ integer: true, min: 1 })),
    windowSec: required(num({ min: 0.001 })),
    burst: optional(num({ integer: true, min: 1 })),
  })),
});

const providerTypes: Readonly<Record<string, Node>> = { jwt: jwtProvider, introspection: introspectionProvider, userinfo: userinfoProvider };

/**
 * A preset entry: its own keys are checked, then it is expanded and checked as the plain
 * provider it stands for, at the same path (so a key the plain type does not take is reported
 * where it was written).
 */
function presetProvider(key: string, preset: ProviderPreset): Node {
  const own = obj({ name: required(name), preset: required(literal(key)), ...preset.props }, { description: preset.description, refine: preset.refine });
  return {
    check(v, path, ctx) {
      const before = ctx.issues.length;
      const given = own.check(v, path, ctx);
      if (ctx.issues.length > before) return undefined;
      const plain = preset.expand(given as Record<string, unknown>);
      return providerTypes[plain['type'] as string]?.check(plain, path, ctx);
    },
    jsonSchema: own.jsonSchema,
  };
}

/**
 * `"preset": "custom"`: any provider type with your own endpoints. It adds nothing to writing
 * the type directly but a uniform look in preset-based configs; `type` is required, and the
 * entry is checked exactly as that type.
 */
const customProvider: Node = {
  check(v, path, ctx) {
    const { preset: _preset, ...plain } = v as Record<string, unknown>;
    const t = plain['type'];
    const node = typeof t === 'string' && Object.hasOwn(providerTypes, t) ? providerTypes[t] : undefined;
    if (node) return node.check(plain, path, ctx);
    const types = Object.keys(providerTypes).map((k) => JSON.stringify(k)).join(', ');
    ctx.issues.push({ path: join(path, 'type'), message: t === undefined ? `is required with preset "custom" (one of ${types})` : `must be one of ${types}, got ${JSON.stringify(t)}` });
    return undefined;
  },
  jsonSchema: () => ({
    description: 'Your own provider: "type" jwt, introspection or userinfo with that type\'s keys. docs/providers/custom.md',
    oneOf: Object.values(providerTypes).map((n) => {
      const s = n.jsonSchema() as { properties: Record<string, unknown>; required?: string[] };
      return { ...s, properties: { ...s.properties, preset: { const: CUSTOM_PRESET } }, required: [...(s.required ?? []), 'preset'] };
    }),
  }),
};

const presetProviders: Readonly<Record<string, Node>> = {
  ...Object.fromEntries(Object.entries(PRESETS).map(([k, p]) => [k, presetProvider(k, p)])),
  [CUSTOM_PRESET]: customProvider,
};

/** Provider names and JWT issuers are unique (JWTs are routed by issuer). */
function refineProviders(providers: unknown[], _path: string, ctx: ValidationContext): void {
  const seenNames = new Map<string, number>();
  const seenIssuers = new Map<string, number>();
  (providers as Record<string, unknown>[]).forEach((p, i) => {
    const path = join('providers', i);
    const n = p['name'] as string;
    if (seenNames.has(n)) ctx.issues.push({ path: join(path, 'name'), message: `duplicate provider name "${n}" (also providers[${seenNames.get(n)}])` });
    seenNames.set(n, i);
    if (p['type'] !== 'jwt') return;
    const iss = p['issuer'] as string;
    if (seenIssuers.has(iss)) ctx.issues.push({ path: join(path, 'issuer'), message: `issuer "${iss}" is also providers[${seenIssuers.get(iss)}]'s; tokens are routed by issuer, so it must be unique` });
    seenIssuers.set(iss, i);
  });
}

/** A token's default lifetime fits within its maximum. */
function refineApiTokens(t: Record<string, unknown>, path: string, ctx: ValidationContext): void {
  if ((t['defaultLifetimeDays'] as number) > (t['maxLifetimeDays'] as number)) {
    ctx.issues.push({ path: join(path, 'defaultLifetimeDays'), message: 'must not exceed apiTokens.maxLifetimeDays' });
  }
}

/** A spill file is needed, unless the sink's own file gives its default name. */
function refineAudit(a: Record<string, unknown>, path: string, ctx: ValidationContext): void {
  const { sink, queue } = a as { sink: { type: string }; queue: { onFull: string; spillPath?: string } };
  if (queue.onFull === 'spill' && queue.spillPath === undefined && sink.type !== 'file') {
    ctx.issues.push({ path: join(join(path, 'queue'), 'spillPath'), message: 'is required with onFull "spill" unless the sink is a file' });
  }
}

/** The `console` section: read by @restauth/console (core only validates it). */
const consoleSection = obj({
  prefix: withDefault(str({ pattern: /^\/[A-Za-z0-9._~/-]*$/, patternHint: 'must be a path like "/restauth"', description: 'Where the console is mounted.' }), '/restauth'),
  login: optional(obj({
    issuer: required(url({ description: 'OpenID provider the console signs people in with (its discovery document is read).' })),
    clientId: required(str({ minLength: 1, description: 'The console\'s client id at that provider (authorization code + PKCE).' })),
    clientSecret: required(secret({ description: 'The client\'s secret (client_secret_basic).' })),
    scopes: optional(strings('Scopes asked for; default openid profile email. API scopes listed here may go into API tokens.')),
    resource: optional(str({ minLength: 1, description: 'RFC 8707 resource indicator sent with the sign-in.' })),
    provider: optional(str({ minLength: 1, description: 'Configured provider whose claim mapping and name a sign-in uses; default the one with this issuer.' })),
  }, { description: 'How people sign in to the console.' })),
  adminGroups: optional(strings('Members may use the admin pages (test a token, audit, status); default apiTokens.adminGroups.')),
  sessionSecret: optional(secret({ minLength: 32, description: 'Key of the session cookie signature, the same on every instance; default random per process.' })),
  sessionTtlSec: withDefault(num({ integer: true, min: 60, max: 604800, description: 'How long a console session lasts, seconds.' }), 28800),
  secureCookies: withDefault(bool({ description: 'Secure cookies (HTTPS only); false for local HTTP.' }), true),
  publicUrl: optional(url({ description: 'Scheme and host people reach the console at, for the redirect URI; default from the Host header.' })),
}, { description: '@restauth/console: sign-in, API tokens, token test, audit and status pages.' });

/** The whole configuration schema: validator and JSON Schema in one. */
export const configSchema = obj({
  $schema: optional(str()),
  enabled: withDefault(bool({ description: 'false: pass every request through untouched.' }), true),
  realm: withDefault(str({ pattern: /^[\x20-\x7e]*$/, patternHint: 'must be printable ASCII', description: 'Realm in WWW-Authenticate challenges.' }), 'api'),
  providers: withDefault(
    arr(tagged({ preset: presetProviders, type: providerTypes }), { description: 'Token providers; JWTs are routed by iss, opaque tokens tried in order.', refine: refineProviders }),
    [],
  ),
  apiTokens: withDefault(obj({
    enabled: withDefault(bool(), false),
    store: withDefault(store(['memory', 'redis', 'postgres']), { type: 'memory' }),
    creatorGroups: withDefault(strings('Only members may create tokens (empty: anyone authenticated).'), []),
    adminGroups: withDefault(strings('Members may list and revoke anyone\'s tokens.'), []),
    header: withDefault(str({ pattern: /^[a-z0-9-]+$/, patternHint: 'must be a lower-case header name' }), 'x-api-key'),
    maxLifetimeDays: withDefault(num({ integer: true, min: 1, max: 3650 }), 365),
    defaultLifetimeDays: withDefault(num({ integer: true, min: 1, max: 3650 }), 90),
    maxRateLimit: withDefault(obj({
      limit: required(num({ integer: true, min: 1 })),
      windowSec: required(num({ min: 1, max: 86400 })),
    }, { description: 'The most a token\'s own rateLimit may allow: at most `limit` requests, and at most limit/windowSec per second.' }), { limit: 6000, windowSec: 60 }),
    usageRetentionDays: withDefault(num({ integer: true, min: 1, max: 400, description: 'Days of per-token usage counts kept (GET /auth/tokens/:id/usage).' }), 90),
  }, { refine: refineApiTokens }), {}),
  basicAuth: withDefault(obj({ enabled: withDefault(bool(), false) }), {}),
  policy: withDefault(obj({
    allowGroups: withDefault(strings('When non-empty, only members of one of these groups pass.'), []),
    readOnlyGroups: withDefault(strings('Members may only use GET, HEAD and OPTIONS.'), []),
    allowClients: withDefault(strings('When non-empty, tokens that name a client must name one of these.'), []),
    ipAllow: withDefault(arr(cidr), []),
    trustProxy: withDefault(byType({ array: arr(cidr), number: num({ integer: true, min: 0, max: 32 }) }), []),
    clientIpHeader: withDefault(str({ pattern: /^[a-z0-9-]+$/, patternHint: 'must be a lower-case header name' }), 'x-forwarded-for'),
    bypass: patterns('Routes the gate ignores entirely (strict match).'),
    public: patterns('Routes open to anonymous callers (strict match).'),
    restrictPublic: patterns('Public routes that must nonetheless authenticate.'),
    rules: withDefault(arr(rule), []),
    mode: withDefault(mode, 'enforce'),
  }), {}),
  dpop: withDefault(obj({
    algorithms: withDefault(arr(str({ enum: ASYMMETRIC_ALGORITHMS }), { minItems: 1, description: 'alg values a DPoP proof may use.' }), [...DEFAULT_DPOP_ALGORITHMS]),
    maxAgeSec: withDefault(num({ integer: true, min: 1, max: 600, description: 'How old a proof (its iat) may be, seconds.' }), 60),
    clockToleranceSec: withDefault(num({ integer: true, min: 0, max: 300, description: 'Allowed clock skew of proof iat, seconds.' }), 5),
    publicUrl: optional(url({ description: 'Scheme and host clients use to reach this API (htu is checked against it); default from the request, forwarded headers only through trustProxy.' })),
    replayStore: withDefault(store(['memory', 'redis']), { type: 'memory' }),
    replayCacheSize: withDefault(num({ integer: true, min: 1, description: 'memory replay store: most proof ids remembered.' }), 100000),
    onStoreError: withDefault(str({ enum: ['deny', 'allow'], description: 'When the replay store is down: deny (503) or accept the proof unchecked for replay.' }), 'deny'),
    nonce: withDefault(bool({ description: 'Require server nonces (RFC 9449 §8).' }), false),
    nonceSecret: optional(secret({ minLength: 32, description: 'Key of the nonces, shared by every instance; default a random one per process.' })),
    nonceLifetimeSec: withDefault(num({ integer: true, min: 1, max: 86400, description: 'How long a nonce is accepted (it rotates at half this), seconds.' }), 300),
  }), {}),
  rateLimit: withDefault(obj({
    enabled: withDefault(bool(), false),
    limit: withDefault(num({ integer: true, min: 1 }), 100),
    windowSec: withDefault(num({ min: 0.001 }), 60),
    burst: optional(num({ integer: true, min: 1 })),
    by: withDefault(str({ enum: ['token', 'principal', 'client', 'ip'] }), 'principal'),
    store: withDefault(store(['memory', 'redis']), { type: 'memory' }),
    onStoreError: withDefault(str({ enum: ['deny', 'allow'] }), 'deny'),
    exempt: withDefault(obj({ groups: withDefault(strings('Exempt groups.'), []), clients: withDefault(strings('Exempt clients.'), []) }), {}),
    ipv6Prefix: withDefault(num({ integer: true, min: 1, max: 128 }), 64),
  }), {}),
  audit: withDefault(obj({
    enabled: withDefault(bool(), false),
    sink: withDefault(store(['file', 'stdout', 'memory', 'postgres']), { type: 'stdout' }),
    retention: withDefault(obj({
      maxAgeDays: withDefault(num({ min: 0, description: 'Delete rotated audit files older than this many days; 0: no age limit.' }), 30),
      maxEntries: withDefault(num({ integer: true, min: 1, description: 'Keep at most this many audit events.' }), 100000),
    }), {}),
    sampleAllowed: withDefault(num({ min: 0, max: 1, description: 'Fraction of allowed requests written; denies and would-denies are always written.' }), 1),
    queue: withDefault(obj({
      maxEvents: withDefault(num({ integer: true, min: 1, max: 10_000_000, description: 'Events that may wait in memory for the sink.' }), 10000),
      onFull: withDefault(str({ enum: ['drop-oldest', 'spill'], description: 'When the queue is full: drop the oldest event (counted), or spill to a local file replayed when the sink recovers.' }), 'drop-oldest'),
      spillPath: optional(str({ minLength: 1, description: 'Spill file (JSON Lines); default "<sink.path>.spill" for a file sink.' })),
    }), {}),
  }, { refine: refineAudit }), {}),
  console: optional(consoleSection),
}, { description: 'restauth configuration' });
