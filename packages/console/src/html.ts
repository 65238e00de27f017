import type { ServerResponse } from 'node:http';

/** HTML that is already safe to write: only {@link html} and {@link raw} make one. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** A template tag that escapes every interpolated value unless it is already {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Trusted markup (never user input). */
export const raw = (markup: string): Html => new Html(markup);

/** The Content-Security-Policy of every console page: nothing inline, nothing from elsewhere. */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/** Headers every console answer carries. */
export function securityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts, which the origin check refuses.
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

/** What the layout needs to know about the visitor and the console. */
export interface PageContext {
  readonly prefix: string;
  readonly assets: { readonly css: string; readonly js: string };
  readonly user?: { readonly username: string; readonly admin: boolean; readonly csrf: string } | undefined;
  readonly current?: string | undefined;
}

const NAV: readonly { path: string; label: string; admin: boolean }[] = [
  { path: '/tokens', label: 'My API tokens', admin: false },
  { path: '/test', label: 'Test a token', admin: true },
  { path: '/audit', label: 'Audit', admin: true },
  { path: '/status', label: 'Status', admin: true },
];

/** A whole page: header with navigation and sign-out, then `body`. */
export function layout(ctx: PageContext, title: string, body: Html): Html {
  const { user, prefix } = ctx;
  const nav = user
    ? html`<nav aria-label="Console"><ul>${NAV.filter((n) => !n.admin || user.admin).map(
        (n) => html`<li><a href="${prefix + n.path}"${ctx.current === n.path ? raw(' aria-current="page"') : ''}>${n.label}</a></li>`,
      )}</ul></nav>
      <form class="signout" method="post" action="${prefix}/logout"><input type="hidden" name="csrf" value="${user.csrf}">
      <span class="who">Signed in as <strong>${user.username}</strong>${user.admin ? ' (admin)' : ''}</span> <button type="submit">Sign out</button></form>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · restauth console</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="${ctx.assets.css}"><script src="${ctx.assets.js}" defer></script></head>
<body><header><a class="brand" href="${prefix}/">restauth console</a>${nav}</header>
<main id="main"><h1>${title}</h1>
${body}
</main></body></html>`;
}

/** Sends an HTML page with the console's headers; never cached (pages hold per-person data). */
export function sendPage(res: ServerResponse, status: number, page: Html, headers: Record<string, string | string[]> = {}): void {
  securityHeaders(res);
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(page.value);
}

/** A short-lived notice page (errors, refusals) with the same layout. */
export function messagePage(ctx: PageContext, title: string, message: Html | string, action?: { href: string; label: string }): Html {
  return layout(ctx, title, html`<p class="message" role="alert">${message}</p>${action ? html`<p><a class="button" href="${action.href}">${action.label}</a></p>` : ''}`);
}

/** `2026-05-01 12:30` (UTC) or an em dash. */
export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').slice(0, 16) + ' UTC';
}
