export { jwtPlugin } from './jwt-plugin.js';
export { createJwtStrategy } from './jwt-strategy.js';
export type { JwtPluginOptions } from './options.js';
