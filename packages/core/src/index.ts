export { RestAuthError, ConfigError, isRestAuthError, STATUS_BY_CODE } from './errors.js';
export type { RestAuthErrorCode, RestAuthErrorOptions, ConfigIssue } from './errors.js';
export { describePrincipal } from './principal.js';
export type { Principal, TokenType, PrincipalSummary } from './principal.js';
export { headerValue } from './request.js';
export type { RequestLike, IncomingHeaders, TlsSocketLike } from './request.js';
export { normalizePath, rawPath } from './path.js';
export type { NormalizedPath } from './path.js';
export { compilePattern, matchesLoosely, matchesStrictly, HTTP_METHODS } from './route-pattern.js';
export type { RoutePattern } from './route-pattern.js';
export { parseIp, parseCidr, formatIp, cidrContains, anyCidrContains, isV4 } from './ip.js';
export type { IpBytes, Cidr } from './ip.js';
export { resolveClientIp } from './client-ip.js';
export type { ClientIp, ClientIpOptions, TrustProxy } from './client-ip.js';
export { extractCredential } from './credentials.js';
export type { Credential, ExtractOptions } from './credentials.js';
export { getClaim, claimList, principalFromClaims } from './claims.js';
export type { ClaimNames } from './claims.js';
export { usernameCandidates, groupsCandidates, clientIdCandidates } from './claim-candidates.js';
export type { UsernameCandidate, ClaimCandidate } from './claim-candidates.js';
export { decodeJwt } from './jwt-decode.js';
export type { DecodedJwt, EncryptedJwt } from './jwt-decode.js';
export type { Strategy, VerifyContext } from './strategy.js';
export { createObservers, decisionEvent } from './observe.js';
export type {
  RestAuthObserver,
  Observers,
  ObserverSpan,
  ObservedSource,
  DecisionEvent,
  ProviderFetchKind,
  ProviderFetchStart,
  ProviderFetchEvent,
  TokenCacheEvent,
  StoreErrorEvent,
  ConfigReloadEvent,
} from './observe.js';
export { opaquePlugin, createIntrospectionStrategy, createUserinfoStrategy } from './opaque/opaque-plugin.js';
export type { OpaqueStrategyContext } from './opaque/opaque-plugin.js';
export type { OpaqueStrategyOptions } from './opaque/opaque-options.js';
export { introspectionRequest } from './opaque/introspection.js';
export type { OutboundRequest } from './opaque/outbound.js';
export { PRESET_NAMES } from './config/presets.js';
export type { RestAuthPlugin, PluginContext } from './plugin.js';
export { allowDecision, denyDecision, challenge } from './decision.js';
export type { Decision, DecisionReason } from './decision.js';
export { createMemoryRateLimitStore, gcra } from './rate-limit.js';
export type { RateLimitStore, RateLimitHit, RateLimitResult, MemoryRateLimitOptions } from './rate-limit.js';
export { createAuditQueue, createMemoryAuditSink, createStdoutAuditSink, createFileAuditSink, createFunctionAuditSink } from './audit.js';
export type {
  AuditEvent,
  AuditDecision,
  AuditSink,
  AuditQueue,
  AuditQueueOptions,
  AuditQueueStats,
  AuditQueueOverflow,
  MemoryAuditSink,
  FileAuditSink,
  FileAuditSinkOptions,
  AuditPruneResult,
  FunctionAuditSinkOptions,
} from './audit.js';
export { auditEventMatches, parseAuditLine, auditTrailFiles, eachAuditLine, readAuditFile } from './audit/trail.js';
export type { AuditFilter, AuditTrailPosition } from './audit/trail.js';
export { validateConfig, loadConfig, configJsonSchema } from './config/load.js';
export type { ValidateOptions } from './config/load.js';
export { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from './config/schema.js';
export type {
  RestAuthConfig,
  ResolvedConfig,
  ProviderConfig,
  JwtProviderConfig,
  IntrospectionProviderConfig,
  UserinfoProviderConfig,
  PresetProviderConfig,
  ResolvedProvider,
  ResolvedJwtProvider,
  ResolvedIntrospectionProvider,
  ResolvedUserinfoProvider,
  ResolvedStore,
  StoreConfig,
  AuditSinkConfig,
  PolicyConfig,
  RuleConfig,
  RateLimitConfig,
  ApiTokensConfig,
  AuditConfig,
  AuditQueueConfig,
  SecretRef,
  ClaimMapping,
  BindingMode,
  TokenBinding,
  DpopConfig,
  ConsoleConfig,
} from './config/types.js';
export { createMemoryReplayStore } from './replay-store.js';
export type { ReplayStore } from './replay-store.js';
export { jwkThumbprint } from './gate/dpop-proof.js';
export { API_TOKEN_PREFIX, API_TOKEN_LENGTH, generateApiToken, hashApiToken, parseApiToken } from './api-tokens/format.js';
export type { GeneratedToken } from './api-tokens/format.js';
export { createMemoryApiTokenStore, usageHorizon, utcDay } from './api-tokens/store.js';
export type { ApiTokenStore, ApiTokenRecord, ApiTokenOwner, ApiTokenRateLimit, ApiTokenUsageDay } from './api-tokens/store.js';
export { createApiTokens } from './api-tokens/api-tokens.js';
export type { ApiTokens, ApiTokensOptions, CreatedApiToken, ApiTokenSummary, ApiTokenPage, ApiTokenPageOptions, ApiTokenUsage } from './api-tokens/api-tokens.js';
export { handleTokenRequest, isTokenRoute, TOKEN_ROUTES_PATH } from './api-tokens/routes.js';
export { readJsonBody } from './api-tokens/body.js';
export type { HttpResult, TokenRouteRequest } from './api-tokens/routes.js';
export { createRestAuth, isRestAuth } from './rest-auth.js';
export { healthError, healthHttpResult, createHealthTracker } from './health.js';
export type { HealthReport, HealthStatus, ProviderHealth, StoreHealth, AuditHealth, CircuitHealth, Readiness, HealthTracker } from './health.js';
export { diffConfigs, formatConfigDiff } from './config/diff.js';
export type { ConfigDiff } from './config/diff.js';
export { onResponseDone, CLIENT_CLOSED, NOTHING_TO_COMPLETE } from './lifecycle.js';
export type { FinishingResponse } from './lifecycle.js';
export { reloadOnSignal } from './reload-signal.js';
export type { ReloadOnSignalOptions } from './reload-signal.js';
export type { PendingRequest, ReloadResult, RestAuth, CreateRestAuthOptions, RouteOptions, RouteRequirements, Explanation, ExplainStep } from './rest-auth.js';
