/** A secret written in config: the value itself, or `{"env": "NAME"}` read at start-up. */
export type SecretRef = string | { readonly env: string };

/** Claim mapping shared by every provider type. Claim names may be dotted paths (`realm_access.roles`). */
export interface ClaimMapping {
  /** Claim that holds the username. Default `preferred_username`, falling back to `sub`. */
  usernameClaim?: string;
  /** Claim that holds the groups (array, or a space/comma separated string). Default `groups`. */
  groupsClaim?: string;
  /** Claim that names the OAuth client. Default: `client_id`, then `azp`, then `appid`. */
  clientIdClaim?: string;
  /** Claim that holds the scopes. Default: `scope` (space separated), then `scp` (array or string). */
  scopeClaim?: string;
}

/**
 * `off`: the binding is not supported (its scheme is refused, and so is a token bound that way);
 * `allowed` (default): a bound token needs its proof, an unbound one passes;
 * `required`: unbound tokens are refused.
 */
export type BindingMode = 'off' | 'allowed' | 'required';

/** How a provider treats sender-constrained tokens (docs/dpop.md). */
export interface TokenBinding {
  /** DPoP-bound tokens (RFC 9449, `cnf.jkt`). Default `allowed`. */
  dpop?: BindingMode;
  /** Certificate-bound tokens (RFC 8705, `cnf["x5t#S256"]`). Default `allowed`. */
  certificateBound?: BindingMode;
}

/**
 * The `dpop` section: how DPoP proofs are checked, for every provider.
 *
 * @example
 * const dpop: DpopConfig = { publicUrl: 'https://api.example.com', replayStore: { type: 'redis', url: 'redis://cache:6379' }, nonce: true };
 */
export interface DpopConfig {
  /** `alg` values a proof may use. Default ES256, RS256, PS256, EdDSA. */
  algorithms?: string[];
  /** How old a proof may be (its `iat`), seconds. Default 60. */
  maxAgeSec?: number;
  /** Allowed clock skew of `iat`, seconds. Default 5. */
  clockToleranceSec?: number;
  /** Scheme and host clients call (`https://api.example.com`); `htu` is compared with it. */
  publicUrl?: string;
  /** Where used proof ids (`jti`) are remembered: `memory` (default) or `redis` (every instance). */
  replayStore?: StoreConfig;
  /** memory replay store: most ids remembered. Default 100 000. */
  replayCacheSize?: number;
  /** Replay store down: `deny` (503, default) or `allow` (the proof is accepted unchecked for replay). */
  onStoreError?: 'deny' | 'allow';
  /** Require server nonces (RFC 9449 §8). Default false. */
  nonce?: boolean;
  /** Key of the nonces, the same on every instance. Default: random per process. */
  nonceSecret?: SecretRef;
  /** How long a nonce is accepted, seconds (a new one is issued at half). Default 300. */
  nonceLifetimeSec?: number;
}

/**
 * The `console` section, read by `@restauth/console` (docs/console.md).
 *
 * @example
 * const console: ConsoleConfig = { login: { issuer: 'https://idp.example.com', clientId: 'restauth-console', clientSecret: { env: 'CONSOLE_SECRET' } }, adminGroups: ['admins'] };
 */
export interface ConsoleConfig {
  /** Where the console is mounted. Default `/restauth`. */
  prefix?: string;
  login?: {
    issuer: string;
    clientId: string;
    clientSecret: SecretRef;
    /** Default `openid profile email`; add the API scopes people may put in tokens. */
    scopes?: string[];
    resource?: string;
    /** Provider whose claim mapping a sign-in uses; default the one with this issuer. */
    provider?: string;
  };
  /** Default `apiTokens.adminGroups`. */
  adminGroups?: string[];
  sessionSecret?: SecretRef;
  /** Default 28 800 (8 hours). */
  sessionTtlSec?: number;
  /** Default true; false for local HTTP. */
  secureCookies?: boolean;
  publicUrl?: string;
}

