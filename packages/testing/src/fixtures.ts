/**
 * A user of the local test IdP. The IdP serves these fields as the `sub` /
 * `preferred_username`, `email`, `groups` and `name` claims.
 *
 * @example
 * ```ts
 * import { startIdp, type TestUser } from '@restauth/testing';
 *
 * const mallory: TestUser = { username: 'mallory', email: 'mallory@example.com', groups: ['users'] };
 * const idp = await startIdp({ users: { mallory } });
 * ```
 */
export interface TestUser {
  username: string;
  email: string;
  groups: string[];
  name?: string;
  /** Password on the IdP's login page (authorization code flow); without one the user cannot sign in there. */
  password?: string;
}

/**
 * A client registered at the local test IdP (authenticates with `client_secret_basic` or
 * `client_secret_post`).
 *
 * @example
 * ```ts
 * import { TEST_CLIENTS, type TestClient } from '@restauth/testing';
 *
 * const client: TestClient = TEST_CLIENTS['service-a']!;
 * ```
 */
export interface TestClient {
  clientId: string;
  clientSecret: string;
  /** the scopes this client may ask for */
  scopes: string[];
}

/**
 * Every scope the local test IdP knows.
 *
 * @example
 * ```ts
 * import { TEST_SCOPES } from '@restauth/testing';
 *
 * TEST_SCOPES.includes('items:write'); // true
 * ```
 */
export const TEST_SCOPES: readonly string[] = Object.freeze([
  'openid',
  'profile',
  'email',
  'items:read',
  'items:write',
  'admin',
]);

/**
 * The scope of a JWT access token when none is asked for.
 *
 * @example
 * ```ts
 * import { DEFAULT_TOKEN_SCOPE } from '@restauth/testing';
 *
 * DEFAULT_TOKEN_SCOPE; // 'items:read items:write'
 * ```
 */
export const DEFAULT_TOKEN_SCOPE = 'items:read items:write';

function user(username: string, groups: string[], name: string): TestUser {
  return Object.freeze({
    username,
    email: `${username}@example.com`,
    groups: Object.freeze([...groups]) as string[],
    name,
    password: `${username}-password`,
  });
}

/**
 * The fixed users of the local test IdP: `alice` (users, admins), `bob` (users),
 * `carol` (users, auditors) and `eve` (guests), each with `<name>@example.com` and the password
 * `<name>-password` on the IdP's login page.
 *
 * @example
 * ```ts
 * import { TEST_USERS } from '@restauth/testing';
 *
 * TEST_USERS.alice?.groups; // ['users', 'admins']
 * ```
 */
export const TEST_USERS: Readonly<Record<string, TestUser>> = Object.freeze({
  alice: user('alice', ['users', 'admins'], 'Alice Admin'),
  bob: user('bob', ['users'], 'Bob User'),
  carol: user('carol', ['users', 'auditors'], 'Carol Auditor'),
  eve: user('eve', ['guests'], 'Eve Guest'),
});

function client(clientId: string, scopes: string[]): TestClient {
  return Object.freeze({
    clientId,
    clientSecret: `${clientId}-secret`,
    scopes: Object.freeze([...scopes]) as string[],
  });
}

/**
 * The fixed clients of the local test IdP. `restauth-test` gets user tokens and introspects;
 * `service-a` (items:read, items:write, admin) and `service-b` (items:read, items:write) get
 * client-credentials tokens. Each secret is `<clientId>-secret`.
 *
 * @example
 * ```ts
 * import { TEST_CLIENTS } from '@restauth/testing';
 *
 * const { clientId, clientSecret } = TEST_CLIENTS['restauth-test']!;
 * ```
 */
export const TEST_CLIENTS: Readonly<Record<string, TestClient>> = Object.freeze({
  'restauth-test': client('restauth-test', [...TEST_SCOPES]),
  'service-a': client('service-a', ['items:read', 'items:write', 'admin']),
  'service-b': client('service-b', ['items:read', 'items:write']),
});
