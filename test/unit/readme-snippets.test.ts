// The README's client snippets are the compiled ones: each examples/snippets/*.ts holds a block
// between `// README:start` and `// README:end` that the README shows as it is (import paths
// written as an app would: ./gql/…, no .ts), and `npm run typecheck` compiles the file strictly.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const dir = new URL('examples/snippets/', root);

describe('README snippets', () => {
  const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));
  it('there are some', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });
  for (const file of files) {
    it(`${file}: the README shows its block as it is`, () => {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const block = /\/\/ README:start\n([\s\S]*?)\/\/ README:end/.exec(text)?.[1];
      expect(block, `${file} has no README block`).toBeDefined();
      const shown = block!.replace(/'\.\.\/gql\/([^']*?)\.ts'/g, "'./gql/$1'");
      expect(readme).toContain('```ts\n' + shown + '```');
    });
  }
});
