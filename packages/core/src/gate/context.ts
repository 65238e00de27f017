import { resolveSharedClientIp, type ClientIp, type ClientIpOptions } from '../client-ip.js';
import type { Credential } from '../credentials.js';
import type { Decision } from '../decision.js';
import { normalizePath, type NormalizedPath } from '../path.js';
import type { Principal } from '../principal.js';
import type { RequestLike } from '../request.js';
import type { RouteOptions } from './route.js';
import { matchRules, type CompiledRule } from './rules.js';

/** What every request's context shares: compiled once per gate. */
export interface ContextSettings {
  readonly clientIp: ClientIpOptions;
  readonly rules: readonly CompiledRule[];
}

const NO_RULES: readonly CompiledRule[] = Object.freeze([]);

/**
 * The state of one request on its way through the checks. Derived views (normalised path,
 * client IP, matched rules) are computed on first use only: a config without patterns never
 * normalises a path, one without IP rules never parses a forwarded header.
 */
export class GateContext {
  /** The request's real method, upper-case (method-override headers are never read). */
  readonly method: string;
  /** Set by `public-route`: anonymous callers may pass. */
  anonymousOk = false;
  /** Set by `credentials`. */
  credential: Credential | undefined = undefined;
  /** Set by `verify`; cleared when its owner fails access policy on a public route. */
  principal: Principal | undefined = undefined;
  /** Set by `rate-limit`: headers for the response, allowed or denied. */
  headers: Readonly<Record<string, string>> | undefined = undefined;
  /** The first report-only failure. */
  wouldDeny: Decision['wouldDeny'] = undefined;
  /** Why a verified caller went on as anonymous (public route, failed access policy). */
  anonymous: Decision['anonymous'] = undefined;
  private pathMemo: NormalizedPath | undefined = undefined;
  private ipMemo: ClientIp | undefined = undefined;
  private rulesMemo: readonly CompiledRule[] | undefined = undefined;

  constructor(
    readonly request: RequestLike,
    readonly route: RouteOptions | undefined,
    private readonly settings: ContextSettings,
  ) {
    this.method = request.method.toUpperCase();
  }

  /** The request path, normalised for loose and strict matching. */
  get path(): NormalizedPath {
    return (this.pathMemo ??= normalizePath(this.request.url));
  }

  /** The client IP, read through trusted proxies only. */
  get ip(): ClientIp {
    return (this.ipMemo ??= resolveSharedClientIp(this.request.headers, this.request.remoteAddress, this.settings.clientIp));
  }

  /** The config's rules that match this request, in config order. */
  get matchedRules(): readonly CompiledRule[] {
    if (this.rulesMemo === undefined) {
      this.rulesMemo = this.settings.rules.length ? matchRules(this.settings.rules, this.method, this.path) : NO_RULES;
    }
    return this.rulesMemo;
  }
}
