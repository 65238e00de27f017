import { isRestAuthError, STATUS_BY_CODE, type ApiTokens, type ApiTokenSummary, type CreatedApiToken } from '@restauth/core';
import type { ConsoleRequest } from '../console.js';
import { html, layout, messagePage, sendPage, shortDate, type Html } from '../html.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const NOTICES: Record<string, string> = { revoked: 'The token is revoked: it is refused from now on.' };
const GRACE_CHOICES: readonly [number, string][] = [[0, 'none: the old secret stops at once'], [3600, '1 hour'], [86_400, '1 day'], [604_800, '7 days']];

/** True when the store behind `tokens` offers the optional operation (roll, usage). */
const supports = (tokens: ApiTokens, op: 'roll' | 'usage') => typeof tokens[op] === 'function';

function mayCreate(r: ConsoleRequest): boolean {
  const creators = r.auth.config.apiTokens.creatorGroups;
  return creators.length === 0 || r.session.principal.groups.some((g) => creators.includes(g));
}

function errorText(err: unknown): { status: number; message: string } {
  if (isRestAuthError(err)) return { status: (STATUS_BY_CODE as Readonly<Record<string, number>>)[err.code] ?? 400, message: err.message };
  throw err;
}

function createForm(r: ConsoleRequest, values: URLSearchParams | undefined): Html {
  const { apiTokens } = r.auth.config;
  const scopes = r.session.principal.scopes;
  const chosen = values ? new Set(values.getAll('scopes')) : new Set(scopes);
  return html`<h2>Create a token</h2>
<form class="stack" method="post" action="${r.page.prefix}/tokens">
<input type="hidden" name="csrf" value="${r.session.csrf}">
<div><label for="name">Name <span class="hint">(what it is for: 1 to 100 characters)</span></label>
<input type="text" id="name" name="name" required maxlength="100" value="${values?.get('name') ?? ''}"></div>
<fieldset><legend>Scopes <span class="hint">(at most what you were granted at sign-in)</span></legend>
${scopes.length
    ? html`<div class="checks">${scopes.map((s, i) => html`<label for="scope-${i}"><input type="checkbox" id="scope-${i}" name="scopes" value="${s}"${chosen.has(s) ? html` checked` : ''}> ${s}</label>`)}</div>`
    : html`<p class="hint">You were granted no API scopes at sign-in, so a token gets none (it still carries your groups).</p>`}
</fieldset>
<div><label for="days">Expires in days <span class="hint">(1 to ${apiTokens.maxLifetimeDays})</span></label>
<input type="number" id="days" name="expiresInDays" min="1" max="${apiTokens.maxLifetimeDays}" required value="${values?.get('expiresInDays') ?? String(apiTokens.defaultLifetimeDays)}"></div>
<div><button type="submit">Create token</button></div>
</form>`;
}

function tokenTable(r: ConsoleRequest, tokens: readonly ApiTokenSummary[]): Html {
  if (!tokens.length) return html`<p>You have no API tokens yet.</p>`;
  const t = r.auth.tokens as ApiTokens;
  const base = `${r.page.prefix}/tokens`;
  return html`<div class="table-wrap"><table><caption class="hint">Your live tokens; revoked ones are not listed.</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
<tbody>${tokens.map((k) => html`<tr><td>${k.name}</td><td>${k.scopes.length ? k.scopes.join(' ') : '—'}</td><td>${shortDate(k.createdAt)}</td><td>${k.expiresAt ? shortDate(k.expiresAt) : 'never'}</td><td>${shortDate(k.lastUsedAt)}</td>
<td>${supports(t, 'usage') ? html`<a href="${base}/${k.id}/usage">Usage<span class="visually-hidden"> of ${k.name}</span></a> · ` : ''}${supports(t, 'roll') ? html`<a href="${base}/${k.id}/roll">Roll</a> · ` : ''}<a href="${base}/${k.id}/revoke">Revoke</a></td></tr>`)}</tbody>
</table></div>`;
}

