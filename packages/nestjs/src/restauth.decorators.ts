import { createParamDecorator, SetMetadata, type CustomDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal as CorePrincipal } from '@restauth/core';
import { GROUPS_KEY, PUBLIC_KEY, READ_ONLY_KEY, SCOPES_KEY } from './restauth.constants.js';

/**
 * The route is public: anonymous callers pass unless the config's `restrictPublic` names it.
 * A token that is sent is still verified (a bad one is a 401). On a controller or a handler.
 *
 * @example
 * @Public()
 * @Get('/public/info')
 * info(@Principal() user?: Principal) { return { username: user?.username ?? null }; }
 */
export const Public = (): CustomDecorator<string> => SetMetadata(PUBLIC_KEY, true);

/**
 * The handler only reads: members of the config's `readOnlyGroups` may call it whatever its
 * HTTP method (a `POST /search`, say). On a controller or a handler.
 *
 * @example
 * @ReadOnly()
 * @Post('/search')
 * search(@Body() query: Query) { ... }
 */
export const ReadOnly = (): CustomDecorator<string> => SetMetadata(READ_ONLY_KEY, true);

/**
 * The caller must be a member of one of these groups. On a controller and on a handler, both
 * apply (the handler cannot loosen the controller).
 *
 * @example
 * @RequireGroups('admins')
 * @Delete('/api/items/:id')
 * remove(@Param('id') id: string) { ... }
 */
export const RequireGroups = (...groups: string[]): CustomDecorator<string> => SetMetadata(GROUPS_KEY, groups);

/**
 * The caller's token must hold every one of these scopes; controller and handler scopes add up.
 *
 * @example
 * @RequireScopes('items:write')
 * @Post('/api/items')
 * create(@Body() body: { name: string }) { ... }
 */
export const RequireScopes = (...scopes: string[]): CustomDecorator<string> => SetMetadata(SCOPES_KEY, scopes);

/**
 * The authenticated caller (the same shape in every framework); `undefined` on a public route
 * called anonymously.
 *
 * @example
 * import type { Principal } from '@restauth/nestjs';
 * const user: Principal | undefined = request.auth;
 */
export type Principal = CorePrincipal;

/**
 * Parameter decorator: the principal the guard attached (`request.auth`).
 *
 * @example
 * @Get('/api/me')
 * me(@Principal() user: Principal) { return { username: user.username }; }
 */
export const Principal: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): CorePrincipal | undefined => context.switchToHttp().getRequest<{ auth?: CorePrincipal }>().auth,
);
