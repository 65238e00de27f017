/**
 * A cookie-keeping HTTP client that follows redirects by hand, enough to sign in through the
 * IdP's real login page without a browser (the browser tests do the same in Chromium).
 */
export interface Answer {
  readonly status: number;
  readonly url: string;
  readonly headers: Headers;
  readonly text: string;
}

export class HttpBrowser {
  /** Cookies by origin, then name. Paths are ignored: every request here stays below them. */
  readonly jar = new Map<string, Map<string, string>>();

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(origin)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const jar = this.jar.get(origin) ?? new Map<string, string>();
    jar.set(name, value);
    this.jar.set(origin, jar);
  }

  async request(url: string, init: { method?: string; form?: Record<string, string | string[]>; headers?: Record<string, string>; follow?: boolean; body?: string } = {}): Promise<Answer> {
    let current = new URL(url);
    let method = init.method ?? 'GET';
    let body: string | undefined = init.body;
    const headers: Record<string, string> = { ...init.headers };
    if (init.form) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
      body = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    for (let hop = 0; hop < 20; hop++) {
      const jar = this.jar.get(current.origin);
      const cookie = jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
      const res = await fetch(current, { method, body, redirect: 'manual', headers: { ...headers, ...(cookie ? { cookie } : {}) } });
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const eq = (pair ?? '').indexOf('=');
        const name = (pair ?? '').slice(0, eq).trim();
        const value = (pair ?? '').slice(eq + 1).trim();
        const expired = attrs.some((a) => /^\s*max-age=0$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
        if (expired || value === '') this.jar.get(current.origin)?.delete(name);
        else this.setCookie(current.origin, name, value);
      }
      const location = res.headers.get('location');
      if (init.follow !== false && location && res.status >= 300 && res.status < 400) {
        await res.arrayBuffer();
        current = new URL(location, current);
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        continue;
      }
      return { status: res.status, url: current.href, headers: res.headers, text: await res.text() };
    }
    throw new Error('too many redirects');
  }

  /** Signs in: opens `start`, fills the IdP's login form with the user's credentials, follows back. */
  async signIn(start: string, username: string, password = `${username}-password`): Promise<Answer> {
    const loginPage = await this.request(start);
    const action = /<form method="post" action="([^"]+)"/.exec(loginPage.text)?.[1];
    if (!action) throw new Error(`no login form at ${loginPage.url} (${loginPage.status}): ${loginPage.text.slice(0, 200)}`);
    return this.request(new URL(action.replace(/&amp;/g, '&'), loginPage.url).href, { method: 'POST', form: { username, password } });
  }
}

/** The value of a hidden or text input by name or id. */
export function inputValue(html: string, name: string): string | undefined {
  const m = new RegExp(`<input[^>]*(?:name|id)="${name}"[^>]*value="([^"]*)"`).exec(html);
  return m?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
