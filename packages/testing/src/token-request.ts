import { TEST_CLIENTS, type TestClient } from './fixtures.js';

/** The fixed client named `clientId`, or a clear error naming the known ones. */
export function findTestClient(clientId: string): TestClient {
  const client = Object.hasOwn(TEST_CLIENTS, clientId) ? TEST_CLIENTS[clientId] : undefined;
  if (client === undefined) {
    throw new Error(`unknown test client "${clientId}" (known: ${Object.keys(TEST_CLIENTS).join(', ')})`);
  }
  return client;
}

/** POSTs a token request with client_secret_basic and returns the access token. */
export async function requestAccessToken(
  tokenEndpoint: string,
  client: TestClient,
  params: Record<string, string | undefined>,
  extraHeaders?: Record<string, string>,
): Promise<string> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) body.set(name, value);
  }
  const credentials = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...extraHeaders,
    },
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below with the status
  }
  if (!response.ok || typeof json.access_token !== 'string') {
    const error = typeof json.error === 'string' ? json.error : 'unexpected response';
    const description = typeof json.error_description === 'string' ? `: ${json.error_description}` : '';
    throw new Error(`token request (${params.grant_type}) failed with HTTP ${response.status}, ${error}${description}`);
  }
  return json.access_token;
}
