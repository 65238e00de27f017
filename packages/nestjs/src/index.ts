export { RESTAUTH } from './restauth.constants.js';
export { Public, ReadOnly, RequireGroups, RequireScopes, Principal } from './restauth.decorators.js';
export { RestAuthGuard, RestAuthException, toRequestLike } from './restauth.guard.js';
export { RestAuthTokensController } from './restauth.tokens.controller.js';
export type { RestAuthHttpRequest } from './restauth.guard.js';
export { RestAuthModule } from './restauth.module.js';
export type { RestAuthModuleOptions, RestAuthModuleExtras, RestAuthForRootOptions, RestAuthModuleAsyncOptions } from './restauth.module.js';
export type { Decision, RestAuth, RestAuthConfig, RouteOptions, RouteRequirements } from '@restauth/core';
