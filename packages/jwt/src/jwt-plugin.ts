import type { ResolvedJwtProvider, RestAuthPlugin } from '@restauth/core';
import { createJwtStrategy } from './jwt-strategy.js';
import type { JwtPluginOptions } from './options.js';

/**
 * The restauth plugin for `"type": "jwt"` providers: public keys, certificates, shared
 * secrets, JWKS and OIDC discovery. Register it with `createRestAuth`.
 *
 * @example
 * import { createRestAuth } from '@restauth/core';
 * import { jwtPlugin } from '@restauth/jwt';
 * const auth = createRestAuth(config, { plugins: [jwtPlugin()] });
 */
export function jwtPlugin(options: JwtPluginOptions = {}): RestAuthPlugin {
  return {
    name: 'jwt',
    providers: {
      jwt(providers, ctx) {
        const jwtProviders = providers as readonly ResolvedJwtProvider[];
        const paths = jwtProviders.map((p) => {
          const i = ctx.config.providers.indexOf(p);
          return i === -1 ? ctx.path : `providers[${i}]`;
        });
        // A JWT of an issuer no jwt provider names may still be another provider's to check.
        const othersMayAccept = ctx.config.providers.some((p) => p.type !== 'jwt');
        return createJwtStrategy(jwtProviders, { ...options, paths, othersMayAccept, observers: ctx.observers });
      },
    },
  };
}
