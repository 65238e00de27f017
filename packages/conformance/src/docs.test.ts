/**
 * Every TypeScript snippet in README.md and docs/ compiles against the built packages, so the
 * docs cannot drift from the API. (Snippets that run are tested where they live: each package's
 * docs-snippet test.) A relative import in a snippet names the same page's previous snippet.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = fileURLToPath(new URL('../.docs-check/', import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

describe('documentation snippets', () => {
  const pages = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
  const snippets: { page: string; file: string }[] = [];
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir);
  for (const page of pages) {
    const blocks = [...readFileSync(page, 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);
    const base = relative(root, page).replace(/[^A-Za-z0-9]+/g, '_');
    blocks.forEach((code, i) => {
      for (const m of code.matchAll(/from '\.\/([\w.-]+)\.js'/g)) {
        if (i > 0) writeFileSync(join(outDir, `${m[1]}.ts`), `${blocks[i - 1]}\nexport {};\n`);
      }
      const file = `${base}_${i}.ts`;
      writeFileSync(join(outDir, file), `${code}\nexport {};\n`);
      snippets.push({ page: relative(root, page), file });
    });
  }
  writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify({
    extends: '../../../tsconfig.base.json',
    compilerOptions: { noEmit: true, experimentalDecorators: true, emitDecoratorMetadata: true },
    include: ['*.ts'],
  }));

  it('finds the snippets', () => expect(snippets.length).toBeGreaterThanOrEqual(20));

  it('every snippet compiles', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', outDir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    const byPage = output.split('\n').filter(Boolean).map((line) => {
      const s = snippets.find((x) => line.includes(x.file));
      return s ? `${s.page}: ${line}` : line;
    });
    expect(byPage).toEqual([]);
  }, 120_000);
});
