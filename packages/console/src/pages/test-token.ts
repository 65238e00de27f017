import {
  API_TOKEN_PREFIX, clientIdCandidates, decodeJwt, groupsCandidates, HTTP_METHODS, usernameCandidates,
  type ClaimCandidate, type Explanation, type ResolvedProvider, type UsernameCandidate,
} from '@restauth/core';
import type { ConsoleRequest } from '../console.js';
import { html, layout, messagePage, sendPage, type Html } from '../html.js';

/** The longest token the page takes (real JWTs stay far below; the form itself stops at 64 KiB). */
const MAX_TOKEN_CHARS = 16 * 1024;
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time']);

function forbidden(r: ConsoleRequest): void {
  sendPage(r.res, 403, messagePage(r.page, 'Admins only', 'This page is for members of the console\'s admin groups (console.adminGroups).'));
}

function form(r: ConsoleRequest, method: string, path: string, error?: string): Html {
  return html`${error ? html`<p class="message error" role="alert">${error}</p>` : ''}
<p>Paste a token (a JWT, an opaque token or a restauth API token) to see how the gate decides a request with it, check by check. Nothing you paste is logged, stored or sent anywhere but to the configured providers.</p>
<form class="stack" method="post" action="${r.page.prefix}/test">
<input type="hidden" name="csrf" value="${r.session.csrf}">
<div><label for="token">Token</label><textarea id="token" name="token" required maxlength="${MAX_TOKEN_CHARS}" autocomplete="off" spellcheck="false"></textarea></div>
<div><label for="method">Method</label><select id="method" name="method">${HTTP_METHODS.map((m) => html`<option${m === method ? html` selected` : ''}>${m}</option>`)}</select></div>
<div><label for="path">Path</label><input type="text" id="path" name="path" required maxlength="2048" value="${path}"></div>
<div><button type="submit">Test</button></div></form>`;
}

function providerFor(providers: readonly ResolvedProvider[], iss: unknown): ResolvedProvider | undefined {
  return providers.find((p) => 'issuer' in p && p.issuer === iss);
}

function claimValue(name: string, value: unknown, nowSec: number): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number') {
    const iso = new Date(value * 1000).toISOString();
    const delta = value - nowSec;
    const rel = Math.abs(delta) < 90 ? `${Math.abs(delta)} s` : Math.abs(delta) < 5400 ? `${Math.round(Math.abs(delta) / 60)} min` : `${Math.round(Math.abs(delta) / 3600)} h`;
    return `${value} (${iso}, ${delta >= 0 ? `in ${rel}` : `${rel} ago`})${name === 'exp' && delta < 0 ? ' EXPIRED' : ''}`;
  }
  return JSON.stringify(value);
}

function candidateRows(kind: string, setting: string, list: readonly (UsernameCandidate | ClaimCandidate)[]): Html {
  if (!list.length) return html`<tr><th scope="row">${setting}</th><td colspan="3">No claim fits ${kind}.</td></tr>`;
  return html`${list.map((c, i) => html`<tr>${i === 0 ? html`<th scope="row" rowspan="${list.length}">${setting}</th>` : ''}<td><code>${c.claim}</code>${c.configured ? html` <span class="badge">configured</span>` : ''}${i === 0 ? html` <span class="badge">best fit</span>` : ''}</td><td>${Array.isArray(c.value) ? (c.value as string[]).join(', ') : String(c.value)}</td><td>${c.note}</td></tr>`)}`;
}

function trace(explanation: Explanation): Html {
  const d = explanation.decision;
  const message = d.error?.message ?? d.wouldDeny?.error.message;
  return html`<h2>Decision</h2>
<p class="message ${d.allowed ? '' : 'error'}" role="status"><strong class="${d.allowed ? 'allow' : 'deny'}">${d.allowed ? 'Allowed' : 'Refused'}</strong> — status ${d.status}, decided by <code>${d.reason}</code>${message ? html`: ${message}` : ''}</p>
<h2>Checks, in order</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
<tbody>${explanation.steps.map((s) => html`<tr><td><code>${s.check}</code></td><td class="${s.result}">${s.result}</td><td>${s.detail}</td></tr>`)}</tbody></table></div>
${d.principal ? html`<h2>Principal</h2><table><tbody>
<tr><th scope="row">Username</th><td>${d.principal.username}</td></tr><tr><th scope="row">Groups</th><td>${d.principal.groups.join(', ') || '—'}</td></tr>
<tr><th scope="row">Scopes</th><td>${d.principal.scopes.join(' ') || '—'}</td></tr><tr><th scope="row">Client</th><td>${d.principal.clientId ?? '—'}</td></tr>
<tr><th scope="row">Provider</th><td>${d.principal.provider} (${d.principal.tokenType})</td></tr></tbody></table>` : ''}`;
}