/** Every owner's live tokens, paged, for members of apiTokens.adminGroups (the store's admin view). */
async function everyOwner(r: ConsoleRequest): Promise<Html> {
  const tokens = r.auth.tokens as ApiTokens;
  if (typeof tokens.page !== 'function' || !tokens.isAdmin(r.session.principal)) return html``;
  const owner = r.query.get('owner')?.trim().slice(0, 200) || undefined;
  const cursor = r.query.get('cursor') ?? undefined;
  let page: Awaited<ReturnType<ApiTokens['page']>>;
  try {
    page = await tokens.page(r.session.principal, { owner, cursor, limit: 50 });
  } catch (err) {
    return html`<h2>Every owner's tokens</h2><p class="message error" role="alert">${errorText(err).message}</p>`;
  }
  const base = `${r.page.prefix}/tokens`;
  const next = new URLSearchParams({ ...(owner ? { owner } : {}), ...(page.nextCursor ? { cursor: page.nextCursor } : {}) });
  return html`<h2>Every owner's tokens <span class="hint">(admins)</span></h2>
<form class="filters" method="get" action="${base}"><div><label for="owner">Owner <span class="hint">(provider:username)</span></label>
<input type="text" id="owner" name="owner" value="${owner ?? ''}"></div><div><button type="submit">Show</button></div></form>
${page.tokens.length
    ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Owner</th><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
<tbody>${page.tokens.map((k) => html`<tr><td>${k.owner ?? '—'}</td><td>${k.name}</td><td>${k.scopes.join(' ') || '—'}</td><td>${shortDate(k.createdAt)}</td><td>${k.expiresAt ? shortDate(k.expiresAt) : 'never'}</td><td>${shortDate(k.lastUsedAt)}</td>
<td><a href="${base}/${k.id}/revoke">Revoke<span class="visually-hidden"> ${k.name} of ${k.owner ?? ''}</span></a></td></tr>`)}</tbody></table></div>`
    : html`<p>No live tokens${owner ? ' of this owner' : ''}.</p>`}
${page.nextCursor ? html`<nav class="pager" aria-label="Pages"><a href="${base}?${next.toString()}">More</a></nav>` : ''}`;
}

async function listPage(r: ConsoleRequest, status = 200, error?: string, values?: URLSearchParams): Promise<void> {
  const tokens = r.auth.tokens as ApiTokens;
  const list = await tokens.list(r.session.principal);
  const notice = NOTICES[r.query.get('notice') ?? ''];
  const body = html`${notice ? html`<p class="message" role="status">${notice}</p>` : ''}
${error ? html`<p class="message error" role="alert">${error}</p>` : ''}
<p>Use a token as <code>Authorization: Bearer &lt;token&gt;</code> or in the <code>${r.auth.config.apiTokens.header}</code> header. It acts as you, with its scopes and your groups at creation.</p>
${tokenTable(r, list)}
${mayCreate(r) ? createForm(r, values) : html`<p class="message">You may not create API tokens (apiTokens.creatorGroups).</p>`}
${await everyOwner(r)}`;
  sendPage(r.res, status, layout({ ...r.page, current: '/tokens' }, 'My API tokens', body));
}

function secretPage(r: ConsoleRequest, title: string, created: CreatedApiToken, extra: string): void {
  const body = html`<p class="message" role="status">${extra} Copy the secret now: it is shown only once and cannot be shown again.</p>
<div class="secret"><label class="visually-hidden" for="secret">Secret of ${created.name}</label>
<input type="text" id="secret" readonly value="${created.token}" autocomplete="off" spellcheck="false">
<button type="button" class="secondary" data-copy="secret" hidden>Copy</button></div>
<table><tbody><tr><th scope="row">Name</th><td>${created.name}</td></tr><tr><th scope="row">Scopes</th><td>${created.scopes.join(' ') || '—'}</td></tr>
<tr><th scope="row">Expires</th><td>${created.expiresAt ? shortDate(created.expiresAt) : 'never'}</td></tr></tbody></table>
<p><a class="button" href="${r.page.prefix}/tokens">Back to my tokens</a></p>`;
  sendPage(r.res, 201, layout({ ...r.page, current: '/tokens' }, title, body));
}

async function findOwn(r: ConsoleRequest, id: string): Promise<ApiTokenSummary | undefined> {
  return (await (r.auth.tokens as ApiTokens).list(r.session.principal)).find((t) => t.id === id);
}

function notFound(r: ConsoleRequest): void {
  sendPage(r.res, 404, messagePage(r.page, 'No such token', 'This token does not exist, is revoked, or is not yours.', { href: `${r.page.prefix}/tokens`, label: 'My API tokens' }));
}

async function tokenAction(r: ConsoleRequest, id: string, action: string): Promise<boolean> {
  const tokens = r.auth.tokens as ApiTokens;
  const back = html`<a class="button secondary" href="${r.page.prefix}/tokens">Cancel</a>`;
  if (action === 'revoke') {
    if (r.method === 'POST') {
      try {
        await tokens.revoke(r.session.principal, id);
      } catch (err) {
        const { status } = errorText(err);
        if (status === 404) notFound(r);
        else sendPage(r.res, status, messagePage(r.page, 'Not revoked', (err as Error).message));
        return true;
      }
      r.res.statusCode = 303;
      r.res.setHeader('location', `${r.page.prefix}/tokens?notice=revoked`);
      r.res.end();
      return true;
    }
    const token = await findOwn(r, id);
    // An admin (apiTokens.adminGroups) may revoke anyone's token; the store says at the POST whether it exists.
    if (!token && !tokens.isAdmin(r.session.principal)) return notFound(r), true;
    const what = token ? html`<strong>${token.name}</strong>` : html`token <code>${id}</code> of another owner`;
    sendPage(r.res, 200, layout({ ...r.page, current: '/tokens' }, 'Revoke a token', html`<p>Revoke ${what}? Every request with it is refused from now on. This cannot be undone.</p>
