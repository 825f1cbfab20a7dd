// Writes schema.graphql from the Pothos schema (sorted, stable), and examples/gql/cache-keys.ts
// (how a normalised cache keys each type); --check fails when either differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { cacheKeysModule } from './cache-keys.ts';
import { schema } from '../src/schema/index.ts';

const outputs: [string, string][] = [
  ['schema.graphql', `${printSchema(schema)}\n`],
  ['examples/gql/cache-keys.ts', cacheKeysModule(schema)],
];
const at = (name: string) => new URL(`../${name}`, import.meta.url);

if (process.argv.includes('--check')) {
  const stale = outputs.filter(([name, text]) => {
    try {
      return readFileSync(at(name), 'utf8') !== text;
    } catch {
      // A missing file is simply out of date.
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(
      `${stale.map(([name]) => name).join(', ')} out of date with the Pothos schema: run \`npm run schema\` and commit.`,
    );
    process.exit(1);
  }
  console.log('schema.graphql and cache-keys.ts are up to date.');
} else {
  for (const [name, text] of outputs) {
    writeFileSync(at(name), text);
    console.log(`wrote ${name}`);
  }
}
