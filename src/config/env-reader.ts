// Reads environment variables one rule at a time, collecting a line per bad value that names the
// variable, says what is wrong and shows the expected form (config.ts turns them into a ConfigError).
export type Env = Record<string, string | undefined>;

interface IntRule {
  fallback: number;
  min: number;
  max: number;
}

export class EnvReader {
  readonly problems: string[] = [];
  /** Every variable asked for: the names the program knows (see lookAlikes). */
  readonly names = new Set<string>();
  private readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  private raw(name: string): string | undefined {
    this.names.add(name);
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  int(name: string, rule: IntRule): number {
    const value = this.raw(name);
    if (value === undefined) return rule.fallback;
    const expected = `expected a whole number from ${rule.min} to ${rule.max}, e.g. ${name}=${rule.fallback}`;
    if (!/^\d+$/.test(value)) {
      this.problems.push(`${name}=${JSON.stringify(value)} is not a whole number; ${expected}`);
      return rule.fallback;
    }
    const n = Number(value);
    if (n < rule.min || n > rule.max) {
      this.problems.push(`${name}=${value} is out of range; ${expected}`);
      return rule.fallback;
    }
    return n;
  }

  /** A value of its own syntax: `parse` gives the rules and the problems, each shown with an example. */
  parsed<T>(
    name: string,
    parse: (text: string) => { rules: T[]; problems: string[] },
    example: string,
  ): T[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const { rules, problems } = parse(value);
    for (const problem of problems)
      this.problems.push(`${name}: ${problem}; e.g. ${name}=${example}`);
    return rules;
  }

  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    this.problems.push(
      `${name}=${JSON.stringify(value)} is not one of ${choices.join(', ')}; e.g. ${name}=${fallback}`,
    );
    return fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problems.push(
      `${name}=${JSON.stringify(value)} is not a boolean; expected true or false, e.g. ${name}=${fallback}`,
    );
    return fallback;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  /** A fraction from 0 to 1, e.g. 0.1. */
  ratio(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d*\.?\d+$/.test(value) || n > 1) {
      this.problems.push(
        `${name}=${JSON.stringify(value)} is not a fraction; expected a number from 0 to 1, e.g. ${name}=${fallback}`,
      );
      return fallback;
    }
    return n;
  }

  /** Comma-separated list; empty items dropped. */
  list(name: string): string[] {
    return (this.raw(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /** Exact origins (`https://app.example.com`) or `*`. */
  origins(name: string): string[] {
    const origins = this.list(name);
    for (const origin of origins) {
      if (origin === '*') continue;
      let ok = false;
      try {
        const url = new URL(origin);
        ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin;
      } catch {
        ok = false;
      }
      if (!ok) {
        this.problems.push(
          `${name} holds ${JSON.stringify(origin)}, not an origin; expected scheme://host[:port] without a path, e.g. ${name}=https://app.example.com`,
        );
      }
    }
    return origins;
  }

  /** Keys from a comma-separated variable and/or a file with one key a line (# comments allowed). */
  /** `keyOf` gives the key of an entry (an entry may name its key: `name:key`). */
  keys(
    name: string,
    fileName: string,
    readFile: (path: string) => string,
    keyOf: (entry: string) => string = (entry) => entry,
  ): string[] {
    const keys = this.list(name);
    const file = this.raw(fileName);
    if (file !== undefined) {
      try {
        keys.push(
          ...readFile(file)
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line !== '' && !line.startsWith('#')),
        );
      } catch (error) {
        this.problems.push(
          `${fileName}=${JSON.stringify(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected a file with one key a line`,
        );
      }
    }
    for (const entry of keys) {
      const key = keyOf(entry);
      if (key.length < 16 || /\s/.test(entry)) {
        this.problems.push(
          `${name}/${fileName} holds a key of ${key.length} characters; expected keys of at least 16 characters without spaces`,
        );
        break;
      }
    }
    return keys;
  }

  otlpEndpoint(
    name: string,
    serviceName: string,
  ): { endpoint: string; serviceName: string } | null {
    const value = this.raw(name);
    if (value === undefined) return null;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:')
        return { endpoint: value, serviceName };
    } catch {
      // reported below
    }
    this.problems.push(
      `${name}=${JSON.stringify(value)} is not an http(s) URL; expected the OTLP/HTTP base URL, e.g. ${name}=http://otel-collector:4318`,
    );
    return null;
  }

  redisUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'redis:' || url.protocol === 'rediss:') return value;
    } catch {
      // reported below
    }
    this.problems.push(
      `${name} is not a redis URL; expected redis://[:password@]host:port[/db], e.g. ${name}=redis://127.0.0.1:6379`,
    );
    return undefined;
  }

  baseUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const parsed = parseBaseUrl(value, 'NIM_PROXY_API_KEY');
    if ('url' in parsed) return parsed.url;
    this.problems.push(
      `${name}${parsed.problem}; expected an http(s) URL of NIM Proxy without /v1, e.g. ${name}=http://nemo-nim-proxy:8000`,
    );
    return undefined;
  }
}

