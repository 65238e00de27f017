import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

/** A static file of the console, read once, addressed by its content hash (cached for a year). */
interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly file: string;
}

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };

function load(name: string): Asset {
  // Beside this module: src/assets/ in the sources, dist/assets/ once built (copied by tsup).
  const body = readFileSync(new URL(`./assets/${name}`, import.meta.url));
  const [base, ext] = name.split('.') as [string, string];
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, type: TYPES[ext] as string, file: `${base}.${hash}.${ext}` };
}

/** The console's stylesheet and script, and the URLs they are served at below the prefix. */
export interface Assets {
  readonly css: string;
  readonly js: string;
  /** Sends the asset at `path` (below the prefix); false when there is none. */
  serve(path: string, res: ServerResponse): boolean;
}

/** Loads the assets once per console. */
export function loadAssets(prefix: string): Assets {
  const files = [load('console.css'), load('console.js')];
  const byPath = new Map(files.map((a) => [`/assets/${a.file}`, a]));
  return {
    css: `${prefix}/assets/${(files[0] as Asset).file}`,
    js: `${prefix}/assets/${(files[1] as Asset).file}`,
    serve(path, res) {
      const asset = byPath.get(path);
      if (!asset) return false;
      res.statusCode = 200;
      res.setHeader('content-type', asset.type);
      res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('content-length', asset.body.length);
      res.end(asset.body);
      return true;
    },
  };
}
