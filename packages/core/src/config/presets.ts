import { num, optional, required, str, url, type Prop } from './schema-dsl.js';

/** A provider preset: the keys it takes, and how it expands to a plain provider entry. */
export interface ProviderPreset {
  readonly props: Readonly<Record<string, Prop>>;
  expand(input: Record<string, unknown>): Record<string, unknown>;
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');
const common = {
  audience: required(str({ minLength: 1, description: 'Expected aud of access tokens.' })),
  usernameClaim: optional(str({ minLength: 1 })),
  groupsClaim: optional(str({ minLength: 1 })),
  clockToleranceSec: optional(num({ integer: true, min: 0, max: 300 })),
};

/** Only the keys that were given; expanded entries get the type's defaults afterwards. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The built-in presets, by name. */
export const PRESETS: Readonly<Record<string, ProviderPreset>> = {
  keycloak: {
    props: {
      baseUrl: required(url({ description: 'Keycloak base URL, e.g. https://sso.example.com' })),
      realm: required(str({ minLength: 1 })),
      ...common,
    },
    expand: (p) => {
      const issuer = `${trimSlash(p['baseUrl'] as string)}/realms/${encodeURIComponent(p['realm'] as string)}`;
      return defined({
        name: p['name'], type: 'jwt', issuer, audience: [p['audience']],
        jwksUri: `${issuer}/protocol/openid-connect/certs`,
        usernameClaim: p['usernameClaim'], groupsClaim: p['groupsClaim'],
        clockToleranceSec: p['clockToleranceSec'],
      });
    },
  },
};
