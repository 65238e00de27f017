import * as crypto from 'node:crypto';
import type { TrustProxy } from '../client-ip.js';
import type { BindingMode, ResolvedConfig } from '../config/types.js';
import { quoted } from '../decision.js';
import { RestAuthError, type RestAuthErrorCode } from '../errors.js';
import type { Principal } from '../principal.js';
import type { ReplayStore } from '../replay-store.js';
import { fail, PASS, type Check, type Outcome } from './check.js';
import type { GateContext } from './context.js';
import { createNonceIssuer } from './dpop-nonce.js';
import { createProofVerifier, ProofError } from './dpop-proof.js';
import { clientCertThumbprint, comparableUri, fromTrustedProxy, requestUri } from './request-origin.js';

/** What {@link createProofCheck} needs. */
export interface ProofCheckOptions {
  readonly config: ResolvedConfig;
  readonly trustProxy: TrustProxy;
  readonly replayStore: ReplayStore;
  readonly now?: (() => number) | undefined;
}

interface Binding {
  readonly dpop: BindingMode;
  readonly certificateBound: BindingMode;
}

// API tokens, Basic, userinfo and custom strategies: neither binding is supported.
const UNBOUND: Binding = Object.freeze({ dpop: 'off', certificateBound: 'off' });
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
const MAX_REMEMBERED_TOKENS = 1024;
// node:crypto's one-shot hash (Node 20.12+) skips the Hash object; createHash before that.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'base64url') => string }).hash;
const sha256 = (s: string): string => (oneShot ? oneShot('sha256', s, 'base64url') : crypto.createHash('sha256').update(s).digest('base64url'));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Proof of possession for sender-constrained tokens, right after `verify`: a DPoP-bound token
 * (`cnf.jkt`) needs the `DPoP` scheme and a valid proof (RFC 9449 §4.3, §7); a certificate-bound
 * one (`cnf["x5t#S256"]`) needs the client certificate it names (RFC 8705 §3). Per provider,
 * `dpop` and `certificateBound` say whether each is off, allowed or required. A verified caller
 * that proves its key gets `binding` and `thumbprint` on its principal.
 */
