// UPSTREAMS_FILE (JSON or YAML) → the fleet's upstreams. Every bad value becomes one line that
// names its place in the file, says what is wrong and shows the expected form, as in env-reader.ts.
import { parseDocument } from 'yaml';
import { mayBeKey, nearest, parseBaseUrl, type Env } from './env-reader.ts';
import { NIM_DIALECTS, type NimDialect } from '../nim/parameters.ts';
import type {
  FleetUpstream,
  ModelSelection,
  ResilienceConfig,
  UpstreamConfig,
} from '../nim/settings.ts';

interface Range {
  min: number;
  max: number;
}

/** The variables whose value an upstream may set for itself, by the file's key under `timeouts`. */
const TIMEOUTS = {
  connectMs: ['UPSTREAM_CONNECT_TIMEOUT_MS', 'connectTimeoutMs'],
  headersMs: ['UPSTREAM_HEADERS_TIMEOUT_MS', 'headersTimeoutMs'],
  totalMs: ['UPSTREAM_TOTAL_TIMEOUT_MS', 'totalTimeoutMs'],
  firstTokenMs: ['STREAM_FIRST_TOKEN_TIMEOUT_MS', 'firstTokenTimeoutMs'],
  idleMs: ['STREAM_IDLE_TIMEOUT_MS', 'idleTimeoutMs'],
} as const;

type RangedVariable = (typeof TIMEOUTS)[keyof typeof TIMEOUTS][0] | 'UPSTREAM_MAX_CONCURRENCY';

interface Defaults {
  /** The environment's settings, copied into every upstream under its own values. */
  upstream: UpstreamConfig;
  resilience: ResilienceConfig;
  /** The ranges of the variables an upstream may override: a value out of them is refused here too. */
  ranges: Readonly<Record<RangedVariable, Range>>;
}

const UPSTREAM_KEYS = [
  'name',
  'baseUrl',
  'apiKeyEnv',
  'weight',
  'dialect',
  'timeouts',
  'maxConcurrency',
  'models',
];
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_WEIGHT = 1000;
const UPSTREAM_EXAMPLE = '{"name": "east", "baseUrl": "http://nim-proxy.east:8000"}';
const EXAMPLE = `{"upstreams": [${UPSTREAM_EXAMPLE}]}`;
const ALIAS_EXAMPLE = '"meta/llama-3.1-8b-instruct": "llama-3.1-8b"';

/** Field names that would hold a secret, compared without case, `_` or `-`. */
const KEY_FIELDS = new Set(['apikey', 'key', 'token', 'authorization']);

type Json = Record<string, unknown>;
type TimeoutField = (typeof TIMEOUTS)[keyof typeof TIMEOUTS][1];

/**
 * The upstreams of the file at `path`, keys read from the variables of `env` they name, and a line
 * per problem (none, or no upstreams); `keyVariables` are those variables, to be known names.
 */
export function readUpstreamsFile(
  path: string,
  readFile: (path: string) => string,
  env: Env,
  defaults: Defaults,
): { upstreams: FleetUpstream[]; problems: string[]; keyVariables: string[] } {
  const parsed = parseFile(path, readFile);
  if ('problem' in parsed) return { upstreams: [], problems: [parsed.problem], keyVariables: [] };
  const read = new UpstreamsReader(env, defaults);
  const upstreams = read.file(parsed.value, path);
  return {
    upstreams: read.problems.length > 0 ? [] : upstreams,
    problems: read.problems,
    keyVariables: read.keyVariables,
  };
}

/** Reads the parsed file one value at a time, collecting a line per bad value (as EnvReader does). */
class UpstreamsReader {
  readonly problems: string[] = [];
  readonly keyVariables: string[] = [];
  private readonly env: Env;
  private readonly defaults: Defaults;
  /** Upstream names seen so far, and where. */
  private readonly named = new Map<string, number>();

  constructor(env: Env, defaults: Defaults) {
    this.env = env;
    this.defaults = defaults;
  }

  private problem(at: string, text: string): void {
    this.problems.push(`UPSTREAMS_FILE ${at}${text}`);
  }