function decoded(r: ConsoleRequest, token: string): Html {
  if (token.startsWith(API_TOKEN_PREFIX)) return html`<h2>Token</h2><p>A restauth API token: it holds no claims; the checks above show what the token store says about it.</p>`;
  const jwt = decodeJwt(token);
  if (!jwt) return html`<h2>Token</h2><p>Not a JWT: an opaque token, which only its provider (introspection or userinfo) can read. The checks above show its answer.</p>`;
  if (jwt.kind === 'jwe') return html`<h2>Header</h2><pre>${JSON.stringify(jwt.header, null, 2)}</pre><p>An encrypted JWT: only the header can be read.</p>`;
  const nowSec = Math.floor(r.options.now() / 1000);
  const provider = providerFor(r.auth.config.providers, jwt.claims['iss']);
  return html`<h2>Header <span class="hint">(decoded, not verified)</span></h2><pre>${JSON.stringify(jwt.header, null, 2)}</pre>
<h2>Claims <span class="hint">(decoded, not verified)</span></h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Claim</th><th scope="col">Value</th></tr></thead>
<tbody>${Object.entries(jwt.claims).map(([k, v]) => html`<tr><td><code>${k}</code></td><td>${claimValue(k, v, nowSec)}</td></tr>`)}</tbody></table></div>
<h2>Attribute finder</h2>
<p>${provider ? html`The issuer is provider <strong>${provider.name}</strong>; its settings are marked “configured”.` : 'No configured provider has this issuer; the suggestions below are what would fit.'}</p>
<div class="table-wrap"><table><thead><tr><th scope="col">Setting</th><th scope="col">Claim</th><th scope="col">Value</th><th scope="col">Why</th></tr></thead><tbody>
${candidateRows('a username', 'usernameClaim', usernameCandidates(jwt.claims, provider?.usernameClaim))}
${candidateRows('groups', 'groupsClaim', groupsCandidates(jwt.claims, provider?.groupsClaim))}
${candidateRows('a client id', 'clientIdClaim', clientIdCandidates(jwt.claims, provider?.clientIdClaim))}
</tbody></table></div>`;
}

/** Test a token (admins): the explain trace, the decoded token and the attribute finder. */
export async function testTokenRoutes(r: ConsoleRequest): Promise<boolean> {
  if (r.path !== '/test') return false;
  if (!r.admin) return forbidden(r), true;
  const page = (status: number, body: Html) => sendPage(r.res, status, layout({ ...r.page, current: '/test' }, 'Test a token', body));
  if (r.method === 'GET') return page(200, form(r, 'GET', '/api/items')), true;
  const method = (r.form.get('method') ?? 'GET').toUpperCase();
  const path = r.form.get('path') ?? '/';
  const token = (r.form.get('token') ?? '').trim().replace(/^bearer\s+/i, '');
  const safeMethod = (HTTP_METHODS as readonly string[]).includes(method) ? method : 'GET';
  if (!token) return page(400, form(r, safeMethod, path.slice(0, 2048), 'Paste a token.')), true;
  if (token.length > MAX_TOKEN_CHARS) return page(400, form(r, safeMethod, path.slice(0, 2048), `The token is longer than ${MAX_TOKEN_CHARS} characters; no provider issues such tokens.`)), true;
  if (!/^[\x21-\x7e]+$/.test(token)) return page(400, form(r, safeMethod, path.slice(0, 2048), 'A token is printable ASCII without spaces.')), true;
  if (!path.startsWith('/') || path.length > 2048) return page(400, form(r, safeMethod, '/', 'The path must start with "/".')), true;
  const explanation = await r.auth.explain({
    method: safeMethod,
    url: path,
    headers: { authorization: `Bearer ${token}`, 'user-agent': 'restauth-console (test a token)' },
    remoteAddress: r.req.socket.remoteAddress ?? '127.0.0.1',
  });
  page(200, html`${trace(explanation)}${decoded(r, token)}<h2>Test another</h2>${form(r, safeMethod, path)}`);
  return true;
}