/**
 * An http(s) base URL without a trailing slash or `/v1`, or what is wrong with it as the words that
 * follow its name (`="ftp://x" has protocol ftp:`); `keyHint` is where the key goes instead.
 */
export function parseBaseUrl(
  value: string,
  keyHint: string,
): { url: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `=${JSON.stringify(value)} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { problem: `=${JSON.stringify(value)} has protocol ${url.protocol}` };
  // Not shown: credentials in the URL are a secret.
  if (url.search || url.hash || url.username || url.password)
    return { problem: ` must not carry a query, fragment or credentials (use ${keyHint})` };
  // Exactly one /v1 is added per call: a trailing slash or /v1 here would double it.
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return { url: `${url.origin}${path}` };
}

/** Variables of the program's own families; one of them that the program does not read is a typo. */
const OWN_PREFIXES = ['NIM_', 'UPSTREAM_'];

// Kubernetes sets <SERVICE>_SERVICE_HOST, <SERVICE>_PORT_8000_TCP, … for every Service in the
// namespace (a Service named nim-proxy gives NIM_PROXY_PORT): those are no typos.
const SERVICE_LINK =
  /_(SERVICE_HOST|SERVICE_PORT(_\w+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$/;

export interface LookAlike {
  name: string;
  /** The known variable it most resembles, when one is close. */
  suggestion: string | undefined;
}

/**
 * Set variables that look like a mistyped name of a known one: any unknown NIM_* or UPSTREAM_*,
 * and any other within two edits of a known name (`NIM_PROXY_BASEURL`, `nim_proxy_base_url`).
 */
export function lookAlikes(env: Env, known: ReadonlySet<string>): LookAlike[] {
  const found: LookAlike[] = [];
  for (const name of Object.keys(env)) {
    if (known.has(name) || SERVICE_LINK.test(name)) continue;
    const upper = name.toUpperCase();
    const suggestion = nearest(name, known, 6);
    if (suggestion !== undefined || OWN_PREFIXES.some((prefix) => upper.startsWith(prefix)))
      found.push({ name, suggestion });
  }
  return found;
}

/** The candidate of at least `minLength` characters nearest `word` within two edits, case ignored. */
export function nearest(
  word: string,
  candidates: Iterable<string>,
  minLength: number,
): string | undefined {
  const upper = word.toUpperCase();
  let suggestion: string | undefined;
  let best = 3;
  for (const candidate of candidates) {
    if (candidate.length < minLength) continue;
    const other = candidate.toUpperCase();
    const distance = upper === other ? 0 : editDistance(upper, other, best);
    if (distance < best) [suggestion, best] = [candidate, distance];
  }
  return suggestion;
}

/** Levenshtein distance, or `limit` as soon as it must be at least that. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    if (Math.min(...current) >= limit) return limit;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Whether a value in a problem line might be a key pasted into the wrong place (16 or more
 * characters, not a conventional variable name such as EAST_API_KEY): such a value is not shown.
 */
export function mayBeKey(value: string): boolean {
  return value.length >= 16 && !/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(value);
}

/** `value` quoted, or how long it is when it might be a key. */
export function shownUnlessKey(value: string): string {
  return mayBeKey(value)
    ? `a value of ${value.length} characters (not shown: it may be a key)`
    : JSON.stringify(value);
}