  file(root: unknown, path: string): FleetUpstream[] {
    if (!isObject(root)) {
      this.problems.push(
        `UPSTREAMS_FILE=${JSON.stringify(path)} holds ${kind(root)}, not an object; expected e.g. ${EXAMPLE}`,
      );
      return [];
    }
    this.keys(root, '', ['upstreams'], 'the file');
    const list = root.upstreams;
    const expected = `expected a non-empty list of upstreams, e.g. "upstreams": [${UPSTREAM_EXAMPLE}]`;
    if (list === undefined) this.problem('upstreams', ` is missing; ${expected}`);
    else if (!Array.isArray(list))
      this.problem('upstreams', `=${show(list)} is not a list; ${expected}`);
    else if (list.length === 0) this.problem('upstreams', ` is empty; ${expected}`);
    if (!Array.isArray(list)) return [];
    return list.flatMap((item: unknown, index) => this.upstream(item, index) ?? []);
  }

  private upstream(item: unknown, index: number): FleetUpstream | undefined {
    const at = `upstreams[${index}]`;
    if (!isObject(item)) {
      this.problem(at, `=${show(item)} is not an object; expected e.g. ${UPSTREAM_EXAMPLE}`);
      return undefined;
    }
    const before = this.problems.length;
    this.keys(item, at, UPSTREAM_KEYS, 'an upstream');
    const name = this.name(item.name, `${at}.name`, index);
    const baseUrl = this.baseUrl(item.baseUrl, `${at}.baseUrl`);
    const apiKey = this.apiKey(item.apiKeyEnv, `${at}.apiKeyEnv`);
    const weight = this.weight(item.weight, `${at}.weight`);
    const dialect = this.dialect(item.dialect, `${at}.dialect`);
    const timeouts = this.timeouts(item.timeouts, `${at}.timeouts`);
    const resilience = { ...this.defaults.resilience };
    resilience.maxConcurrency =
      this.whole(
        item.maxConcurrency,
        `${at}.maxConcurrency`,
        'UPSTREAM_MAX_CONCURRENCY',
        resilience.maxConcurrency,
      ) ?? resilience.maxConcurrency;
    const models = this.models(item.models, `${at}.models`);
    if (this.problems.length > before || name === undefined || baseUrl === undefined)
      return undefined;
    return {
      name,
      // The ranking URL belongs to the environment's one upstream: no fleet upstream inherits it.
      upstream: {
        ...this.defaults.upstream,
        rankingBaseUrl: undefined,
        baseUrl,
        apiKey,
        dialect,
        ...timeouts,
      },
      resilience,
      weight,
      models,
    };
  }

  private name(value: unknown, at: string, index: number): string | undefined {
    const expected =
      'expected a unique name of 1 to 63 lower-case letters, digits, _ and -, starting with a letter or digit, e.g. "name": "east"';
    if (value === undefined) this.problem(at, ` is missing; ${expected}`);
    else if (typeof value !== 'string' || !NAME.test(value))
      this.problem(at, `=${show(value)} is not a name; ${expected}`);
    else if (this.named.has(value))
      this.problem(
        at,
        `=${show(value)} is the name of upstreams[${this.named.get(value)}] too; ${expected}`,
      );
    else {
      this.named.set(value, index);
      return value;
    }
    return undefined;
  }

  private baseUrl(value: unknown, at: string): string | undefined {
    const expected = `expected an http(s) URL without /v1, e.g. "baseUrl": "http://nim-proxy.east:8000"`;
    if (value === undefined) this.problem(at, ` is missing; ${expected}`);
    else if (typeof value !== 'string')
      this.problem(at, `=${show(value)} is not a string; ${expected}`);
    else {
      const url = parseBaseUrl(value, 'apiKeyEnv');
      if ('url' in url) return url.url;
      this.problem(at, `${url.problem}; ${expected}`);
    }
    return undefined;
  }

