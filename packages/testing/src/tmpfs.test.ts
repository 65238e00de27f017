import { statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

let disk: Tmpfs;
beforeAll(() => { disk = mountTmpfs({ sizeKiB: 256 }); });
afterAll(() => disk?.unmount());

describe('mountTmpfs', () => {
  it('mounts a small file system that fill() makes full and free() empties again', () => {
    const total = statfsSync(disk.dir);
    expect(total.blocks * total.bsize).toBe(256 * 1024);
    const filler = disk.fill();
    expect(statfsSync(disk.dir).bavail).toBe(0);
    expect(() => writeFileSync(join(disk.dir, 'more'), 'x'.repeat(8192))).toThrow(/ENOSPC/);
    disk.free(filler);
    writeFileSync(join(disk.dir, 'more'), 'x'.repeat(8192));
    expect(statfsSync(disk.dir).bavail).toBeGreaterThan(0);
  });
});
