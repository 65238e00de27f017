import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditTrailExample } from './docs-snippet.test-helper.js';

describe('docs/audit.md', () => {
  it('shows the code of docs-snippet.test-helper.ts', () => {
    const doc = readFileSync(new URL('../../../../docs/audit.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./docs-snippet.test-helper.ts', import.meta.url), 'utf8');
    const shown = code.slice(code.indexOf('import ')).replace("from '../index.js'", "from '@restauth/core'").trim();
    expect(doc).toContain('```ts\n' + shown + '\n```');
  });

  it('runs: two events in the file, one through the function sink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restauth-docs-'));
    try {
      const { fromFile, forwarded } = await auditTrailExample(dir);
      expect(fromFile.map((e) => [e.decision, e.status, e.reason, e.path])).toEqual([
        ['allow', 200, 'public', '/public/info'],
        ['deny', 401, 'credentials', '/api/items'],
      ]);
      expect(fromFile[1]).toMatchObject({ requestId: 'req-42', userAgent: 'curl/8.5', ip: '203.0.113.7' });
      expect(forwarded).toMatchObject([{ method: 'DELETE', path: '/api/items/1', decision: 'deny', status: 401 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
