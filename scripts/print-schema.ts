// Writes schema.graphql from the Pothos schema (sorted, stable); --check fails when it differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.ts';

const target = new URL('../schema.graphql', import.meta.url);
const printed = `${printSchema(schema)}\n`;

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // A missing file is simply out of date.
  }
  if (committed !== printed) {
    console.error(
      'schema.graphql is out of date with the Pothos schema: run `npm run schema` and commit it.',
    );
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
} else {
  writeFileSync(target, printed);
  console.log('wrote schema.graphql');
}
