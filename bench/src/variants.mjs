// What the HTTP load compares, per framework. `bare` is the ceiling: the same route, no auth.

/** @typedef {{ id: string, label: string, kind: 'bare' | 'floor' | 'restauth' | 'peer', cache?: boolean, rateLimit?: boolean, audit?: boolean, credential: 'jwt' | 'api-token' | 'none' }} Variant */

/** The ceiling and restauth's own variants, the same in every framework. @type {Variant[]} */
const OWN = [
  { id: 'bare', label: 'no auth (ceiling)', kind: 'bare', credential: 'none' },
  { id: 'empty', label: 'an empty async middleware (the framework\'s price of any auth layer)', kind: 'floor', credential: 'none' },
  { id: 'restauth', label: 'restauth, JWT (RS256, JWKS)', kind: 'restauth', cache: true, credential: 'jwt' },
  { id: 'restauth-nocache', label: 'restauth, JWT, cache off (first-seen cost)', kind: 'restauth', cache: false, credential: 'jwt' },
  { id: 'restauth-apitoken', label: 'restauth, API token (memory store)', kind: 'restauth', credential: 'api-token' },
  { id: 'restauth-ratelimit', label: 'restauth, JWT, rate limiting on (memory store)', kind: 'restauth', cache: true, credential: 'jwt', rateLimit: true },
  { id: 'restauth-audit', label: 'restauth, JWT, audit on (file sink)', kind: 'restauth', cache: true, credential: 'jwt', audit: true },
];

/** @type {Record<string, Variant[]>} */
export const FRAMEWORKS = {
  express: [
    ...OWN,
    { id: 'express-jwt', label: 'express-jwt + jwks-rsa', kind: 'peer', credential: 'jwt' },
    { id: 'express-oauth2-jwt-bearer', label: 'express-oauth2-jwt-bearer', kind: 'peer', credential: 'jwt' },
    { id: 'passport-jwt', label: 'passport-jwt + jwks-rsa', kind: 'peer', credential: 'jwt' },
  ],
  koa: [
    ...OWN,
    { id: 'koa-jwt', label: 'koa-jwt + jwks-rsa', kind: 'peer', credential: 'jwt' },
  ],
  fastify: [
    ...OWN,
    { id: 'fastify-jwt', label: '@fastify/jwt + get-jwks', kind: 'peer', cache: false, credential: 'jwt' },
    { id: 'fastify-jwt-cache', label: '@fastify/jwt + get-jwks, verify cache on', kind: 'peer', cache: true, credential: 'jwt' },
  ],
  nestjs: [
    ...OWN,
    { id: 'nestjs-passport', label: '@nestjs/passport + passport-jwt + jwks-rsa', kind: 'peer', credential: 'jwt' },
  ],
};

/** Every framework/variant pair, optionally filtered by `--only=express,koa:restauth`. */
export function selectVariants(only) {
  const filters = only ? only.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const out = [];
  for (const [framework, variants] of Object.entries(FRAMEWORKS)) {
    for (const v of variants) {
      const key = `${framework}:${v.id}`;
      const wanted = filters.length === 0 || filters.some((f) => f === framework || f === key || (v.id === 'bare' && f.startsWith(`${framework}:`)));
      if (wanted) out.push({ framework, ...v });
    }
  }
  return out;
}

/** The JSON body of GET /api/items in every app. */
export const ITEMS = [{ id: 1, name: 'widget' }, { id: 2, name: 'gadget' }];
