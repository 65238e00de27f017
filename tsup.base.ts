import type { Options } from 'tsup';

/**
 * The one build every package shares: Node 20 target, source maps, a clean dist. Libraries
 * emit ESM + CJS + types; apps pass their own entry and format.
 */
export function build(overrides: Options = {}): Options {
  return { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: true, target: 'node20', ...overrides };
}
