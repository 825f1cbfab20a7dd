// npm run test:mutation [-- [--concern <name>|all] [--since <git ref>] [--incremental [--force]] [--tests <globs>] [--static] [file …]]
// Runs Stryker (stryker.config.json) on the core, on the files named, on the core files changed since
// a git ref (committed since the merge base, staged, unstaged or new), or concern by concern against
// the tests that guard each. See TESTING.md.
// Static mutants (code run only while modules load or in beforeAll, such as the gateways the
// integration tests start there) need every selected test file rerun for each: about a minute
// apiece against the whole suite, so they are left out there (reported as Ignored) unless --static
// is given; a concern's own tests take seconds, so --concern includes them, but for a concern marked
// `static: false` (its files run in every gateway's construction and every request, so hundreds of
// its mutants are static) unless --static is given.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { matchesGlob } from 'node:path';
import { parseArgs } from 'node:util';
import config from '../stryker.config.json' with { type: 'json' };

/**
 * The core by concern, each with the test files that guard it. Against the whole suite every
 * surviving mutant of code that every request runs (the gate, the log line) reruns ~400 tests; a
 * concern's own tests take minutes. A score measured so is a lower bound of the whole suite's.
 */
const CONCERNS: Record<string, { mutate: string[]; tests: string[]; static?: false }> = {
  gate: {
    mutate: ['src/gate/client-auth.ts', 'src/gate/gate.ts'],
    tests: [
      'test/unit/client-auth.test.ts',
      'test/unit/caller-identity.test.ts',
      'test/integration/client-auth.test.ts',
      'test/integration/gate-refusals.test.ts',
      'test/integration/gate-matrix.test.ts',
      'test/integration/gate-findings.test.ts',
      'test/integration/abuse.test.ts',
    ],
  },
  // Several upstreams: the merged catalog, routing by weight and health, failover only before an answer.
  fleet: {
    mutate: ['src/nim/fleet.ts', 'src/config/upstreams-file.ts'],
    tests: [
      'test/unit/fleet.test.ts',
      'test/integration/fleet.test.ts',
      'test/unit/upstreams-file.test.ts',
      'test/unit/catalog.test.ts',
    ],
  },
  // Usage per key and the token budgets: the ledger (memory and Redis), the rules, each request's share.
  usage: {
    mutate: [
      'src/usage/ledger.ts',
      'src/usage/budgets.ts',
      'src/usage/spending.ts',
      'src/schema/budget.ts',
    ],
    tests: [
      'test/unit/ledger.test.ts',
      'test/unit/budget-rules.test.ts',
      'test/integration/ledger-redis.test.ts',
      'test/integration/budgets.test.ts',
    ],
  },
  'rate-limits': {
    mutate: ['src/plugins/use-rate-limits.ts', 'src/plugins/rate-limit-store.ts'],
    tests: [
      'test/unit/rate-limit-store.test.ts',
      'test/integration/rate-limits.test.ts',
      'test/integration/rate-limits-redis.test.ts',
      'test/integration/rate-limit-answers.test.ts',
      'test/integration/rate-limits-redis-log.test.ts',
    ],
  },
  documents: {
    mutate: [
      'src/plugins/use-operation-cost.ts',
      'src/plugins/use-operation-limits.ts',
      'src/plugins/use-trusted-documents.ts',
      'src/plugins/use-introspection-off.ts',
      'src/plugins/result-errors.ts',
    ],
    tests: [
      'test/unit/trusted-documents.test.ts',
      'test/unit/token-cost.test.ts',
      'test/integration/error-statuses.test.ts',
      'test/integration/abuse.test.ts',
      'test/integration/document-refusals.test.ts',
      'test/integration/gate-findings.test.ts',
      'test/integration/gate-matrix.test.ts',
    ],
  },
  health: {
    mutate: ['src/plugins/use-health.ts'],
    tests: ['test/integration/resilience.test.ts', 'test/integration/health-answers.test.ts'],
  },
  // Every gateway a test starts in beforeAll builds these and calls through them: some 300 of their
  // mutants are static, a minute apiece against these tests. Left out (Ignored) unless --static; a
  // mutant that tests run as well is still tried against those tests.
  // What a call survives: the breaker, retries, the resilience around them and the concurrency cap,
  // against the tests that drive faults through them.
  'nim-calls': {
    static: false,
    mutate: [
      'src/nim/breaker.ts',
      'src/nim/retry.ts',
      'src/nim/resilience.ts',
      'src/nim/concurrency.ts',
      'src/nim/settings.ts',
      'src/nim/wire-server.ts',
    ],
    tests: [
      'test/unit/resilience.test.ts',
      'test/integration/resilience.test.ts',
      'test/integration/faults.test.ts',
      'test/integration/readiness.test.ts',
      'test/integration/health-answers.test.ts',
      'test/integration/error-metrics.test.ts',
    ],
  },
  // How a call is made: the HTTP transport, the client over it, the model catalog and the readiness
  // probe. Every request of every test runs the transport, so its own tests only: against the fault
  // suites above (real timeouts) each of its mutants would cost a minute.
  transport: {
    static: false,
    mutate: [
      'src/nim/transport.ts',
      'src/nim/client.ts',
      'src/nim/catalog.ts',
      'src/nim/upstream-probe.ts',
      'src/nim/raw-headers.ts',
    ],
    tests: [
      'test/unit/catalog.test.ts',
      'test/unit/raw-headers.test.ts',
      'test/integration/nim-client.test.ts',
      'test/integration/transport.test.ts',
      'test/integration/upstream-probe.test.ts',
      'test/integration/models.test.ts',
      'test/integration/upstream-errors.test.ts',
      'test/integration/upstream-key-secrecy.test.ts',
    ],
  },
  // The parameter table is built while modules load: each of its mutants reruns every test file
  // listed, so it is a concern of its own with the few that read it.
  parameters: {
    mutate: ['src/nim/parameters.ts', 'src/nim/params.ts'],
    tests: [
      'test/unit/request-bodies.test.ts',
      'test/integration/parameters.test.ts',
      'test/integration/parameter-table.test.ts',
      'test/integration/schema-file.test.ts',
    ],
  },
  // GraphiQL's page and the compression of every text answer run in each test's gateway: only their
  // module constants are static, and each costs a run of the GraphiQL tests (compressing 5 MB).
  pages: {
    static: false,
    mutate: [
      'src/plugins/use-compression.ts',
      'src/plugins/use-graphiql.ts',
      'src/plugins/graphiql-page.ts',
      'src/plugins/graphiql-assets.ts',
    ],
    tests: [
      'test/unit/graphiql-page.test.ts',
      'test/integration/compression.test.ts',
      'test/integration/graphiql.test.ts',
    ],
  },
  observability: {
    mutate: ['src/plugins/use-observability.ts'],
    tests: [
      'test/integration/observability.test.ts',
      'test/integration/observability-edges.test.ts',
      'test/integration/error-metrics.test.ts',
      'test/integration/observability-details.test.ts',
      'test/integration/tracing.test.ts',
      'test/integration/gate-refusals.test.ts',
      'test/integration/gate-findings.test.ts',
      'test/integration/rate-limit-answers.test.ts',
      'test/integration/gate-matrix.test.ts',
    ],
  },
  // Module-level: the zod schemas of every upstream body and the Pothos types built at load, some
  // 290 static mutants, each a rerun of all the files below (hours): Ignored unless --static.
  'nim-stream': {
    static: false,
    mutate: [
      'src/nim/stream.ts',
      'src/nim/sse.ts',
      'src/nim/body.ts',
      'src/nim/errors.ts',
      'src/nim/logprobs.ts',
      'src/nim/context-length.ts',
      'src/nim/wire.ts',
      'src/nim/event-stream.ts',
      'src/schema/errors.ts',
      'src/schema/generation.ts',
    ],
    tests: [
      'test/unit/nim-errors.test.ts',
      'test/unit/context-length.test.ts',
      'test/unit/logprobs.test.ts',
      'test/unit/wire.test.ts',
      'test/unit/bodies-and-events.test.ts',
      'test/unit/coalesce-deltas.test.ts',
      'test/unit/body-reads.test.ts',
      'test/unit/event-stream.test.ts',
      'test/unit/published-schema.test.ts',
      'test/integration/stream-assembly.test.ts',
      'test/integration/stream-chunks.test.ts',
      'test/integration/streaming.test.ts',
      'test/integration/streaming-faults.test.ts',
      'test/integration/nim-client-streams.test.ts',
      'test/integration/hostile-upstream.test.ts',
      'test/integration/upstream-errors.test.ts',
      'test/integration/upstream-answers.test.ts',
      'test/integration/logprobs-shapes.test.ts',
      'test/integration/chat.test.ts',
      'test/integration/complete.test.ts',
      'test/integration/parameters.test.ts',
      'test/integration/upstream-key-secrecy.test.ts',
      'test/integration/error-statuses.test.ts',
      'test/integration/generation-answers.test.ts',
      // Streamed tool calls and reasoning, assembled by stream.ts.
      'test/integration/tools.test.ts',
      'test/integration/reasoning.test.ts',
    ],
  },
  // Embedding and ranking: the batched embed calls, what each model is for (MODEL_KINDS), and the
  // model id pattern rules that the kinds, capabilities and thinking maps share.
  retrieval: {
    mutate: ['src/nim/embeddings.ts', 'src/nim/kinds.ts', 'src/nim/model-patterns.ts'],
    tests: [
      'test/unit/kinds.test.ts',
      'test/unit/model-patterns.test.ts',
      'test/unit/capabilities.test.ts',
      'test/unit/token-cost.test.ts',
      'test/integration/model-kinds.test.ts',
      'test/integration/retrieval.test.ts',
      'test/integration/retrieval-limits.test.ts',
      'test/integration/embedding-batches.test.ts',
      'test/integration/example-search.test.ts',
    ],
  },
  // The token relay: subscription events from the operation's compiled selection, the hand
  // readers of upstream stream chunks, each with the fallback it takes when it cannot be exact, and
  // the Node-stream bodies the event streams are written through, and the one wrapper that tells
  // the plugins a stream ended.
  relay: {
    mutate: [
      'src/plugins/compiled-events.ts',
      'src/plugins/use-compiled-events.ts',
      'src/nim/chunk-reader.ts',
      'src/plugins/body-stream.ts',
      'src/plugins/stream-end.ts',
    ],
    tests: [
      'test/unit/body-stream.test.ts',
      'test/unit/stream-end.test.ts',
      'test/unit/answered-stream.test.ts',
      'test/unit/compiled-events.test.ts',
      'test/unit/compiled-events-exact.test.ts',
      'test/unit/chunk-reader.test.ts',
      'test/integration/compiled-events.test.ts',
      'test/integration/streaming.test.ts',
      'test/integration/stream-chunks.test.ts',
      'test/integration/stream-assembly.test.ts',
    ],
  },
  // Apollo Client's multipart subscriptions: the protocol's format, heartbeats, failures, Stop;
  // and the terminal event's hasNext: false that urql reads.
  multipart: {
    mutate: ['src/plugins/use-multipart-subscriptions.ts', 'src/plugins/use-final-event.ts'],
    tests: ['test/integration/apollo-multipart.test.ts', 'test/integration/urql-streams.test.ts'],
  },
  // The default rules by model family are static: each such mutant would rerun the integration
  // files below; the unit tests, which read those rules, run them with --static.
  chat: {
    static: false,
    mutate: [
      'src/nim/tool-calls.ts',
      'src/nim/reasoning.ts',
      'src/nim/thinking.ts',
      'src/nim/capabilities.ts',
    ],
    tests: [
      'test/unit/reasoning.test.ts',
      'test/unit/thinking.test.ts',
      'test/unit/capabilities.test.ts',
      'test/integration/tools.test.ts',
      'test/integration/reasoning.test.ts',
      'test/integration/capabilities.test.ts',
      'test/integration/images.test.ts',
      'test/integration/guided-decoding.test.ts',
    ],
  },
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concern: { type: 'string' },
    since: { type: 'string' },
    incremental: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    tests: { type: 'string' },
    static: { type: 'boolean', default: false },
  },
});

