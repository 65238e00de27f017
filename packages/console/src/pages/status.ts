import type { HealthReport, StoreHealth } from '@restauth/core';
import type { ConsoleRequest } from '../console.js';
import { html, layout, messagePage, sendPage, shortDate, type Html } from '../html.js';
import { redactConfig } from '../redact.js';

function state(s: { status: string } | null | undefined): Html {
  return s ? html`<span class="${s.status}">${s.status}</span>` : html`<span class="skip">—</span>`;
}

function storeRows(stores: Readonly<Record<string, StoreHealth>>): Html {
  const names = Object.keys(stores);
  if (!names.length) return html`<p>No store in use.</p>`;
  return html`<div class="table-wrap"><table><thead><tr><th scope="col">Store</th><th scope="col">State</th><th scope="col">Reachable</th><th scope="col">Circuit</th><th scope="col">Last error</th></tr></thead>
<tbody>${names.map((n) => {
    const s = stores[n] as StoreHealth;
    return html`<tr><td>${n}</td><td>${state(s)}</td><td>${s.reachable === null ? 'unknown' : s.reachable ? 'yes' : 'no'}</td><td>${s.circuit ?? '—'}</td><td>${s.lastError ?? '—'}</td></tr>`;
  })}</tbody></table></div>`;
}

function healthPart(report: HealthReport): Html {
  const providers = Object.entries(report.checks.providers);
  const audit = report.checks.audit;
  return html`<p>Overall: <strong>${state(report)}</strong>${report.checks.ready === false ? ' (not ready: keys not loaded yet)' : ''}</p>
<h2>Providers</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Provider</th><th scope="col">State</th><th scope="col">Keys</th><th scope="col">Last success</th><th scope="col">Circuit</th><th scope="col">Last error</th></tr></thead>
<tbody>${providers.map(([name, p]) => html`<tr><td>${name}</td><td>${state(p)}</td><td>${p.keysLoaded === null ? 'not used' : p.keysLoaded ? 'loaded' : 'not loaded'}</td><td>${shortDate(p.lastSuccessAt)}</td><td>${p.circuit ?? '—'}</td><td>${p.lastError ?? '—'}</td></tr>`)}</tbody></table></div>
<h2>Stores</h2>${storeRows(report.checks.stores)}
<h2>Audit</h2>${audit
    ? html`<table><tbody><tr><th scope="row">State</th><td>${state(audit)}</td></tr><tr><th scope="row">Queued</th><td>${audit.queueDepth}</td></tr>
<tr><th scope="row">Spill file</th><td>${audit.spillInUse ? `in use, ${audit.spillBytes} bytes` : 'not in use'}</td></tr><tr><th scope="row">Sink errors</th><td>${audit.sinkErrors}</td></tr><tr><th scope="row">Dropped</th><td>${audit.dropped}</td></tr></tbody></table>`
    : html`<p>Audit is off.</p>`}`;
}

/** Status (admins): health of providers, stores and audit, and the effective config with secrets redacted. */
export async function statusRoutes(r: ConsoleRequest): Promise<boolean> {
  if (r.path !== '/status' || r.method !== 'GET') return false;
  if (!r.admin) {
    sendPage(r.res, 403, messagePage(r.page, 'Admins only', 'This page is for members of the console\'s admin groups (console.adminGroups).'));
    return true;
  }
  // health() is newer than some gates this console may be given: without it, say so.
  const health = typeof r.auth.health === 'function' ? await r.auth.health().catch(() => undefined) : undefined;
  const body = html`${health ? healthPart(health) : html`<p class="message">This restauth version reports no health (auth.health()).</p>`}
<h2>Effective configuration <span class="hint">(every secret redacted)</span></h2>
<pre>${JSON.stringify(redactConfig(r.auth.config), null, 2)}</pre>`;
  sendPage(r.res, 200, layout({ ...r.page, current: '/status' }, 'Status', body));
  return true;
}
