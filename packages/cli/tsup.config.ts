import { defineConfig } from 'tsup';
import { build } from '../../tsup.base.js';

// src/cli.ts starts with `#!/usr/bin/env node`: esbuild keeps an entry's hashbang and tsup
// marks that file executable, so only dist/cli.js gets it (a `banner` would go into every file).
export default defineConfig(build({ entry: ['src/index.ts', 'src/cli.ts'], format: ['esm'], dts: { entry: 'src/index.ts' } }));
