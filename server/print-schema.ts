/**
 * `npm run schema:print`: writes schema.graphql from the Pothos schema. With `--check` it writes nothing
 * and exits 1 when the committed file is stale (CI).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SCHEMA_FILE, schemaFileText } from './schema/index.js';

const text = schemaFileText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(SCHEMA_FILE, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    process.stderr.write(`${SCHEMA_FILE} is stale: run npm run schema:print\n`);
    process.exit(1);
  }
  process.stdout.write(`${SCHEMA_FILE} is up to date\n`);
} else {
  writeFileSync(SCHEMA_FILE, text);
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
