/**
 * Regenerates docs/configuration.md from the config schema (src/config.ts):
 * `npm run docs:config`. src/config.reference.test.ts fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configurationReference } from '../src/config/reference-file.js';

const file = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
writeFileSync(file, configurationReference());
process.stdout.write(`wrote ${file}\n`);