  /** The key is in the environment, never in the file: `apiKeyEnv` names its variable. */
  private apiKey(value: unknown, at: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !VARIABLE.test(value)) {
      // What is written here is often the key itself: never shown.
      this.problem(
        at,
        ` is not a variable name (its value is not shown: it may be a key); expected the name of the environment variable that holds the key, e.g. "apiKeyEnv": "EAST_KEY"`,
      );
      return undefined;
    }
    this.keyVariables.push(value);
    const key = this.env[value]?.trim();
    if (key) return key;
    const tail = "to the upstream's key, or remove apiKeyEnv for an upstream without one";
    this.problem(
      at,
      mayBeKey(value)
        ? ` names a variable that is not set or empty (its name is not shown: it may be a key); set that variable ${tail}`
        : `=${show(value)} names a variable that is not set or empty; set ${value} ${tail}`,
    );
    return undefined;
  }

  private weight(value: unknown, at: string): number {
    const expected = `expected a number above 0 and at most ${MAX_WEIGHT} (a share of the traffic), e.g. "weight": 1`;
    if (value === undefined) return 1;
    if (typeof value !== 'number') this.problem(at, `=${show(value)} is not a number; ${expected}`);
    else if (!(value > 0 && value <= MAX_WEIGHT))
      this.problem(at, `=${show(value)} is out of range; ${expected}`);
    else return value;
    return 1;
  }

  private dialect(value: unknown, at: string): NimDialect {
    const fallback = this.defaults.upstream.dialect;
    if (value === undefined) return fallback;
    if ((NIM_DIALECTS as readonly unknown[]).includes(value)) return value as NimDialect;
    this.problem(
      at,
      `=${show(value)} is not one of ${NIM_DIALECTS.join(', ')}; e.g. "dialect": "${fallback}"`,
    );
    return fallback;
  }

  /** The timeouts the upstream sets for itself, by their field in UpstreamConfig. */
  private timeouts(value: unknown, at: string): Partial<Record<TimeoutField, number>> {
    const own: Partial<Record<TimeoutField, number>> = {};
    if (value === undefined) return own;
    if (!isObject(value)) {
      this.problem(
        at,
        `=${show(value)} is not an object; expected milliseconds by name, e.g. "timeouts": {"connectMs": 2000}`,
      );
      return own;
    }
    this.keys(value, at, Object.keys(TIMEOUTS), 'timeouts');
    for (const [key, [variable, field]] of Object.entries(TIMEOUTS)) {
      const ms = this.whole(value[key], `${at}.${key}`, variable, this.defaults.upstream[field]);
      if (ms !== undefined) own[field] = ms;
    }
    return own;
  }

  /** A whole number within the range of `variable` (`example`: its value); undefined when absent or refused. */
  private whole(
    value: unknown,
    at: string,
    variable: RangedVariable,
    example: number,
  ): number | undefined {
    if (value === undefined) return undefined;
    const { min, max } = this.defaults.ranges[variable];
    const key = at.slice(at.lastIndexOf('.') + 1);
    const expected = `expected a whole number from ${min} to ${max} (as ${variable}), e.g. "${key}": ${example}`;
    if (typeof value !== 'number' || !Number.isInteger(value))
      this.problem(at, `=${show(value)} is not a whole number; ${expected}`);
    else if (value < min || value > max) this.problem(at, `=${value} is out of range; ${expected}`);
    else return value;
    return undefined;
  }

  /** Which of the upstream's models are served (all when absent), and under which ids. */
  private models(value: unknown, at: string): ModelSelection {
    const models: ModelSelection = { include: null, aliases: {} };
    if (value === undefined) return models;
    if (!isObject(value)) {
      this.problem(
        at,
        `=${show(value)} is not an object; expected e.g. "models": {"include": ["meta/*"], "aliases": {${ALIAS_EXAMPLE}}}`,
      );
      return models;
    }
    this.keys(value, at, ['include', 'aliases'], 'models');
    const include = value.include;
    const expectedInclude = `expected a non-empty list of model id patterns (* any run of characters), e.g. "include": ["meta/*"]`;
    if (include !== undefined) {
      if (!Array.isArray(include))
        this.problem(`${at}.include`, `=${show(include)} is not a list; ${expectedInclude}`);
      else if (include.length === 0) this.problem(`${at}.include`, ` is empty; ${expectedInclude}`);
      else {
        include.forEach((pattern: unknown, i) => {
          if (typeof pattern !== 'string' || pattern === '')
            this.problem(
              `${at}.include[${i}]`,
              `=${show(pattern)} is not a pattern; ${expectedInclude}`,
            );
        });
        models.include = include.filter(
          (p: unknown): p is string => typeof p === 'string' && p !== '',
        );
      }
    }
    const aliases = value.aliases;
    const expectedAlias = `expected the public id → the upstream's own id, e.g. "aliases": {${ALIAS_EXAMPLE}}`;
    if (aliases !== undefined) {
      if (!isObject(aliases))
        this.problem(`${at}.aliases`, `=${show(aliases)} is not an object; ${expectedAlias}`);
      else {
        const accepted: [string, string][] = [];
        for (const [id, target] of Object.entries(aliases)) {
          if (id === '') this.problem(`${at}.aliases`, ` has an empty public id; ${expectedAlias}`);
          else if (typeof target !== 'string' || target === '')
            this.problem(
              `${at}.aliases${step(id)}`,
              `=${show(target)} is not a model id; ${expectedAlias}`,
            );
          else accepted.push([id, target]);
        }
        // fromEntries defines each id as its own key, `__proto__` included.
        models.aliases = Object.fromEntries(accepted);
      }
    }
    return models;
  }

  /** Keys that would hold a secret, then keys of no meaning here (a typo must not pass unnoticed). */
  private keys(object: Json, at: string, allowed: readonly string[], what: string): void {
    for (const key of Object.keys(object)) {
      if (allowed.includes(key)) continue;
      const where = `${at}${step(key)}`.replace(/^\./, '');
      // The value is not shown: it may be the secret itself.
      if (KEY_FIELDS.has(key.toLowerCase().replace(/[_-]/g, '')))
        this.problem(
          where,
          ` is refused: keys do not belong in the file; use apiKeyEnv, the name of the environment variable that holds the key, e.g. "apiKeyEnv": "EAST_KEY"`,
        );
      else {
        const suggestion = nearest(key, allowed, 0);
        this.problem(
          where,
          ` is not a known key${suggestion ? ` (did you mean ${suggestion}?)` : ''}; the keys of ${what} are ${allowed.join(', ')}`,
        );
      }
    }
  }
}