const core: string[] = config.mutate;
const REPORT = config.jsonReporter.fileName;
const matches = (file: string, patterns: readonly string[]) =>
  patterns.some((pattern) => file === pattern || matchesGlob(file, pattern));
const git = (...args: string[]) =>
  execFileSync('git', args, { encoding: 'utf8' }).split('\n').filter(Boolean);

function changedSince(ref: string): string[] {
  const base = git('merge-base', ref, 'HEAD')[0]!;
  const files = new Set([
    ...git('diff', '--name-only', base),
    ...git('ls-files', '--others', '--exclude-standard'),
  ]);
  return [...files].filter((file) => existsSync(file) && matches(file, core)).sort();
}

/** The files to mutate: those named (or the given set), narrowed to the changed ones with --since. */
function selection(given: string[]): string[] | null {
  if (values.since === undefined) return given;
  const changed = changedSince(values.since);
  const picked = given.length > 0 ? changed.filter((file) => matches(file, given)) : changed;
  return picked.length > 0 ? picked : null;
}

function stryker(
  mutate: string[],
  tests: string | undefined,
  incrementalFile?: string,
  withStatic = values.static,
): number {
  const args = ['run', 'stryker.config.json'];
  if (mutate.length > 0) args.push('--mutate', mutate.join(','));
  if (values.incremental) args.push('--incremental');
  if (values.incremental && incrementalFile !== undefined)
    args.push('--incrementalFile', incrementalFile);
  if (values.force) args.push('--force');
  if (!withStatic) args.push('--ignoreStatic');
  // The test files go to vitest (vitest.mutation.config.ts), not to Stryker's testFiles: see there why.
  const env = tests === undefined ? process.env : { ...process.env, MUTATION_TEST_FILES: tests };
  const bin = new URL('../node_modules/.bin/stryker', import.meta.url).pathname;
  return spawnSync(bin, args, { stdio: 'inherit', env }).status ?? 1;
}

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** One line a file: Stryker's score (killed and timed out over everything but ignored and errors). */
function summary(reports: string[]): string {
  const rows = [
    '| file | score | killed | timeout | survived | no cov. | ignored |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const path of reports) {
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    for (const [file, { mutants }] of Object.entries(report.files).sort()) {
      const count = (status: string) => mutants.filter((m) => m.status === status).length;
      const [killed, timeout, survived, noCoverage, ignored] = [
        'Killed',
        'Timeout',
        'Survived',
        'NoCoverage',
        'Ignored',
      ].map(count) as [number, number, number, number, number];
      const valid = killed + timeout + survived + noCoverage;
      const score = valid === 0 ? 'n/a' : `${((100 * (killed + timeout)) / valid).toFixed(2)} %`;
      rows.push(
        `| ${file} | ${score} | ${killed} | ${timeout} | ${survived} | ${noCoverage} | ${ignored} |`,
      );
    }
  }
  return rows.join('\n');
}

