import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { build } from '../../tsup.base.js';

// The stylesheet and script are served from dist/assets/ (beside dist/index.js), so the console
// needs no build step at start-up and no CDN.
export default defineConfig(build({
  format: ['esm'],
  onSuccess: async () => {
    cpSync('src/assets', 'dist/assets', { recursive: true });
  },
}));