<form method="post" action="${r.page.prefix}/tokens/${id}/revoke" data-confirm="Revoke this token? This cannot be undone.">
<input type="hidden" name="csrf" value="${r.session.csrf}"><button type="submit" class="danger">Revoke ${token ? token.name : 'the token'}</button> ${back}</form>`));
    return true;
  }
  if (action === 'roll' && supports(tokens, 'roll')) {
    if (r.method === 'POST') {
      const graceSec = Number(r.form.get('graceSec') ?? 0);
      try {
        const rolled = await tokens.roll(r.session.principal, id, { graceSec: GRACE_CHOICES.some(([s]) => s === graceSec) ? graceSec : 0 });
        secretPage(r, 'Token rolled', rolled, graceSec ? 'The token has a new secret; the old one keeps working for the grace period.' : 'The token has a new secret; the old one no longer works.');
      } catch (err) {
        const { status } = errorText(err);
        if (status === 404) notFound(r);
        else sendPage(r.res, status, messagePage(r.page, 'Not rolled', (err as Error).message));
      }
      return true;
    }
    const token = await findOwn(r, id);
    if (!token) return notFound(r), true;
    sendPage(r.res, 200, layout({ ...r.page, current: '/tokens' }, 'Roll a token', html`<p>Give <strong>${token.name}</strong> a new secret (same name, scopes and expiry).</p>
<form class="stack" method="post" action="${r.page.prefix}/tokens/${id}/roll">
<input type="hidden" name="csrf" value="${r.session.csrf}">
<div><label for="grace">The old secret keeps working for</label><select id="grace" name="graceSec">${GRACE_CHOICES.map(([s, label]) => html`<option value="${s}">${label}</option>`)}</select></div>
<div><button type="submit">Roll ${token.name}</button> ${back}</div></form>`));
    return true;
  }
  if (action === 'usage' && supports(tokens, 'usage') && r.method === 'GET') {
    const token = await findOwn(r, id);
    if (!token) return notFound(r), true;
    const usage = await tokens.usage(r.session.principal, id, { days: 30 });
    const rows = [...usage.days].reverse();
    sendPage(r.res, 200, layout({ ...r.page, current: '/tokens' }, `Usage of ${token.name}`, html`<p>Requests with this token per day (UTC), the last 30 days, newest first. Counts are written about once a minute.</p>
<div class="table-wrap"><table><thead><tr><th scope="col">Day</th><th scope="col">Allowed</th><th scope="col">Refused</th></tr></thead>
<tbody>${rows.map((d) => html`<tr><td>${d.day}</td><td>${d.allowed}</td><td>${d.refused}</td></tr>`)}</tbody></table></div>
<p><a href="${r.page.prefix}/tokens">Back to my tokens</a></p>`));
    return true;
  }
  return false;
}

/** My API tokens: list, create (secret shown once), revoke, roll and usage. */
export async function tokenRoutes(r: ConsoleRequest): Promise<boolean> {
  if (r.path !== '/tokens' && !r.path.startsWith('/tokens/')) return false;
  if (!r.auth.tokens) {
    sendPage(r.res, 404, messagePage(r.page, 'My API tokens', 'API tokens are off in this configuration (apiTokens.enabled).'));
    return true;
  }
  if (r.path === '/tokens') {
    if (r.method === 'GET') {
      await listPage(r);
      return true;
    }
    if (!mayCreate(r)) {
      sendPage(r.res, 403, messagePage(r.page, 'Not allowed', 'You may not create API tokens (apiTokens.creatorGroups).'));
      return true;
    }
    const days = Number(r.form.get('expiresInDays'));
    try {
      const created = await r.auth.tokens.create(r.session.principal, {
        name: r.form.get('name') ?? '',
        scopes: r.form.getAll('scopes'),
        expiresInDays: Number.isInteger(days) ? days : r.form.get('expiresInDays'),
      });
      secretPage(r, 'Token created', created, 'The token is created.');
    } catch (err) {
      const { status, message } = errorText(err);
      await listPage(r, status, message, r.form);
    }
    return true;
  }
  const [, , id, action, ...rest] = r.path.split('/');
  if (!id || !ID.test(id) || !action || rest.length) return false;
  return tokenAction(r, id, action);
}
