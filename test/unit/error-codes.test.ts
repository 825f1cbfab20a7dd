// Every code a client can get is in the schema's ErrorCode enum, and documented: the README's two
// code tables (typed errors, and whole-request refusals, whose rows error-statuses.test.ts checks
// against a running gateway) and the enum hold the same codes.
import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLEnumType } from 'graphql';
import { expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const sdl = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
const enumValues = (buildSchema(sdl).getType('ErrorCode') as GraphQLEnumType)
  .getValues()
  .map((v) => v.name)
  .sort();

/** The codes in the first column of the README table under `heading`, or between the markers. */
function tableCodes(from: string, to: string): string[] {
  const start = readme.indexOf(from);
  const section = readme.slice(start, readme.indexOf(to, start + from.length));
  return [...section.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]!);
}

it('holds exactly the codes the README documents', () => {
  const typed = tableCodes('## Error codes', 'Request-level problems');
  const refusals = tableCodes('<!-- statuses:', '<!-- statuses:end -->');
  expect(typed.length).toBeGreaterThan(5);
  expect(refusals.length).toBeGreaterThan(10);
  const documented = [...new Set([...typed, ...refusals, 'INTERNAL_SERVER_ERROR'])].sort();
  expect(enumValues).toEqual(documented);
});
