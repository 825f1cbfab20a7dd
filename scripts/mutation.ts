// npm run test:mutation [-- [--since <git ref>] [--incremental [--force]] [--tests <globs>] [--static] [file …]]
// Runs Stryker (stryker.config.json) on the core, on the files named, or on the core files changed since
// a git ref (committed since the merge base, staged, unstaged or new). See TESTING.md.
// Static mutants (code run only while modules load or in beforeAll, such as the gateways the
// integration tests start there) need every test file rerun for each, about a minute apiece here:
// they are left out (reported as Ignored) unless --static is given.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { matchesGlob } from 'node:path';
import { parseArgs } from 'node:util';
import config from '../stryker.config.json' with { type: 'json' };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    since: { type: 'string' },
    incremental: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    tests: { type: 'string' },
    static: { type: 'boolean', default: false },
  },
});

const core: string[] = config.mutate;
const inCore = (file: string) => core.some((pattern) => matchesGlob(file, pattern));
const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).split('\n').filter(Boolean);

function changedSince(ref: string): string[] {
  const base = git('merge-base', ref, 'HEAD')[0]!;
  const files = new Set([...git('diff', '--name-only', base), ...git('ls-files', '--others', '--exclude-standard')]);
  return [...files].filter((file) => existsSync(file) && inCore(file)).sort();
}

let mutate = positionals;
if (values.since !== undefined) {
  const changed = changedSince(values.since);
  mutate = positionals.length > 0 ? changed.filter((file) => positionals.some((p) => file === p || matchesGlob(file, p))) : changed;
  if (mutate.length === 0) {
    console.log(`test:mutation: no core file changed since ${values.since}; nothing to mutate.`);
    process.exit(0);
  }
  console.log(`test:mutation: core files changed since ${values.since}: ${mutate.join(', ')}`);
}

const args = ['run', 'stryker.config.json'];
if (mutate.length > 0) args.push('--mutate', mutate.join(','));
if (values.incremental) args.push('--incremental');
if (values.force) args.push('--force');
if (!values.static) args.push('--ignoreStatic');
if (values.tests !== undefined) args.push('--testFiles', values.tests);

const stryker = new URL('../node_modules/.bin/stryker', import.meta.url).pathname;
const { status } = spawnSync(stryker, args, { stdio: 'inherit' });
process.exit(status ?? 1);