export function createProofCheck(options: ProofCheckOptions): Check {
  const { config, trustProxy, replayStore } = options;
  const d = config.dpop;
  const now = options.now ?? Date.now;
  const bindings = new Map<string, Binding>();
  for (const p of config.providers) {
    if (p.type !== 'userinfo') bindings.set(p.name, { dpop: p.dpop, certificateBound: p.certificateBound });
  }
  const verifyProof = createProofVerifier(d.algorithms);
  const nonces = d.nonce ? createNonceIssuer(d.nonceSecret, d.nonceLifetimeSec, now) : undefined;
  const publicUrl = d.publicUrl?.replace(/\/+$/, '');
  const algs = quoted(d.algorithms.join(' '));
  const realm = quoted(config.realm);
  const replayTtlMs = (d.maxAgeSec + 2 * d.clockToleranceSec) * 1000;

  /** A 401 with the DPoP challenge (RFC 9449 §7.1), and the Bearer one while bearer tokens pass. */
  function refuse(code: RestAuthErrorCode, message: string, binding: Binding, extra?: Record<string, string>): Outcome {
    let h = `DPoP realm="${realm}", error="${code}", error_description="${quoted(message)}", algs="${algs}"`;
    if (binding.dpop !== 'required') h += `, Bearer realm="${realm}"`;
    return fail(new RestAuthError(code, message), { 'www-authenticate': h, ...extra });
  }

  /** The single DPoP header, or why there is not exactly one. */
  function proofHeader(ctx: GateContext): string | ProofError {
    const raw = ctx.request.rawHeaders;
    if (raw !== undefined) {
      let n = 0;
      for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).length === 4 && (raw[i] as string).toLowerCase() === 'dpop') n++;
      if (n > 1) return new ProofError('More than one DPoP header');
    }
    const v = ctx.request.headers['dpop'];
    if (v === undefined || v === '') return new ProofError('DPoP proof is missing');
    // Node joins a repeated DPoP header with ", ", which no JWT contains.
    if (typeof v !== 'string' || v.includes(',')) return new ProofError('More than one DPoP header');
    if (v.length > MAX_PROOF_LENGTH) return new ProofError('DPoP proof is too long');
    return v;
  }

  // ath is base64url(SHA-256(token)); a client repeats its token, so the hash is remembered
  // per token (bounded; tokens of at most 4 KiB).
  const aths = new Map<string, string>();
  function athOf(token: string): string {
    let ath = aths.get(token);
    if (ath === undefined) {
      ath = sha256(token);
      if (token.length <= 4096) {
        if (aths.size >= MAX_REMEMBERED_TOKENS) aths.delete(aths.keys().next().value as string);
        aths.set(token, ath);
      }
    }
    return ath;
  }

  /** The replay store is down: `onStoreError` decides (allow: the proof passes without the replay check). */
  function storeDown(err: unknown, jkt: string): string {
    if (d.onStoreError === 'allow') return jkt;
    throw new RestAuthError('temporarily_unavailable', 'DPoP replay store unavailable', { cause: err, retryAfterSec: 1 });
  }

  /**
   * The proof's checks (RFC 9449 §4.3): the key's thumbprint when it passes, else the refusal.
   * Synchronous up to the replay store, and after it too when the store answers at once (memory).
   */
  function checkDpop(ctx: GateContext, token: string, jkt: string, binding: Binding, trusted: () => boolean): Outcome | string | Promise<Outcome | string> {
    const proof = proofHeader(ctx);
    if (proof instanceof ProofError) return refuse('invalid_dpop_proof', proof.message, binding);
    let signed;
    try {
      signed = verifyProof(proof);
    } catch (err) {
      if (err instanceof ProofError) return refuse('invalid_dpop_proof', err.message, binding);
      throw err;
    }
    const c = signed.claims;
    const bad = (message: string) => refuse('invalid_dpop_proof', message, binding);
    // The real method: a method-override header never changes what the proof must name.
    if (c['htm'] !== ctx.method) return bad('DPoP proof htm does not match the request method');
    const htu = c['htu'];
    const uri = requestUri(ctx.request, publicUrl, publicUrl === undefined && trusted());
    // The same text compares equal without normalising it twice (the usual case: clients send what they called).
    if (typeof htu !== 'string' || (htu === uri ? comparableUri(uri) === undefined : (comparableUri(htu) ?? 0) !== comparableUri(uri))) {
      return bad('DPoP proof htu does not match the request URI');
    }
    const iat = c['iat'];
    const t = now() / 1000;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return bad('DPoP proof has no valid iat');
    if (iat > t + d.clockToleranceSec) return bad('DPoP proof is issued in the future');
    if (iat < t - d.maxAgeSec - d.clockToleranceSec) return bad('DPoP proof is too old');
    const jti = c['jti'];
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return bad('DPoP proof has no valid jti');
    if (c['ath'] !== athOf(token)) return bad('DPoP proof ath does not match the access token');
    if (signed.jkt !== jkt) return bad('DPoP proof key does not match the token binding');
    if (nonces !== undefined) {
      if (!nonces.accepts(c['nonce'])) return refuse('use_dpop_nonce', 'Resource server requires nonce in DPoP proof', binding, { 'dpop-nonce': nonces.current() });
      // RFC 9449 §8.2: a nonce of the previous period expires with this one; the allowed
      // response hands out the next, so the client never meets a use_dpop_nonce retry.
      const next = nonces.current();
      if (c['nonce'] !== next) ctx.headers = { ...ctx.headers, 'dpop-nonce': next };
    }
    // Last, so that only a proof that is otherwise valid uses up its jti.
    let first: boolean | Promise<boolean>;
    try {
      first = replayStore.claim({ key: `${jkt}.${jti}`, ttlMs: replayTtlMs });
    } catch (err) {
      return storeDown(err, jkt);
    }
    if (typeof first === 'boolean') return first ? jkt : bad('DPoP proof has been used before');
    return first.then((f) => (f ? jkt : bad('DPoP proof has been used before')), (err: unknown) => storeDown(err, jkt));
  }

  function prove(ctx: GateContext, principal: Principal, token: string, dpopScheme: boolean, cnf: Record<string, unknown> | undefined, binding: Binding): Outcome | Promise<Outcome> {
    const jkt = cnf?.['jkt'];
    let trustedMemo: boolean | undefined;
    const trusted = () => (trustedMemo ??= fromTrustedProxy(ctx.request, trustProxy));
    if (dpopScheme) {
      if (binding.dpop === 'off') return fail(new RestAuthError('invalid_token', 'DPoP is not accepted for this token'));
      if (typeof jkt !== 'string') return refuse('invalid_token', 'Token is not DPoP-bound', binding);
      const out = checkDpop(ctx, token, jkt, binding, trusted);
      if (typeof out === 'string') return proveCertificate(ctx, principal, cnf, binding, trusted, out);
      if (out instanceof Promise) return out.then((o) => (typeof o === 'string' ? proveCertificate(ctx, principal, cnf, binding, trusted, o) : o));
      return out;
    }
    if (jkt !== undefined) {
      // A downgrade: the Bearer scheme would skip the proof.
      return refuse('invalid_token', 'DPoP-bound token must be sent with the DPoP scheme and a proof', binding);
    }
    if (binding.dpop === 'required') return refuse('invalid_token', 'DPoP-bound token required', binding);
    return proveCertificate(ctx, principal, cnf, binding, trusted, undefined);
  }

  /** The certificate binding (RFC 8705 §3), after the DPoP one (`dpopKey`: the proven DPoP key, if any). */
  function proveCertificate(ctx: GateContext, principal: Principal, cnf: Record<string, unknown> | undefined, binding: Binding, trusted: () => boolean, dpopKey: string | undefined): Outcome {
    let proven: { binding: 'dpop' | 'mtls'; thumbprint: string } | undefined = dpopKey === undefined ? undefined : { binding: 'dpop', thumbprint: dpopKey };
    const x5t = cnf?.['x5t#S256'];
    if (x5t !== undefined) {
      if (binding.certificateBound === 'off') return fail(new RestAuthError('invalid_token', 'Certificate-bound tokens are not accepted'));
      const thumbprint = clientCertThumbprint(ctx.request, trusted());
      if (thumbprint === undefined) return fail(new RestAuthError('invalid_token', 'Certificate-bound token sent without a client certificate'));
      if (thumbprint !== x5t) return fail(new RestAuthError('invalid_token', 'Client certificate does not match the token binding'));
      proven ??= { binding: 'mtls', thumbprint };
    } else if (binding.certificateBound === 'required') {
      return fail(new RestAuthError('invalid_token', 'Certificate-bound token required'));
    }
    if (proven !== undefined) ctx.principal = Object.freeze({ ...principal, ...proven });
    return PASS;
  }

  return {
    name: 'proof',
    run(ctx) {
      const principal = ctx.principal;
      const credential = ctx.credential;
      if (principal === undefined || credential?.kind !== 'bearer') return undefined;
      const cnf = principal.claims['cnf'];
      const dpopScheme = credential.scheme === 'dpop';
      const binding = bindings.get(principal.provider) ?? UNBOUND;
      // The bearer path: an unbound token, where nothing requires a binding.
      if (!dpopScheme && cnf === undefined && binding.dpop !== 'required' && binding.certificateBound !== 'required') return undefined;
      if (cnf !== undefined && !isObject(cnf)) return fail(new RestAuthError('invalid_token', 'Token has a malformed cnf claim'));
      return prove(ctx, principal, credential.token, dpopScheme, cnf, binding);
    },
    describe: (ctx) => (ctx.principal?.binding ? `token bound by ${ctx.principal.binding}, key proven` : 'token not sender-constrained'),
  };
}