/** A provider whose tokens are JWTs, checked locally by key, certificate, secret, JWKS or discovery. */
export interface JwtProviderConfig extends ClaimMapping, TokenBinding {
  name: string;
  type: 'jwt';
  /** Exact `iss` value. Tokens are routed to the provider whose issuer matches. */
  issuer: string;
  /** Accepted `aud` value(s): at least one must be present in the token (in `audienceClaim`). */
  audience: string | string[];
  /**
   * Claim compared with `audience` instead of `aud`. For providers whose access tokens carry no
   * `aud` but name the client elsewhere: Amazon Cognito (`client_id`). Default `aud`.
   */
  audienceClaim?: string;
  /** JWKS URL. Exactly one of jwksUri, discovery, publicKey, certificate, secret. */
  jwksUri?: string;
  /** Fetch `<issuer>/.well-known/openid-configuration` and use its `jwks_uri`. */
  discovery?: boolean;
  /** PEM SPKI public key. */
  publicKey?: string;
  /** PEM X.509 certificate. */
  certificate?: string;
  /** HMAC shared secret (at least 32 bytes). */
  secret?: SecretRef;
  /** Allowed `alg` values. Default: every asymmetric algorithm for keys, HS256/384/512 for secrets. */
  algorithms?: string[];
  /** Allowed clock skew for `exp` / `nbf`, seconds. Default 30. */
  clockToleranceSec?: number;
  /** Require this `typ` header (RFC 9068 strict mode: `"at+jwt"`). */
  requireTyp?: string;
  /** How long fetched JWKS are trusted before a refresh, seconds. Default 600. */
  jwksCacheTtlSec?: number;
  /** Minimum time between two JWKS fetches triggered by unknown `kid`s, seconds. Default 30. */
  jwksCooldownSec?: number;
  /** Timeout of one JWKS or discovery fetch, ms. Default 5000. */
  timeoutMs?: number;
}

/**
 * A provider whose opaque tokens are checked by RFC 7662 introspection: restauth POSTs the token
 * to `introspectionEndpoint`, authenticated as `clientId`, and accepts it when the answer says
 * `"active": true`.
 *
 * @example
 * const p: IntrospectionProviderConfig = { name: 'corp', type: 'introspection', introspectionEndpoint: 'https://idp/introspect', clientId: 'api', clientSecret: { env: 'INTROSPECTION_SECRET' } };
 */
export interface IntrospectionProviderConfig extends ClaimMapping, TokenBinding {
  name: string;
  type: 'introspection';
  /** The RFC 7662 endpoint. Outbound URLs only ever come from configuration. */
  introspectionEndpoint: string;
  /** The client restauth authenticates as (the resource server's own client at the provider). */
  clientId: string;
  /** The client's secret, for `client_secret_basic` and `client_secret_post`. */
  clientSecret?: SecretRef;
  /** How restauth authenticates to the endpoint. Default `client_secret_basic`. */
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** PEM private key signing `private_key_jwt` client assertions (RFC 7523). */
  privateKey?: SecretRef;
  /** `kid` header of client assertions, when the provider needs it to pick the key. */
  keyId?: string;
  /** Algorithm of client assertions. Default from the key: RS256, ES256/384/512 by curve, EdDSA. */
  assertionAlgorithm?: string;
  /** `aud` of client assertions. Default the introspection endpoint. */
  assertionAudience?: string;
  /** When set, the answer's `aud` must name at least one of these (tokens for other APIs are refused). */
  audience?: string | string[];
  /** How long an answer is cached (never past the token's `exp`), seconds. Default 60; 0 turns caching off. */
  cacheTtlSec?: number;
  /** Timeout of one introspection call, ms. Default 5000. */
  timeoutMs?: number;
}

/**
 * A provider whose opaque tokens are checked by calling its userinfo (or "current user")
 * endpoint with the token: any 2xx JSON object that names a user accepts it.
 *
 * @example
 * const p: UserinfoProviderConfig = { name: 'github', type: 'userinfo', userinfoEndpoint: 'https://api.github.com/user', usernameClaim: 'login' };
 */
export interface UserinfoProviderConfig extends ClaimMapping {
  name: string;
  type: 'userinfo';
  /** GET with `Authorization: Bearer <token>`. Outbound URLs only ever come from configuration. */
  userinfoEndpoint: string;
  /** How long an answer is cached, seconds. Default 60; 0 turns caching off. */
  cacheTtlSec?: number;
  /** Timeout of one call, ms. Default 5000. */
  timeoutMs?: number;
}