if (values.concern === undefined) {
  const mutate = selection(positionals);
  if (mutate === null) {
    console.log(`test:mutation: no core file changed since ${values.since}; nothing to mutate.`);
    process.exit(0);
  }
  process.exit(stryker(mutate, values.tests));
}

const names = values.concern === 'all' ? Object.keys(CONCERNS) : values.concern.split(',');
const unknown = names.filter((name) => !(name in CONCERNS));
if (unknown.length > 0) {
  console.error(
    `test:mutation: no concern ${unknown.join(', ')}; the concerns are ${Object.keys(CONCERNS).join(', ')}, or all.`,
  );
  process.exit(2);
}
let failed = 0;
const reports: string[] = [];
for (const name of names) {
  const concern = CONCERNS[name]!;
  const mutate = selection(
    positionals.length > 0
      ? concern.mutate.filter((file) => matches(file, positionals))
      : concern.mutate,
  );
  if (mutate === null || mutate.length === 0) continue;
  console.log(`test:mutation: ${name}: ${mutate.join(', ')}`);
  const status = stryker(
    mutate,
    values.tests ?? concern.tests.join(','),
    `reports/mutation/${name}-incremental.json`,
    values.static || concern.static !== false,
  );
  if (status !== 0) failed += 1;
  const own = REPORT.replace(/mutation\.json$/, `${name}.json`);
  if (status === 0 && existsSync(REPORT)) {
    copyFileSync(REPORT, own);
    reports.push(own);
  }
}
if (reports.length > 0) console.log(`\ntest:mutation: by file\n${summary(reports)}`);
process.exit(failed === 0 ? 0 : 1);
