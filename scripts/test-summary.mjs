// Adds up the vitest results turbo logged for every package (fresh or replayed from cache) and
// prints one closing line: "N passed, N failed".
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const group of ['packages', 'apps', 'bench']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  const pkgs = group === 'bench' ? [''] : readdirSync(dir);
  for (const pkg of pkgs) {
    const log = join(dir, pkg, '.turbo', 'turbo-test.log');
    if (!existsSync(log)) continue;
    // eslint-disable-next-line no-control-regex
    const text = readFileSync(log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
    const line = [...text.matchAll(/^\s*Tests\s+(.+)$/gm)].at(-1)?.[1];
    if (!line) continue;
    const n = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
    passed += n('passed');
    failed += n('failed');
    skipped += n('skipped');
    rows.push(`  ${(group + '/' + pkg).padEnd(28)} ${line.trim()}`);
  }
}
console.log('\nTest results by package:');
console.log(rows.join('\n'));
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed ? 1 : 0;
