// The test run Stryker drives (npm run test:mutation): the unit and loopback integration tests.
// Left out: the browser tests and the bench smoke test (minutes each, and they guard the pages and the
// benchmark, not the core), and the tests that run the gateway in a child process (process, shutdown,
// production build): a mutant is active only inside the test runner's own process, so they cannot
// kill one and would only slow every run down.
// MUTATION_TEST_FILES (comma-separated, set by scripts/mutation.ts for --concern and --tests) narrows
// the run here rather than through Stryker's testFiles option: with that option Stryker activates a
// static mutant (module-level code) only after the modules have loaded, so every one survives.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

const only = process.env.MUTATION_TEST_FILES?.split(',').filter(Boolean);

const config = mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        ...configDefaults.exclude,
        'test/e2e/**',
        'test/bench-smoke.test.ts',
        'test/integration/process.test.ts',
        'test/integration/shutdown.test.ts',
        'test/integration/production.test.ts',
      ],
    },
  }),
);
if (only !== undefined && only.length > 0) config.test!.include = only;

export default config;
