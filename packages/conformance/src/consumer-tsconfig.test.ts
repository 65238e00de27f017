/**
 * The tsconfig.json each framework page recommends (the ```json block marked
 * `<!-- not-config: tsconfig.json -->`) compiles a small app against the built packages, as an
 * ESM project, as a CommonJS one, and with the older CommonJS settings the page names, and the
 * adapter's `auth` property is typed there: a Principal, not `any`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const PROVIDERS = `[{ name: 'corp', type: 'jwt', issuer: 'https://sso.example.com/realms/corp', audience: 'api', discovery: true }]`;

// One small app per adapter; each reads the principal where that adapter puts it, and its
// expected-error line fails the build if the property were `any` (or not there at all).
const apps: Record<string, string> = {
  express: `
import express from 'express';
import { restauth, type Principal } from '@restauth/express';

const app = express();
app.use(restauth({ providers: ${PROVIDERS} }));
app.get('/api/me', (req, res) => {
  const caller: Principal | undefined = req.auth;
  // @ts-expect-error req.auth is a Principal, not any
  const wrong: number | undefined = req.auth;
  res.json({ username: caller?.username, groups: req.auth?.groups, wrong });
});
export { app };
`,
  koa: `
import Koa from 'koa';
import { restauth, type Principal } from '@restauth/koa';

const app = new Koa();
app.use(restauth({ providers: ${PROVIDERS} }));
app.use((ctx) => {
  const caller: Principal | undefined = ctx.state.auth;
  // @ts-expect-error ctx.state.auth is a Principal, not any
  const wrong: number | undefined = ctx.state.auth;
  ctx.body = { username: caller?.username, groups: ctx.state.auth?.groups, wrong };
});
export { app };
`,
  fastify: `
import Fastify from 'fastify';
import { restauth, type Principal } from '@restauth/fastify';

export async function createApp() {
  const app = Fastify();
  await app.register(restauth, { config: { providers: ${PROVIDERS} } });
  app.get('/api/me', { config: { restauth: { groups: ['users'] } } }, async (request) => {
    const caller: Principal | undefined = request.auth;
    // @ts-expect-error request.auth is a Principal, not any
    const wrong: number | undefined = request.auth;
    return { username: caller?.username, groups: request.auth?.groups, wrong };
  });
  return app;
}
`,
  nestjs: `
import { Controller, Get, Module, Req } from '@nestjs/common';
import { Principal, RestAuthModule, type RestAuthHttpRequest } from '@restauth/nestjs';

@Controller()
class MeController {
  @Get('/api/me')
  me(@Principal() user: Principal, @Req() req: RestAuthHttpRequest) {
    const caller: Principal | undefined = req.auth;
    // @ts-expect-error req.auth is a Principal, not any
    const wrong: number | undefined = req.auth;
    return { username: user.username, same: caller === user, wrong };
  }
}

@Module({ imports: [RestAuthModule.forRoot({ providers: ${PROVIDERS} })], controllers: [MeController] })
export class AppModule {}
`,
};

type CompilerOptions = Record<string, unknown>;

/** The page's recommended tsconfig.json. */
function recommendedTsconfig(framework: string): { compilerOptions: CompilerOptions } {
  const page = readFileSync(join(root, 'docs/frameworks', `${framework}.md`), 'utf8');
  const blocks = [...page.matchAll(/^<!--\s*not-config:\s*tsconfig\.json\s*-->\s*\n```json\n([\s\S]*?)^```/gm)];
  expect(blocks, `docs/frameworks/${framework}.md shows one recommended tsconfig.json`).toHaveLength(1);
  return JSON.parse(blocks[0]?.[1] as string) as { compilerOptions: CompilerOptions };
}

// How each project differs from the page's tsconfig: the package.json "type", and for the
// older CommonJS setup the page mentions, the compiler options it names.
const settings: { name: string; type: 'module' | 'commonjs'; override: CompilerOptions }[] = [
  { name: 'esm', type: 'module', override: {} },
  { name: 'cjs', type: 'commonjs', override: {} },
  { name: 'cjs-node10', type: 'commonjs', override: { module: 'CommonJS', moduleResolution: 'Node10', esModuleInterop: true } },
];

const work = mkdtempSync(join(tmpdir(), 'restauth-consumer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** tsc's output lines, run in the work folder; [] when it compiled. */
function tscErrors(args: string[]): string[] {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, ...args], { cwd: work, encoding: 'utf8', stdio: 'pipe' });
    return [];
  } catch (e) {
    return String((e as { stdout?: string }).stdout || e).split('\n').filter(Boolean);
  }
}

describe('the recommended tsconfig.json of each framework page', () => {
  const frameworks = Object.keys(apps);
  // A consumer's own folder whose node_modules are the workspace's: the built packages, as installed.
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const project = (name: string, type: 'module' | 'commonjs', compilerOptions: CompilerOptions, app: string): string => {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, files: ['app.ts'] }));
    writeFileSync(join(dir, 'app.ts'), app);
    return name;
  };
  const projects = settings.flatMap((s) => frameworks.map((framework) =>
    project(`${framework}-${s.name}`, s.type, { ...recommendedTsconfig(framework).compilerOptions, ...s.override }, apps[framework] as string)));
  // The control: without @restauth/express in the program, nothing augments Express's Request.
  const control = project('untyped', 'module', recommendedTsconfig('express').compilerOptions,
    `import express from 'express';\nexpress().get('/', (req, res) => { res.json(req.auth); });\n`);

  it('ESM and CommonJS apps compile, with the adapter\'s auth property typed (and the control fails)', () => {
    // One tsc process builds every project, which keeps this to seconds, not minutes.
    expect(tscErrors(['-b', ...projects, control])).toEqual([expect.stringMatching(/^untyped\/app\.ts.*Property 'auth' does not exist/)]);
  }, 120_000);
});
