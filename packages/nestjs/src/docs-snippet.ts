// The snippet shown in docs/frameworks/nestjs.md (kept in sync by nestjs.test.ts).
import { Controller, Delete, Get, HttpCode, Module } from '@nestjs/common';
import { Principal, Public, RequireGroups, RestAuthModule } from '@restauth/nestjs';

@Controller()
class ApiController {
  @Public()
  @Get('/public/info')
  info(@Principal() user?: Principal) {
    return { hello: user?.username ?? 'anonymous' };
  }

  @Get('/api/me') // every route needs a valid token unless it is @Public()
  me(@Principal() user: Principal) {
    return { username: user.username, groups: user.groups };
  }

  @RequireGroups('admins')
  @Delete('/api/items/:id')
  @HttpCode(204)
  remove() {}
}

export function createApiModule(issuer: string) {
  @Module({
    imports: [
      RestAuthModule.forRoot({
        providers: [{ name: 'corp', type: 'jwt', issuer, audience: 'api', discovery: true }],
        policy: { allowGroups: ['users'] },
      }),
    ],
    controllers: [ApiController],
  })
  class ApiModule {}
  return ApiModule;
}
