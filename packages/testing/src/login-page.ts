import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { IdpSettings } from './options.js';

/** Where the login page lives, below the issuer: `<issuer>/interaction/<uid>`. */
export const INTERACTION_PATH = '/interaction';

const MAX_FORM_BYTES = 4096;

/** What oidc-provider says is missing when it asks for consent. */
interface MissingGrant {
  readonly missingOIDCScope?: readonly string[];
  readonly missingOIDCClaims?: readonly string[];
  readonly missingResourceScopes?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Consents to everything the client asked for (a test IdP has no consent page): the prompt's
 * missing OpenID scopes and claims and each resource's scopes, added to the existing grant or a new one.
 */
async function consentToAll(provider: Provider, details: InteractionDetails): Promise<string> {
  const missing = (details.prompt.details ?? {}) as MissingGrant;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session?.accountId ?? '', clientId: String(details.params['client_id']) });
  if (!grant) throw new Error('grant not found');
  if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims?.length) grant.addOIDCClaims([...missing.missingOIDCClaims]);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  return grant.save();
}

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginForm(action: string, clientId: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - local test IdP</title></head>
<body style="font-family: sans-serif; max-width: 24rem; margin: 3rem auto; padding: 0 1rem">
<h1>Sign in</h1>
<p>to <strong>${escapeHtml(clientId)}</strong> at the local test IdP (oidc-provider)</p>
${error ? `<p role="alert" style="color: #b00020">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<p><label for="username">Username</label><br><input id="username" name="username" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form></body></html>`;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_FORM_BYTES) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

/**
 * Wraps oidc-provider's handler with the IdP's login page: `GET <issuer>/interaction/<uid>` shows
 * a username / password form, `POST .../login` checks the password of a known user and resumes the
 * authorization; the consent prompt that follows is answered at once. `req.url` is below the
 * issuer path here.
 */
export function withLoginPage(provider: Provider, settings: IdpSettings): (req: IncomingMessage, res: ServerResponse) => void {
  const callback = provider.callback();
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const match = new RegExp(`^${INTERACTION_PATH}/([A-Za-z0-9_-]{1,64})(/login)?$`).exec(path);
    if (!match) {
      callback(req, res);
      return;
    }
    const uid = match[1] as string;
    const action = `${settings.issuerPath}${INTERACTION_PATH}/${uid}/login`;
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) return send(res, 400, 'Unknown login session.');
      if (details.prompt.name === 'consent') {
        const grantId = await consentToAll(provider, details);
        return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      }
      const clientId = String(details.params['client_id'] ?? '');
      if (!match[2] || req.method !== 'POST') return send(res, 200, loginForm(action, clientId));
      const form = await readForm(req);
      const username = form.get('username') ?? '';
      const user = settings.users.get(username);
      if (user?.password === undefined || user.password !== form.get('password')) {
        return send(res, 200, loginForm(action, clientId, 'Wrong username or password.'));
      }
      await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
    })().catch(() => {
      if (!res.headersSent) send(res, 400, 'This login session has expired or is not valid. Start again from the application.');
      else res.end();
    });
  };
}
