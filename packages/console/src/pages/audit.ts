import { isAbsolute, resolve } from 'node:path';
import { readAuditFile, type AuditEvent, type AuditFilter } from '@restauth/core';
import type { ConsoleRequest } from '../console.js';
import { html, layout, messagePage, sendPage, shortDate, type Html } from '../html.js';

const PAGE_SIZE = 50;
/** The most rows one PostgreSQL query returns (the sink's own limit). */
const POSTGRES_MAX = 10_000;
const DECISIONS = ['allow', 'deny', 'would-deny'] as const;

/** One page of events, newest first, or why the sink cannot be read. */
type Answer = { events: Partial<AuditEvent>[]; more: boolean; note?: string } | { unreadable: string };

/** A `datetime-local` value (taken as UTC) or an ISO time; undefined when empty or not a time. */
function timeParam(value: string | null): Date | undefined {
  if (!value) return undefined;
  const t = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function filterOf(q: URLSearchParams): AuditFilter {
  const text = (name: string) => q.get(name)?.trim().slice(0, 200) || undefined;
  const decision = q.get('decision');
  return {
    decision: (DECISIONS as readonly string[]).includes(decision ?? '') ? (decision as AuditFilter['decision']) : undefined,
    reason: text('reason'),
    user: text('user'),
    pathPrefix: text('path'),
    since: timeParam(q.get('since')),
    until: timeParam(q.get('until')),
  };
}

async function read(r: ConsoleRequest, filter: AuditFilter, offset: number): Promise<Answer> {
  const sink = r.auth.config.audit.sink;
  if (sink.type === 'file' && sink.path) {
    // The sink resolves its path against the app's working directory; so does this.
    const path = isAbsolute(sink.path) ? sink.path : resolve(process.cwd(), sink.path);
    try {
      const { events, more, skipped } = await readAuditFile(path, { filter, limit: PAGE_SIZE, offset });
      return { events, more, ...(skipped ? { note: `${skipped} line(s) of the file were not JSON and were skipped.` } : {}) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { events: [], more: false, note: 'The audit file does not exist yet: no event has been written.' };
      return { unreadable: `The audit file ${sink.path} cannot be read (${code ?? 'error'}).` };
    }
  }
  if (sink.type === 'postgres') {
    let postgres: typeof import('@restauth/postgres');
    try {
      postgres = await import('@restauth/postgres');
    } catch {
      return { unreadable: 'The audit sink is PostgreSQL, but @restauth/postgres is not installed beside the console.' };
    }
    // Reading never creates the table and never prunes.
    const reader = postgres.createPostgresAuditSink({ url: sink.url, table: sink.table, autoMigrate: false, pruneIntervalMs: 0 });
    try {
      const want = Math.min(offset + PAGE_SIZE + 1, POSTGRES_MAX);
      const rows = (await reader.query({ ...filter, limit: want })).filter((e) => filter.pathPrefix === undefined || e.path.startsWith(filter.pathPrefix));
      return { events: rows.slice(offset, offset + PAGE_SIZE), more: rows.length > offset + PAGE_SIZE };
    } catch (err) {
      const code = (err as { code?: string }).code;
      return code === '42P01'
        ? { events: [], more: false, note: `The audit table ${reader.table} does not exist yet: no event has been written.` }
        : { unreadable: `The PostgreSQL audit table cannot be queried (${code ?? (err as Error).name}).` };
    } finally {
      await reader.close();
    }
  }
  return { unreadable: `The audit sink is "${sink.type}": its events are not kept where the console can read them. Use a "file" or "postgres" sink (audit.sink) to see them here.` };
}

function filterForm(r: ConsoleRequest): Html {
  const q = r.query;
  const v = (name: string) => q.get(name)?.slice(0, 200) ?? '';
  return html`<form class="filters" method="get" action="${r.page.prefix}/audit">
<div><label for="decision">Decision</label><select id="decision" name="decision"><option value="">any</option>${DECISIONS.map((d) => html`<option${v('decision') === d ? html` selected` : ''}>${d}</option>`)}</select></div>
<div><label for="reason">Reason <span class="hint">(check)</span></label><input type="text" id="reason" name="reason" value="${v('reason')}"></div>
<div><label for="user">User</label><input type="text" id="user" name="user" value="${v('user')}"></div>
<div><label for="path">Path starts with</label><input type="text" id="path" name="path" value="${v('path')}"></div>
<div><label for="since">From <span class="hint">(UTC)</span></label><input type="datetime-local" id="since" name="since" value="${v('since')}"></div>
<div><label for="until">To <span class="hint">(UTC)</span></label><input type="datetime-local" id="until" name="until" value="${v('until')}"></div>
<div><button type="submit">Filter</button></div></form>`;
}

function eventTable(events: readonly Partial<AuditEvent>[]): Html {
  if (!events.length) return html`<p>No events match.</p>`;
  return html`<div class="table-wrap"><table><thead><tr><th scope="col">Time</th><th scope="col">Decision</th><th scope="col">Status</th><th scope="col">Request</th><th scope="col">User</th><th scope="col">Reason</th><th scope="col">IP</th><th scope="col">Latency</th></tr></thead>
<tbody>${events.map((e) => html`<tr><td>${shortDate(typeof e.time === 'string' ? e.time : null)}</td><td class="${String(e.decision ?? '')}">${String(e.decision ?? '?')}</td><td>${String(e.status ?? '—')}</td>
<td><code>${String(e.method ?? '')} ${String(e.path ?? '')}</code></td><td>${e.username ? html`${e.username}${e.provider ? html` <span class="hint">(${e.provider})</span>` : ''}` : html`<span class="hint">anonymous</span>`}</td>
<td>${String(e.reason ?? '—')}</td><td>${String(e.ip ?? '—')}</td><td>${e.latencyMs === undefined ? '—' : `${e.latencyMs} ms`}</td></tr>`)}</tbody></table></div>`;
}

/** Audit (admins): the latest events of the configured sink, filtered and paged. */
export async function auditRoutes(r: ConsoleRequest): Promise<boolean> {
  if (r.path !== '/audit' || r.method !== 'GET') return false;
  if (!r.admin) {
    sendPage(r.res, 403, messagePage(r.page, 'Admins only', 'This page is for members of the console\'s admin groups (console.adminGroups).'));
    return true;
  }
  const pageNo = Math.min(Math.max(1, Number.parseInt(r.query.get('page') ?? '1', 10) || 1), POSTGRES_MAX / PAGE_SIZE);
  const answer = await read(r, filterOf(r.query), (pageNo - 1) * PAGE_SIZE);
  const { audit } = r.auth.config;
  const link = (n: number) => {
    const q = new URLSearchParams(r.query);
    q.set('page', String(n));
    return `${r.page.prefix}/audit?${q}`;
  };
  const body = html`<p>Events of the ${audit.sink.type} sink${audit.sink.path ? html` <code>${audit.sink.path}</code>` : ''}, newest first, ${PAGE_SIZE} a page.${audit.enabled ? '' : ' Audit is off (audit.enabled): no new events are written.'}</p>
${filterForm(r)}
${'unreadable' in answer
    ? html`<p class="message error" role="alert">${answer.unreadable}</p>`
    : html`${answer.note ? html`<p class="message">${answer.note}</p>` : ''}${eventTable(answer.events)}
<nav class="pager" aria-label="Pages">${pageNo > 1 ? html`<a href="${link(pageNo - 1)}">Newer</a>` : ''}<span>Page ${pageNo}</span>${answer.more ? html`<a href="${link(pageNo + 1)}">Older</a>` : ''}</nav>`}`;
  sendPage(r.res, 200, layout({ ...r.page, current: '/audit' }, 'Audit', body));
  return true;
}