/** A provider described by a preset name plus the preset's own keys (see docs/providers). */
export interface PresetProviderConfig {
  name: string;
  preset: string;
  [key: string]: unknown;
}

/** Any provider entry of `providers`. */
export type ProviderConfig = JwtProviderConfig | IntrospectionProviderConfig | UserinfoProviderConfig | PresetProviderConfig;

/** Where a store or sink keeps its data. */
export type StoreConfig =
  | { type: 'memory' }
  | { type: 'redis'; url?: SecretRef; keyPrefix?: string }
  | { type: 'postgres'; url?: SecretRef; table?: string };

/** Where audit events go. */
export type AuditSinkConfig =
  | { type: 'file'; path: string; maxFileBytes?: number }
  | { type: 'stdout' }
  | { type: 'memory' }
  | { type: 'postgres'; url?: SecretRef; table?: string };

/** A per-route requirement of `policy.rules`. */
export interface RuleConfig {
  /** `"[METHOD ]/path"`; `*` one segment, `/**` any suffix. */
  match: string;
  /** Only these methods (in addition to `match`'s own method, if any). */
  methods?: string[];
  /** The principal must be in one of these groups. */
  groups?: string[];
  /** The principal must hold every one of these scopes. */
  scopes?: string[];
  /** `report-only`: compute and audit, but let the request through. */
  mode?: 'enforce' | 'report-only';
  /** A tighter rate limit for the matched requests. */
  rateLimit?: { limit: number; windowSec: number; burst?: number };
}

/** The `policy` section. */
export interface PolicyConfig {
  allowGroups?: string[];
  readOnlyGroups?: string[];
  allowClients?: string[];
  ipAllow?: string[];
  trustProxy?: string[] | number;
  clientIpHeader?: string;
  bypass?: string[];
  public?: string[];
  restrictPublic?: string[];
  rules?: RuleConfig[];
  mode?: 'enforce' | 'report-only';
}

/** The `rateLimit` section. */
export interface RateLimitConfig {
  enabled?: boolean;
  limit?: number;
  windowSec?: number;
  burst?: number;
  by?: 'token' | 'principal' | 'client' | 'ip';
  store?: StoreConfig;
  onStoreError?: 'deny' | 'allow';
  exempt?: { groups?: string[]; clients?: string[] };
  ipv6Prefix?: number;
}

/** The `apiTokens` section. */
export interface ApiTokensConfig {
  enabled?: boolean;
  store?: StoreConfig;
  creatorGroups?: string[];
  adminGroups?: string[];
  /** Header that may carry an API token besides `Authorization: Bearer`. Default `x-api-key`. */
  header?: string;
  maxLifetimeDays?: number;
  defaultLifetimeDays?: number;
  /** The most a token's own `rateLimit` may allow. Default `{ limit: 6000, windowSec: 60 }`. */
  maxRateLimit?: { limit: number; windowSec: number };
  /** Days of per-token usage counts kept. Default 90. */
  usageRetentionDays?: number;
}

/** The `audit` section. */
export interface AuditConfig {
  enabled?: boolean;
  sink?: AuditSinkConfig;
  retention?: { maxAgeDays?: number; maxEntries?: number };
  /** Fraction of allowed requests written (denies are always written). Default 1. */
  sampleAllowed?: number;
  /** The in-memory queue in front of the sink. */
  queue?: AuditQueueConfig;
}

/**
 * The `audit.queue` section: how many events may wait for the sink, and what happens beyond.
 *
 * @example
 * const queue: AuditQueueConfig = { maxEvents: 10000, onFull: 'spill', spillPath: './audit.spill' };
 */
export interface AuditQueueConfig {
  /** Default 10 000. */
  maxEvents?: number;
  /** `drop-oldest` (default, counted in `auth.auditStats()`) or `spill` to a local file. */
  onFull?: 'drop-oldest' | 'spill';
  /** The spill file; default `<sink.path>.spill` for a file sink, else required with `spill`. */
  spillPath?: string;
}

