import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { problems } from '../support/config.ts';
import { loadConfig } from '../../src/config.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Every variable loadConfig asks for, whatever the environment holds. */
function variablesRead(): string[] {
  const names = new Set<string>();
  const recorder = new Proxy(
    {},
    {
      get: (_target, name) => (typeof name === 'string' && names.add(name), undefined),
      ownKeys: () => [],
    },
  );
  loadConfig(recorder);
  return [...names];
}

describe('loadConfig', () => {
  it('has working defaults and no upstream when NIM_PROXY_BASE_URL is unset', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 4000, modelsCacheTtlMs: 60_000 });
    expect(config.upstream.baseUrl).toBeUndefined();
    expect(config.limits).toEqual({
      maxTokens: 4096,
      defaultMaxTokens: 256,
      maxPromptChars: 100_000,
      maxMessages: 256,
      maxImages: 8,
      maxImageBytes: 5 * 1024 * 1024,
      maxEmbedInputs: 256,
      maxRerankPassages: 512,
      maxRetrievalChars: 100_000,
      embedBatchSize: 64,
    });
    expect(config.capabilities).toEqual([]);
    expect(config.thinking).toEqual([]);
    expect(config.upstream).toMatchObject({
      dialect: 'top-level',
      streamUsage: true,
      firstTokenTimeoutMs: 120_000,
      idleTimeoutMs: 30_000,
    });
    expect(config.security).toMatchObject({
      apiKeys: [],
      corsOrigins: [],
      introspection: true,
      graphiql: true,
      batchingLimit: 0,
    });
    expect(config.security.trustedDocumentsFile).toBeUndefined();
    expect(config.rateLimit).toEqual({
      requestsPerMinute: 0,
      generatedTokensPerMinute: 0,
      redisUrl: undefined,
    });
  });

  it('reads choices, booleans, fractions, origins, keys and Redis URLs, naming what is wrong', () => {
    const found = problems({
      NIM_API_DIALECT: 'v3',
      STREAM_INCLUDE_USAGE: 'yes',
      UPSTREAM_RETRY_BUDGET_RATIO: '1.5',
      CORS_ORIGINS: 'https://ok.example,https://bad.example/path',
      GATEWAY_API_KEYS: 'short',
      REDIS_URL: 'http://cache:6379',
      GATEWAY_API_KEYS_FILE: '/nonexistent/keys',
    });
    expect(found.join('\n')).toMatch(/NIM_API_DIALECT="v3" is not one of top-level, nvext/);
    expect(found.join('\n')).toMatch(
      /STREAM_INCLUDE_USAGE="yes" is not a boolean; expected true or false/,
    );
    expect(found.join('\n')).toMatch(/UPSTREAM_RETRY_BUDGET_RATIO="1.5" is not a fraction/);
    expect(found.join('\n')).toMatch(
      /CORS_ORIGINS holds "https:\/\/bad.example\/path", not an origin/,
    );
    expect(found.join('\n')).toMatch(/keys of at least 16 characters/);
    expect(found.join('\n')).toMatch(/REDIS_URL is not a redis URL/);
    expect(found.join('\n')).toMatch(
      /GATEWAY_API_KEYS_FILE="\/nonexistent\/keys" cannot be read \(ENOENT\)/,
    );
    const keys = loadConfig(
      { GATEWAY_API_KEYS: 'k-0123456789abcdef, k-fedcba9876543210' },
      () => 'k-from-file-0123456\n# comment\n\n',
    );
    expect(keys.security.apiKeys).toEqual(['k-0123456789abcdef', 'k-fedcba9876543210']);
    const fromFile = loadConfig(
      { GATEWAY_API_KEYS_FILE: '/keys' },
      () => 'k-from-file-0123456\n# comment\n\n',
    );
    expect(fromFile.security.apiKeys).toEqual(['k-from-file-0123456']);
  });

  it.each([
    ['http://nim.test', 'http://nim.test'],
    ['http://nim.test/', 'http://nim.test'],
    ['http://nim.test/v1', 'http://nim.test'],
    ['http://nim.test/v1/', 'http://nim.test'],
    ['https://host:8443/apis/gateway/', 'https://host:8443/apis/gateway'],
  ])(
    'normalises NIM_PROXY_BASE_URL %s to %s (exactly one /v1 is added per call)',
    (value, expected) => {
      expect(loadConfig({ NIM_PROXY_BASE_URL: value }).upstream.baseUrl).toBe(expected);
    },
  );

  it('reports every bad variable with its name, the problem and the expected form', () => {
    const found = problems({
      PORT: '70000',
      UPSTREAM_CONNECT_TIMEOUT_MS: '1.5',
      NIM_PROXY_BASE_URL: 'ftp://x',
    });
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(
      /^NIM_PROXY_BASE_URL="ftp:\/\/x" has protocol ftp:; expected an http\(s\) URL/,
    );
    expect(found.join('\n')).toMatch(
      /PORT=70000 is out of range; expected a whole number from 0 to 65535, e.g. PORT=4000/,
    );
    expect(found.join('\n')).toMatch(/UPSTREAM_CONNECT_TIMEOUT_MS="1.5" is not a whole number/);
  });

  it('refuses credentials in the URL, pointing to NIM_PROXY_API_KEY', () => {
    expect(problems({ NIM_PROXY_BASE_URL: 'http://user:pw@nim.test' })[0]).toMatch(
      /NIM_PROXY_API_KEY/,
    );
  });

  it('keeps DEFAULT_MAX_TOKENS within MAX_TOKENS_LIMIT', () => {
    expect(problems({ MAX_TOKENS_LIMIT: '100', DEFAULT_MAX_TOKENS: '200' })[0]).toMatch(
      /DEFAULT_MAX_TOKENS=200 is out of range; expected a whole number from 1 to 100/,
    );
    expect(loadConfig({ MAX_TOKENS_LIMIT: '100' }).limits.defaultMaxTokens).toBe(100);
  });

  it('asks for the simulator by name with NIM_PROXY_BASE_URL=simulator', () => {
    expect(loadConfig({ NIM_PROXY_BASE_URL: 'simulator' })).toMatchObject({
      simulatorByName: true,
      upstream: { baseUrl: undefined },
    });
    expect(loadConfig({})).toMatchObject({
      simulatorByName: false,
      production: false,
      upstream: { baseUrl: undefined },
    });
  });

  it('refuses NODE_ENV=production without NIM_PROXY_BASE_URL, naming a look-alike that is set', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^NIM_PROXY_BASE_URL is not set, and with NODE_ENV=production/),
    ]);
    expect(problems({ NODE_ENV: 'production', nim_proxy_base_url: 'http://nim:8000' })[0]).toMatch(
      /\(nim_proxy_base_url is set: a typo\?\)$/,
    );
    expect(loadConfig({ NODE_ENV: 'production', NIM_PROXY_BASE_URL: 'simulator' })).toMatchObject({
      production: true,
      simulatorByName: true,
    });
    expect(
      loadConfig({ NODE_ENV: 'production', NIM_PROXY_BASE_URL: 'http://nim:8000' }).upstream
        .baseUrl,
    ).toBe('http://nim:8000');
  });

  it('warns about set variables that look like mistyped names, not about Kubernetes service links or other programs', () => {
    const { warnings } = loadConfig({
      NIM_PROXY_BASEURL: 'http://nim:8000',
      UPSTREAM_MAX_RETRYS: '3',
      NIM_SOMETHING: 'x',
      log_level: 'debug',
      // A Service named nim-proxy (or this gateway's own) in the namespace:
      NIM_PROXY_SERVICE_HOST: '10.0.0.1',
      NIM_PROXY_SERVICE_PORT_HTTP: '8000',
      NIM_GRAPHQL_PORT: 'tcp://10.0.0.2:80',
      NIM_GRAPHQL_PORT_80_TCP_ADDR: '10.0.0.2',
      PATH: '/usr/bin',
      HOSTNAME: 'pod-1',
      NODE_OPTIONS: '--max-old-space-size=512',
    });
    expect(warnings).toEqual([
      'NIM_PROXY_BASEURL is set, but nim-graphql reads no variable of that name; did you mean NIM_PROXY_BASE_URL?',
      'UPSTREAM_MAX_RETRYS is set, but nim-graphql reads no variable of that name; did you mean UPSTREAM_MAX_RETRIES?',
      'NIM_SOMETHING is set, but nim-graphql reads no variable of that name; see the configuration table in README.md',
      'log_level is set, but nim-graphql reads no variable of that name; did you mean LOG_LEVEL?',
    ]);
  });

  it('says that FAST_PATH, gone, is read no more', () => {
    expect(loadConfig({ FAST_PATH: 'false' }).warnings).toEqual([
      'FAST_PATH is set, but nim-graphql no longer reads it: every request takes the same path (BENCHMARKS.md)',
    ]);
  });

  it('.env.example is safe to copy as it is: it sets nothing, so the simulator stays the default', () => {
    const example = parseEnv(read('.env.example'));
    expect(example).toEqual({});
    // Uncommented, it is a valid configuration naming only variables that exist.
    const uncommented = parseEnv(read('.env.example').replace(/^# ([A-Z_]+=)/gm, '$1'));
    const config = loadConfig(uncommented);
    expect(config.warnings).toEqual([]);
    expect(config.upstream.baseUrl).toBe('http://nemo-nim-proxy:8000');
  });

  it('every variable it reads is in the README configuration table and in .env.example', () => {
    const table = read('README.md').split('## Configuration')[1]!.split('\n## ')[0]!;
    const example = read('.env.example');
    const missing = variablesRead().filter(
      (name) => !table.includes(`\`${name}\``) || !new RegExp(`^# ${name}=`, 'm').test(example),
    );
    expect(missing).toEqual([]);
  });
});
