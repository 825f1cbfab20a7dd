// TrustedDocuments on its own, with a clock of its own: when it looks at its files again, what
// counts as a change, and what it says when a source holds nothing.
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TrustedDocuments } from '../../src/plugins/use-trusted-documents.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
  dirs.push(dir);
  return dir;
};

describe('TrustedDocuments', () => {
  it('looks at its files again once a second has passed since it last did, not before', () => {
    const dir = tempDir();
    const file = join(dir, 'app.json');
    writeFileSync(file, JSON.stringify({ a: '{ a }' }));
    let now = 5_000;
    const documents = new TrustedDocuments(file, { now: () => now });
    writeFileSync(file, JSON.stringify({ a: '{ a }', b: '{ b }' }));
    now = 5_999;
    expect(documents.get('b')).toBeNull();
    now = 6_000;
    expect(documents.get('b')).toBe('{ b }');
  });

  it('tells a change by the file’s time alone, and by its size alone', () => {
    const dir = tempDir();
    const file = join(dir, 'app.json');
    writeFileSync(file, JSON.stringify({ a: '{ a }' }));
    let now = 0;
    const documents = new TrustedDocuments(file, { now: () => now, recheckMs: 10 });
    // Same size, another document, a later time.
    writeFileSync(file, JSON.stringify({ b: '{ b }' }));
    utimesSync(file, new Date(), new Date(Date.now() + 60_000));
    now += 10;
    expect(documents.get('b')).toBe('{ b }');
    // Another size, the time put back as it was.
    const { atime, mtime } = statSync(file);
    writeFileSync(file, JSON.stringify({ bb: '{ bb }' }));
    utimesSync(file, atime, mtime);
    now += 10;
    expect(documents.get('bb')).toBe('{ bb }');
    expect(documents.get('b')).toBeNull();
  });

  it('names every source, as given, when together they hold no manifest', () => {
    const [one, two] = [tempDir(), tempDir()];
    mkdirSync(join(one, 'sub'));
    expect(() => new TrustedDocuments(`${one},${two}`)).toThrow(
      `TRUSTED_DOCUMENTS_FILE=${JSON.stringify(`${one},${two}`)} holds no documents`,
    );
  });
});
