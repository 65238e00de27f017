// Regenerates restauth.schema.json from the validator (run after a build): npm run schema -w @restauth/core
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/index.js';

writeFileSync(new URL('../restauth.schema.json', import.meta.url), JSON.stringify(configJsonSchema(), null, 2) + '\n');
