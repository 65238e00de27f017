import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small tmpfs mounted on a fresh temporary directory: a real file system that really fills up.
 *
 * @example
 * const fs = mountTmpfs({ sizeKiB: 1024 });
 * const filler = fs.fill(); // the disk is now full: writes fail with ENOSPC
 * fs.free(filler);
 * fs.unmount();
 */
export interface Tmpfs {
  /** The mount point. */
  readonly dir: string;
  /** Writes a filler file until the file system is full (ENOSPC); returns its path. */
  fill(name?: string): string;
  /** Deletes a filler file, giving its space back. */
  free(filler: string): void;
  /** Unmounts (lazily if still busy) and removes the directory. */
  unmount(): void;
}

/**
 * Options of {@link mountTmpfs}.
 *
 * @example
 * const options: MountTmpfsOptions = { sizeKiB: 1024 };
 */
export interface MountTmpfsOptions {
  /** Size of the file system, KiB. Default 1024 (1 MiB). */
  readonly sizeKiB?: number;
}

/**
 * Mounts a tmpfs (`mount -t tmpfs -o size=...`) on a new temporary directory. Needs root (as in
 * CI); throws, naming the reason, when the mount fails: a test that needs a full disk must fail
 * loudly rather than pass without one.
 *
 * @example
 * let disk: Tmpfs;
 * beforeAll(() => { disk = mountTmpfs({ sizeKiB: 1024 }); });
 * afterAll(() => disk.unmount());
 */
export function mountTmpfs(options: MountTmpfsOptions = {}): Tmpfs {
  const sizeKiB = options.sizeKiB ?? 1024;
  const dir = mkdtempSync(join(tmpdir(), 'restauth-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`mountTmpfs: could not mount a ${sizeKiB} KiB tmpfs on ${dir} (needs root): ${stderr || (err as Error).message}`);
  }
  let mounted = true;
  return {
    dir,
    fill(name = 'filler') {
      const path = join(dir, name);
      const fd = openSync(path, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      try {
        // Large writes first, then single bytes for the last partial page.
        for (let size = chunk.length; size >= 1; size = Math.floor(size / 4)) {
          for (;;) {
            try {
              if (writeSync(fd, chunk, 0, size) < size) break;
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return path;
    },
    free(filler) {
      rmSync(filler, { force: true });
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', [dir], { stdio: 'ignore' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
