import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

describe('npm run demo', () => {
  it('walks the whole tour against the real IdP and the Express example', async () => {
    const [idpPort, port] = await Promise.all([freePort(), freePort()]);
    const { stdout } = await run(process.execPath, ['dist/main.js'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, DEMO_EXIT: '1', IDP_PORT: String(idpPort), PORT: String(port), NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(stdout).not.toMatch(/expected \d{3}/);
    for (const line of ['→ 401', '→ 200', '→ 403', '→ 201', '→ 204', 'insufficient_scope', 'Try it yourself', `http://127.0.0.1:${port}/api/items`]) {
      expect(stdout).toContain(line);
    }
    expect(stdout).toContain('www-authenticate: Bearer realm="restauth-demo"');
    expect(stdout).toContain('The audit trail of this tour');
    expect(stdout).toMatch(/DELETE \/api\/items\/1 +403 deny +rule +bob/);
    expect(stdout).toMatch(/GET +\/api\/items +403 deny +allowGroups +eve/);
    expect(stdout).toContain('restauth test-token');
    expect(stdout).toMatch(/deny/i);
  }, 90_000);
});