/** The file's text parsed by its extension: `.json`, `.yaml`/`.yml`, or else JSON, then YAML. */
function parseFile(
  path: string,
  readFile: (path: string) => string,
): { value: unknown } | { problem: string } {
  const file = `UPSTREAMS_FILE=${JSON.stringify(path)}`;
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    return {
      problem: `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected a JSON or YAML file, e.g. ${EXAMPLE}`,
    };
  }
  const extension = /\.(json|ya?ml)$/i.exec(path)?.[1]?.toLowerCase();
  if (extension === 'json') {
    const json = parseJson(text);
    return 'problem' in json ? { problem: `${file} is not valid JSON: ${json.problem}` } : json;
  }
  if (extension !== undefined) {
    const yaml = parseYaml(text);
    return 'problem' in yaml ? { problem: `${file} is not valid YAML: ${yaml.problem}` } : yaml;
  }
  const json = parseJson(text);
  if (!('problem' in json)) return json;
  const yaml = parseYaml(text);
  return 'problem' in yaml
    ? { problem: `${file} is neither JSON (${json.problem}) nor YAML (${yaml.problem})` }
    : yaml;
}

function parseJson(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

function parseYaml(text: string): { value: unknown } | { problem: string } {
  try {
    const document = parseDocument(text, { prettyErrors: true });
    // Warnings too (an unresolved tag): the file would not mean what it says.
    const [first] = [...document.errors, ...document.warnings];
    // The message goes on with a drawing of the line over several lines: the first is enough.
    if (first) return { problem: first.message.split('\n')[0]!.replace(/:$/, '') };
    return { value: document.toJS() as unknown };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

/** `.key`, or `["odd key"]` when it is no identifier. */
function step(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A value as JSON on one line, long ones cut. */
function show(value: unknown): string {
  // Infinity and NaN (YAML's .inf, .nan) are no JSON.
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