/**
 * The whole configuration, as written in `restauth.config.json` or passed in code.
 *
 * @example
 * const config: RestAuthConfig = { providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp', audience: 'api', discovery: true }] };
 */
export interface RestAuthConfig {
  /** JSON Schema reference for editors; ignored. */
  $schema?: string;
  enabled?: boolean;
  realm?: string;
  providers?: ProviderConfig[];
  apiTokens?: ApiTokensConfig;
  basicAuth?: { enabled?: boolean };
  policy?: PolicyConfig;
  dpop?: DpopConfig;
  rateLimit?: RateLimitConfig;
  audit?: AuditConfig;
  console?: ConsoleConfig;
}

type Filled<T> = { -readonly [K in keyof T]-?: Exclude<T[K], undefined> };

/** A JWT provider with defaults applied and secrets resolved. */
export type ResolvedJwtProvider = Omit<JwtProviderConfig, 'secret' | 'audience' | 'algorithms'> & {
  secret?: string;
  audience: string[];
  algorithms: string[];
  usernameClaim: string;
  groupsClaim: string;
  clockToleranceSec: number;
  dpop: BindingMode;
  certificateBound: BindingMode;
  jwksCacheTtlSec: number;
  jwksCooldownSec: number;
  timeoutMs: number;
};
/** An introspection provider with defaults applied and secrets resolved. */
export type ResolvedIntrospectionProvider = Omit<IntrospectionProviderConfig, 'clientSecret' | 'privateKey' | 'audience'> & {
  clientSecret?: string;
  privateKey?: string;
  audience?: string[];
  clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  dpop: BindingMode;
  certificateBound: BindingMode;
  usernameClaim: string;
  groupsClaim: string;
  cacheTtlSec: number;
  timeoutMs: number;
};
/** A userinfo provider with defaults applied. */
export type ResolvedUserinfoProvider = UserinfoProviderConfig & {
  usernameClaim: string;
  groupsClaim: string;
  cacheTtlSec: number;
  timeoutMs: number;
};
/** Any provider after validation (presets are expanded to one of these). */
export type ResolvedProvider = ResolvedJwtProvider | ResolvedIntrospectionProvider | ResolvedUserinfoProvider;

/** A store with secrets resolved. */
export type ResolvedStore = { type: string; url?: string; keyPrefix?: string; table?: string; path?: string; maxFileBytes?: number };

/**
 * The configuration after validation: every default filled in, presets expanded, secrets
 * resolved. Produced by {@link validateConfig}.
 */
export interface ResolvedConfig {
  enabled: boolean;
  realm: string;
  providers: ResolvedProvider[];
  apiTokens: Filled<Omit<ApiTokensConfig, 'store'>> & { store: ResolvedStore };
  basicAuth: { enabled: boolean };
  policy: Filled<Omit<PolicyConfig, 'rules' | 'trustProxy'>> & { trustProxy: string[] | number; rules: RuleConfig[] };
  dpop: Filled<Omit<DpopConfig, 'replayStore' | 'publicUrl' | 'nonceSecret'>> & { replayStore: ResolvedStore; publicUrl?: string; nonceSecret?: string };
  rateLimit: Filled<Omit<RateLimitConfig, 'store' | 'burst' | 'exempt'>> & { store: ResolvedStore; burst: number | undefined; exempt: { groups: string[]; clients: string[] } };
  audit: Filled<Omit<AuditConfig, 'sink' | 'retention' | 'queue'>> & {
    sink: ResolvedStore;
    retention: { maxAgeDays: number; maxEntries: number };
    queue: { maxEvents: number; onFull: 'drop-oldest' | 'spill'; spillPath?: string };
  };
  /** Present when the config has a `console` section (secrets resolved). */
  console?: Omit<ConsoleConfig, 'login' | 'sessionSecret'> & {
    prefix: string;
    sessionTtlSec: number;
    secureCookies: boolean;
    login?: Omit<NonNullable<ConsoleConfig['login']>, 'clientSecret'> & { clientSecret: string };
    sessionSecret?: string;
  };
}
