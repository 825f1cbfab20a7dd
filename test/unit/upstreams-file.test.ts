import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.ts';
import { readUpstreamsFile } from '../../src/config/upstreams-file.ts';

/** A readFile over these files; any other path is missing, as fs says it. */
function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = contents[path];
    if (text === undefined)
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
        code: 'ENOENT',
      });
    return text;
  };
}

function load(env: Record<string, string>, contents: Record<string, string>): Config {
  return loadConfig(env, files(contents));
}

function problems(env: Record<string, string>, contents: Record<string, string>): string[] {
  try {
    load(env, contents);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** The problems of a JSON file holding these upstreams. */
function upstreamProblems(upstreams: unknown[], env: Record<string, string> = {}): string[] {
  return problems(
    { UPSTREAMS_FILE: '/etc/upstreams.json', ...env },
    { '/etc/upstreams.json': JSON.stringify({ upstreams }) },
  );
}

const EAST = { name: 'east', baseUrl: 'http://nim-proxy.east:8000' };
const URL_FORM =
  'expected an http(s) URL without /v1, e.g. "baseUrl": "http://nim-proxy.east:8000"';
const NAME_FORM =
  'expected a unique name of 1 to 63 lower-case letters, digits, _ and -, starting with a letter or digit, e.g. "name": "east"';
const WEIGHT_FORM =
  'expected a number above 0 and at most 1000 (a share of the traffic), e.g. "weight": 1';
const LIST_FORM =
  'expected a non-empty list of upstreams, e.g. "upstreams": [{"name": "east", "baseUrl": "http://nim-proxy.east:8000"}]';

const JSON_FILE = JSON.stringify({
  upstreams: [
    {
      name: 'east',
      baseUrl: 'http://nim-proxy.east:8000/v1/',
      apiKeyEnv: 'EAST_KEY',
      weight: 2,
      dialect: 'nvext',
      timeouts: {
        connectMs: 2000,
        headersMs: 60000,
        totalMs: 300000,
        firstTokenMs: 60000,
        idleMs: 30000,
      },
      maxConcurrency: 128,
      models: {
        include: ['meta/*'],
        aliases: { 'meta/llama-3.1-8b-instruct': 'llama-3.1-8b' },
      },
    },
    { name: 'dev', baseUrl: 'http://127.0.0.1:8080' },
  ],
});

const YAML_FILE = `# The same upstreams as JSON_FILE.
upstreams:
  - name: east
    baseUrl: http://nim-proxy.east:8000/v1/
    apiKeyEnv: EAST_KEY
    weight: 2
    dialect: nvext
    timeouts:
      connectMs: 2000
      headersMs: 60000
      totalMs: 300000
      firstTokenMs: 60000
      idleMs: 30000
    maxConcurrency: 128
    models:
      include: [meta/*]
      aliases:
        meta/llama-3.1-8b-instruct: llama-3.1-8b
  - name: dev
    baseUrl: http://127.0.0.1:8080
`;

describe('UPSTREAMS_FILE', () => {
  it('is null when unset', () => {
    expect(loadConfig({}).upstreams).toBeNull();
  });

  it('warns of the one-upstream settings it makes unused', () => {
    const env = {
      UPSTREAMS_FILE: 'u.json',
      NIM_PROXY_API_KEY: 'nvapi-0123456789abcdef',
      NIM_RANKING_BASE_URL: 'http://rerank:8000',
      EAST_KEY: 'east-key-0123456789',
    };
    const { warnings } = load(env, { 'u.json': JSON_FILE });
    expect(warnings).toEqual([
      'NIM_PROXY_API_KEY is set, but with UPSTREAMS_FILE it is not used: give each upstream of the file its key with apiKeyEnv',
      'NIM_RANKING_BASE_URL is set, but with UPSTREAMS_FILE it is not used: list the reranking NIM in the file as an upstream',
    ]);
    expect(warnings.join('\n')).not.toContain('nvapi-0123456789abcdef');
  });

  it('reads a JSON file and the same as YAML to equal upstreams', () => {
    const env = { EAST_KEY: 'east-key-0123' };
    const contents = { '/u.json': JSON_FILE, '/u.yaml': YAML_FILE, '/u.yml': YAML_FILE };
    const fromJson = load({ ...env, UPSTREAMS_FILE: '/u.json' }, contents).upstreams;
    expect(fromJson).toHaveLength(2);
    expect(load({ ...env, UPSTREAMS_FILE: '/u.yaml' }, contents).upstreams).toEqual(fromJson);
    expect(load({ ...env, UPSTREAMS_FILE: '/u.yml' }, contents).upstreams).toEqual(fromJson);
    expect(fromJson![0]).toMatchObject({
      name: 'east',
      weight: 2,
      upstream: {
        baseUrl: 'http://nim-proxy.east:8000',
        apiKey: 'east-key-0123',
        dialect: 'nvext',
        connectTimeoutMs: 2000,
        headersTimeoutMs: 60_000,
        totalTimeoutMs: 300_000,
        firstTokenTimeoutMs: 60_000,
        idleTimeoutMs: 30_000,
      },
      resilience: { maxConcurrency: 128 },
      models: {
        include: ['meta/*'],
        aliases: { 'meta/llama-3.1-8b-instruct': 'llama-3.1-8b' },
      },
    });
  });

  it('parses other extensions as JSON, then as YAML; .json only as JSON', () => {
    const contents = { '/u.conf': JSON_FILE, '/y.conf': YAML_FILE, '/y.json': YAML_FILE };
    const env = { EAST_KEY: 'east-key-0123' };
    const fromJson = load({ ...env, UPSTREAMS_FILE: '/u.conf' }, contents).upstreams;
    expect(fromJson).toHaveLength(2);
    expect(load({ ...env, UPSTREAMS_FILE: '/y.conf' }, contents).upstreams).toEqual(fromJson);
    expect(problems({ ...env, UPSTREAMS_FILE: '/y.json' }, contents)).toEqual([
      `UPSTREAMS_FILE="/y.json" is not valid JSON: Unexpected token '#', "# The same"... is not valid JSON`,
    ]);
  });

  it.each(['http://nim.test/', 'http://nim.test/v1/', 'https://host:8443/apis/gateway/v1'])(
    'normalises baseUrl %s as NIM_PROXY_BASE_URL is normalised',
    (url) => {
      const file = JSON.stringify({ upstreams: [{ name: 'a', baseUrl: url }] });
      const config = load({ UPSTREAMS_FILE: '/u.json' }, { '/u.json': file });
      expect(config.upstreams![0]!.upstream.baseUrl).toBe(
        loadConfig({ NIM_PROXY_BASE_URL: url }).upstream.baseUrl,
      );
    },
  );

  it('takes what the file leaves out from the environment, each upstream a copy of its own', () => {
    const env = {
      UPSTREAMS_FILE: '/u.json',
      NIM_API_DIALECT: 'nvext',
      NIM_PROXY_API_KEY: 'not-for-the-fleet',
      NIM_RANKING_BASE_URL: 'http://ranker:8000',
      UPSTREAM_CONNECT_TIMEOUT_MS: '7000',
      UPSTREAM_BODY_TIMEOUT_MS: '9000',
      STREAM_IDLE_TIMEOUT_MS: '11000',
      UPSTREAM_MAX_CONCURRENCY: '12',
      UPSTREAM_MAX_RETRIES: '5',
    };
    const two = [EAST, { name: 'west', baseUrl: 'https://west.example/apis/nim/' }];
    const config = load(env, { '/u.json': JSON.stringify({ upstreams: two }) });
    const [east, west] = config.upstreams!;
    expect(east).toEqual({
      name: 'east',
      weight: 1,
      upstream: {
        ...config.upstream,
        baseUrl: 'http://nim-proxy.east:8000',
        apiKey: undefined,
        rankingBaseUrl: undefined,
      },
      resilience: config.resilience,
      models: { include: null, aliases: {} },
    });
    expect(east!.upstream).toMatchObject({
      dialect: 'nvext',
      connectTimeoutMs: 7000,
      bodyTimeoutMs: 9000,
      idleTimeoutMs: 11_000,
    });
    expect(east!.resilience).toMatchObject({ maxConcurrency: 12, maxRetries: 5 });
    expect(west!.upstream.baseUrl).toBe('https://west.example/apis/nim');
    // Copies: a change to one upstream's settings is no change to another's or the environment's.
    expect(east!.upstream).not.toBe(west!.upstream);
    expect(east!.resilience).not.toBe(west!.resilience);
    expect(east!.resilience).not.toBe(config.resilience);
  });

  it('reads each key from the variable apiKeyEnv names, and knows that variable (no typo warning)', () => {
    const config = load(
      { UPSTREAMS_FILE: '/u.yaml', NIM_EAST_KEY: '  east-key-0123  ', WEST_KEY: 'west-key-4567' },
      {
        '/u.yaml': `upstreams:
  - {name: east, baseUrl: "http://east:8000", apiKeyEnv: NIM_EAST_KEY}
  - {name: west, baseUrl: "http://west:8000", apiKeyEnv: WEST_KEY}
  - {name: dev, baseUrl: "http://127.0.0.1:8080"}
`,
      },
    );
    expect(config.upstreams!.map((u) => u.upstream.apiKey)).toEqual([
      'east-key-0123',
      'west-key-4567',
      undefined,
    ]);
    expect(config.warnings).toEqual([]);
  });

  it('is a known name: a misspelling of it gets a suggestion', () => {
    expect(loadConfig({ UPSTREAM_FILE: '/u.yaml' }).warnings).toEqual([
      'UPSTREAM_FILE is set, but nim-graphql reads no variable of that name; did you mean UPSTREAMS_FILE?',
    ]);
  });

  it.each<[string, unknown[], Record<string, string>, string]>([
    [
      'a bad name',
      [{ ...EAST, name: 'East' }],
      {},
      `upstreams[0].name="East" is not a name; ${NAME_FORM}`,
    ],
    [
      'a name too long',
      [{ ...EAST, name: 'a'.repeat(64) }],
      {},
      `upstreams[0].name="${'a'.repeat(58)}… is not a name; ${NAME_FORM}`,
    ],
    ['no name', [{ baseUrl: EAST.baseUrl }], {}, `upstreams[0].name is missing; ${NAME_FORM}`],
    [
      'a duplicate name',
      [EAST, { ...EAST }],
      {},
      `upstreams[1].name="east" is the name of upstreams[0] too; ${NAME_FORM}`,
    ],
    ['no baseUrl', [{ name: 'east' }], {}, `upstreams[0].baseUrl is missing; ${URL_FORM}`],
    [
      'a bad protocol',
      [EAST, { name: 'west', baseUrl: 'ftp://x' }],
      {},
      `upstreams[1].baseUrl="ftp://x" has protocol ftp:; ${URL_FORM}`,
    ],
    [
      'no URL',
      [{ ...EAST, baseUrl: 'nim-proxy:8000/v1' }],
      {},
      `upstreams[0].baseUrl="nim-proxy:8000/v1" has protocol nim-proxy:; ${URL_FORM}`,
    ],
    [
      'not a URL',
      [{ ...EAST, baseUrl: 'http://' }],
      {},
      `upstreams[0].baseUrl="http://" is not a URL; ${URL_FORM}`,
    ],
    [
      'credentials in the URL',
      [{ ...EAST, baseUrl: 'http://u:secret@east' }],
      {},
      `upstreams[0].baseUrl must not carry a query, fragment or credentials (use apiKeyEnv); ${URL_FORM}`,
    ],
    [
      'weight 0',
      [{ ...EAST, weight: 0 }],
      {},
      `upstreams[0].weight=0 is out of range; ${WEIGHT_FORM}`,
    ],
    [
      'weight -1',
      [{ ...EAST, weight: -1 }],
      {},
      `upstreams[0].weight=-1 is out of range; ${WEIGHT_FORM}`,
    ],
    [
      'weight 1001',
      [{ ...EAST, weight: 1001 }],
      {},
      `upstreams[0].weight=1001 is out of range; ${WEIGHT_FORM}`,
    ],
    [
      'weight "2"',
      [{ ...EAST, weight: '2' }],
      {},
      `upstreams[0].weight="2" is not a number; ${WEIGHT_FORM}`,
    ],
    [
      'an unknown key near a known one',
      [{ ...EAST, wieght: 2 }],
      {},
      'upstreams[0].wieght is not a known key (did you mean weight?); the keys of an upstream are name, baseUrl, apiKeyEnv, weight, dialect, timeouts, maxConcurrency, models',
    ],
    [
      'an unknown key, case aside',
      [{ ...EAST, baseURL: EAST.baseUrl }],
      {},
      'upstreams[0].baseURL is not a known key (did you mean baseUrl?); the keys of an upstream are name, baseUrl, apiKeyEnv, weight, dialect, timeouts, maxConcurrency, models',
    ],
    [
      'an unknown key far from any',
      [{ ...EAST, region: 'eu' }],
      {},
      'upstreams[0].region is not a known key; the keys of an upstream are name, baseUrl, apiKeyEnv, weight, dialect, timeouts, maxConcurrency, models',
    ],
    [
      'an unknown timeout',
      [{ ...EAST, timeouts: { idle: 5 } }],
      {},
      'upstreams[0].timeouts.idle is not a known key (did you mean idleMs?); the keys of timeouts are connectMs, headersMs, totalMs, firstTokenMs, idleMs',
    ],
    [
      'a bad dialect',
      [{ ...EAST, dialect: 'v3' }],
      {},
      'upstreams[0].dialect="v3" is not one of top-level, nvext; e.g. "dialect": "top-level"',
    ],
    [
      'a timeout out of range',
      [{ ...EAST, timeouts: { connectMs: 0 } }],
      {},
      'upstreams[0].timeouts.connectMs=0 is out of range; expected a whole number from 1 to 600000 (as UPSTREAM_CONNECT_TIMEOUT_MS), e.g. "connectMs": 5000',
    ],
    [
      'a timeout not whole',
      [{ ...EAST, timeouts: { idleMs: 1.5 } }],
      { STREAM_IDLE_TIMEOUT_MS: '20000' },
      'upstreams[0].timeouts.idleMs=1.5 is not a whole number; expected a whole number from 1 to 3600000 (as STREAM_IDLE_TIMEOUT_MS), e.g. "idleMs": 20000',
    ],
    [
      'timeouts not an object',
      [{ ...EAST, timeouts: 5000 }],
      {},
      'upstreams[0].timeouts=5000 is not an object; expected milliseconds by name, e.g. "timeouts": {"connectMs": 2000}',
    ],
    [
      'maxConcurrency out of range',
      [{ ...EAST, maxConcurrency: 100_001 }],
      {},
      'upstreams[0].maxConcurrency=100001 is out of range; expected a whole number from 1 to 100000 (as UPSTREAM_MAX_CONCURRENCY), e.g. "maxConcurrency": 256',
    ],
    [
      'include not a list',
      [{ ...EAST, models: { include: 'meta/*' } }],
      {},
      'upstreams[0].models.include="meta/*" is not a list; expected a non-empty list of model id patterns (* any run of characters), e.g. "include": ["meta/*"]',
    ],
    [
      'include empty',
      [{ ...EAST, models: { include: [] } }],
      {},
      'upstreams[0].models.include is empty; expected a non-empty list of model id patterns (* any run of characters), e.g. "include": ["meta/*"]',
    ],
    [
      'an empty pattern',
      [{ ...EAST, models: { include: ['meta/*', ''] } }],
      {},
      'upstreams[0].models.include[1]="" is not a pattern; expected a non-empty list of model id patterns (* any run of characters), e.g. "include": ["meta/*"]',
    ],
    [
      'an alias to no string',
      [{ ...EAST, models: { aliases: { 'llama-3.1-8b': 8 } } }],
      {},
      `upstreams[0].models.aliases["llama-3.1-8b"]=8 is not a model id; expected the public id → the upstream's own id, e.g. "aliases": {"meta/llama-3.1-8b-instruct": "llama-3.1-8b"}`,
    ],
    [
      'an unknown models key',
      [{ ...EAST, models: { only: ['x'] } }],
      {},
      'upstreams[0].models.only is not a known key; the keys of models are include, aliases',
    ],
    [
      'apiKeyEnv unset',
      [{ ...EAST, apiKeyEnv: 'EAST_KEY' }],
      {},
      `upstreams[0].apiKeyEnv="EAST_KEY" names a variable that is not set or empty; set EAST_KEY to the upstream's key, or remove apiKeyEnv for an upstream without one`,
    ],
    [
      'apiKeyEnv empty',
      [{ ...EAST, apiKeyEnv: 'EAST_KEY' }],
      { EAST_KEY: ' ' },
      `upstreams[0].apiKeyEnv="EAST_KEY" names a variable that is not set or empty; set EAST_KEY to the upstream's key, or remove apiKeyEnv for an upstream without one`,
    ],
    [
      'apiKeyEnv no variable name',
      [{ ...EAST, apiKeyEnv: 'nvapi-0123' }],
      {},
      'upstreams[0].apiKeyEnv is not a variable name (its value is not shown: it may be a key); expected the name of the environment variable that holds the key, e.g. "apiKeyEnv": "EAST_KEY"',
    ],
    [
      'apiKeyEnv naming an unset variable that may be a key',
      [{ ...EAST, apiKeyEnv: 'nvapiAbCdEf0123456789SECRET' }],
      {},
      "upstreams[0].apiKeyEnv names a variable that is not set or empty (its name is not shown: it may be a key); set that variable to the upstream's key, or remove apiKeyEnv for an upstream without one",
    ],
    [
      'an upstream not an object',
      ['http://east:8000'],
      {},
      'upstreams[0]="http://east:8000" is not an object; expected e.g. {"name": "east", "baseUrl": "http://nim-proxy.east:8000"}',
    ],
    ['empty upstreams', [], {}, `upstreams is empty; ${LIST_FORM}`],
  ])('refuses %s with one line', (_case, upstreams, env, line) => {
    expect(upstreamProblems(upstreams, env)).toEqual([`UPSTREAMS_FILE ${line}`]);
  });

  it.each([['apiKey'], ['key'], ['Token'], ['AUTHORIZATION'], ['api_key']])(
    'refuses a key in the file (%s), pointing to apiKeyEnv and not showing it',
    (field) => {
      const found = upstreamProblems([{ ...EAST, [field]: 'nvapi-secret-0123' }]);
      expect(found).toEqual([
        `UPSTREAMS_FILE upstreams[0].${field} is refused: keys do not belong in the file; use apiKeyEnv, the name of the environment variable that holds the key, e.g. "apiKeyEnv": "EAST_KEY"`,
      ]);
      expect(found.join('\n')).not.toContain('nvapi-secret');
    },
  );

  it.each<[string, Record<string, string>, string]>([
    [
      'a file that is missing',
      {},
      'UPSTREAMS_FILE="/u.yaml" cannot be read (ENOENT); expected a JSON or YAML file, e.g. {"upstreams": [{"name": "east", "baseUrl": "http://nim-proxy.east:8000"}]}',
    ],
    [
      'a YAML syntax error',
      { '/u.yaml': 'upstreams:\n  - name: east\n   baseUrl: http://east:8000\n' },
      'UPSTREAMS_FILE="/u.yaml" is not valid YAML: Sequence item without - indicator at line 3, column 1',
    ],
    [
      'a duplicate YAML key',
      { '/u.yaml': 'upstreams: []\nupstreams: []\n' },
      'UPSTREAMS_FILE="/u.yaml" is not valid YAML: Map keys must be unique at line 2, column 1',
    ],
    [
      'a file of no object',
      { '/u.yaml': '- name: east\n' },
      'UPSTREAMS_FILE="/u.yaml" holds a list, not an object; expected e.g. {"upstreams": [{"name": "east", "baseUrl": "http://nim-proxy.east:8000"}]}',
    ],
    [
      'an empty file',
      { '/u.yaml': '# nothing yet\n' },
      'UPSTREAMS_FILE="/u.yaml" holds nothing, not an object; expected e.g. {"upstreams": [{"name": "east", "baseUrl": "http://nim-proxy.east:8000"}]}',
    ],
    [
      'no upstreams',
      { '/u.yaml': 'upstream: []\n' },
      `UPSTREAMS_FILE upstream is not a known key (did you mean upstreams?); the keys of the file are upstreams\nUPSTREAMS_FILE upstreams is missing; ${LIST_FORM}`,
    ],
    [
      'upstreams not a list',
      { '/u.yaml': 'upstreams: {east: {}}\n' },
      `UPSTREAMS_FILE upstreams={"east":{}} is not a list; ${LIST_FORM}`,
    ],
  ])('refuses %s, naming the file', (_case, contents, lines) => {
    expect(problems({ UPSTREAMS_FILE: '/u.yaml' }, contents)).toEqual(lines.split('\n'));
  });

  it('gives the line and column of a JSON syntax error', () => {
    expect(
      problems(
        { UPSTREAMS_FILE: '/u.json' },
        { '/u.json': '{"upstreams": [\n  {"name": "east",}\n]}' },
      ),
    ).toEqual([
      'UPSTREAMS_FILE="/u.json" is not valid JSON: Expected double-quoted property name in JSON at position 34 (line 2 column 19)',
    ]);
  });

  it('reports every problem at once, with the environment’s', () => {
    const found = problems(
      { UPSTREAMS_FILE: '/u.yaml', PORT: '70000' },
      {
        '/u.yaml': `upstreams:
  - name: east
    baseUrl: ftp://east
    weight: 0
  - name: east
    baseUrl: http://west:8000
    timeouts: {totalMs: 0}
`,
      },
    );
    expect(found).toEqual([
      `UPSTREAMS_FILE upstreams[0].baseUrl="ftp://east" has protocol ftp:; ${URL_FORM}`,
      `UPSTREAMS_FILE upstreams[0].weight=0 is out of range; ${WEIGHT_FORM}`,
      `UPSTREAMS_FILE upstreams[1].name="east" is the name of upstreams[0] too; ${NAME_FORM}`,
      'UPSTREAMS_FILE upstreams[1].timeouts.totalMs=0 is out of range; expected a whole number from 1 to 7200000 (as UPSTREAM_TOTAL_TIMEOUT_MS), e.g. "totalMs": 300000',
      'PORT=70000 is out of range; expected a whole number from 0 to 65535, e.g. PORT=4000',
    ]);
  });

  it('is an alternative to NIM_PROXY_BASE_URL, not an addition', () => {
    const contents = { '/u.json': JSON.stringify({ upstreams: [EAST] }) };
    for (const base of ['http://nim:8000', 'simulator'])
      expect(problems({ UPSTREAMS_FILE: '/u.json', NIM_PROXY_BASE_URL: base }, contents)).toEqual([
        'UPSTREAMS_FILE and NIM_PROXY_BASE_URL are both set; they are alternatives (NIM_PROXY_BASE_URL is the shorthand for one upstream): unset NIM_PROXY_BASE_URL and list every upstream in the file, or unset UPSTREAMS_FILE',
      ]);
  });

  it('satisfies NODE_ENV=production without NIM_PROXY_BASE_URL', () => {
    const config = load(
      { NODE_ENV: 'production', UPSTREAMS_FILE: '/u.json' },
      { '/u.json': JSON.stringify({ upstreams: [EAST] }) },
    );
    expect(config).toMatchObject({ production: true, simulatorByName: false });
    expect(config.upstream.baseUrl).toBeUndefined();
    expect(config.upstreams!.map((u) => u.upstream.baseUrl)).toEqual([
      'http://nim-proxy.east:8000',
    ]);
  });

  it('can be read without loadConfig, by the environment and defaults given', () => {
    const config = loadConfig({});
    const range = { min: 1, max: 10 };
    const { upstreams, problems, keyVariables } = readUpstreamsFile(
      'u.yaml',
      () => 'upstreams: [{name: a, baseUrl: "http://a", apiKeyEnv: A_KEY, maxConcurrency: 11}]',
      { A_KEY: 'a-key' },
      {
        upstream: config.upstream,
        resilience: config.resilience,
        ranges: {
          UPSTREAM_CONNECT_TIMEOUT_MS: range,
          UPSTREAM_HEADERS_TIMEOUT_MS: range,
          UPSTREAM_TOTAL_TIMEOUT_MS: range,
          STREAM_FIRST_TOKEN_TIMEOUT_MS: range,
          STREAM_IDLE_TIMEOUT_MS: range,
          UPSTREAM_MAX_CONCURRENCY: range,
        },
      },
    );
    expect({ upstreams, problems, keyVariables }).toEqual({
      upstreams: [],
      problems: [
        'UPSTREAMS_FILE upstreams[0].maxConcurrency=11 is out of range; expected a whole number from 1 to 10 (as UPSTREAM_MAX_CONCURRENCY), e.g. "maxConcurrency": 256',
      ],
      keyVariables: ['A_KEY'],
    });
  });
});
