import { fileURLToPath } from 'node:url';

/** One example app, as a process the suite starts. */
export interface Target {
  readonly name: string;
  readonly dir: string;
  readonly env?: Readonly<Record<string, string>>;
}

const app = (name: string) => fileURLToPath(new URL(`../../../apps/${name}-example`, import.meta.url));

const ALL: readonly Target[] = [
  { name: 'express', dir: app('express') },
  { name: 'koa', dir: app('koa') },
  { name: 'fastify', dir: app('fastify') },
  { name: 'nestjs-express', dir: app('nestjs'), env: { PLATFORM: 'express' } },
  { name: 'nestjs-fastify', dir: app('nestjs'), env: { PLATFORM: 'fastify' } },
];

/**
 * Every adapter the conformance suite holds to one contract (NestJS on both platforms).
 * `CONFORMANCE_TARGETS=express,koa` narrows a local run; CI always runs them all.
 */
export const TARGETS: readonly Target[] = process.env['CONFORMANCE_TARGETS'] && process.env['CI'] !== 'true'
  ? ALL.filter((t) => process.env['CONFORMANCE_TARGETS']!.split(',').includes(t.name))
  : ALL;
