import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('@restauth/core package', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

  it('has no runtime dependencies', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
  });

  it('imports only node: built-ins', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(new URL('.', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.includes('.test'));
    for (const f of files) {
      const src = readFileSync(new URL(f, import.meta.url), 'utf8');
      for (const m of src.matchAll(/^(?:import|export)[^'\n]*from '([^']+)'/gm)) {
        expect(m[1], `${f} imports ${m[1]}`).toMatch(/^(node:|\.)/);
      }
    }
  });
});
