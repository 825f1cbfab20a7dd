// Environment → typed, validated Config. Every bad value becomes one line that names the
// variable, says what is wrong with the value and shows the expected form.

export interface UpstreamConfig {
  /** Origin plus optional path prefix, without a trailing slash or `/v1`; unset = simulator. */
  baseUrl: string | undefined;
  apiKey: string | undefined;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  totalTimeoutMs: number;
  connections: number;
  maxResponseBytes: number;
  /** Streams: from sending the request to the first event, then the longest gap between events. */
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  /** Where NIM's sampling extensions go: top level (NIM 2.x, vLLM) or inside `nvext` (NIM 1.x). */
  dialect: NimDialect;
  /** Whether streams ask for usage with `stream_options.include_usage`. */
  streamUsage: boolean;
}

export const NIM_DIALECTS = ['top-level', 'nvext'] as const;
export type NimDialect = (typeof NIM_DIALECTS)[number];

export interface Limits {
  maxTokens: number;
  defaultMaxTokens: number;
  maxPromptChars: number;
}

export interface Config {
  host: string;
  port: number;
  upstream: UpstreamConfig;
  modelsCacheTtlMs: number;
  modelsRefreshMinIntervalMs: number;
  limits: Limits;
  shutdownGraceMs: number;
  /** Pacing of the built-in simulator's tokens, used only when NIM_PROXY_BASE_URL is unset. */
  simulatorTokenDelayMs: number;
}

/** A Config whose upstream is known: what the gateway is built from. */
export type GatewayConfig = Config & { upstream: UpstreamConfig & { baseUrl: string } };

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

interface IntRule {
  fallback: number;
  min: number;
  max: number;
}

class EnvReader {
  readonly problems: string[] = [];
  private readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  private raw(name: string): string | undefined {
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

  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}=${JSON.stringify(value)} is not one of ${choices.join(', ')}; e.g. ${name}=${fallback}`);
    return fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problems.push(`${name}=${JSON.stringify(value)} is not a boolean; expected true or false, e.g. ${name}=${fallback}`);
    return fallback;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  baseUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const expected = `expected an http(s) URL of NIM Proxy without /v1, e.g. ${name}=http://nemo-nim-proxy:8000`;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push(`${name}=${JSON.stringify(value)} is not a URL; ${expected}`);
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.problems.push(`${name}=${JSON.stringify(value)} has protocol ${url.protocol}; ${expected}`);
      return undefined;
    }
    if (url.search || url.hash || url.username || url.password) {
      this.problems.push(`${name} must not carry a query, fragment or credentials (use NIM_PROXY_API_KEY); ${expected}`);
      return undefined;
    }
    // Exactly one /v1 is added per call: a trailing slash or /v1 here would double it.
    const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    return `${url.origin}${path}`;
  }
}

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const second = 1000;
  const minute = 60 * second;
  const upstream: UpstreamConfig = {
    baseUrl: read.baseUrl('NIM_PROXY_BASE_URL'),
    apiKey: read.optional('NIM_PROXY_API_KEY'),
    connectTimeoutMs: read.int('UPSTREAM_CONNECT_TIMEOUT_MS', { fallback: 5 * second, min: 1, max: 10 * minute }),
    headersTimeoutMs: read.int('UPSTREAM_HEADERS_TIMEOUT_MS', { fallback: 2 * minute, min: 1, max: 60 * minute }),
    bodyTimeoutMs: read.int('UPSTREAM_BODY_TIMEOUT_MS', { fallback: 30 * second, min: 1, max: 60 * minute }),
    totalTimeoutMs: read.int('UPSTREAM_TOTAL_TIMEOUT_MS', { fallback: 5 * minute, min: 1, max: 120 * minute }),
    connections: read.int('UPSTREAM_CONNECTIONS', { fallback: 64, min: 1, max: 10_000 }),
    maxResponseBytes: read.int('UPSTREAM_MAX_RESPONSE_BYTES', { fallback: 8 * 1024 * 1024, min: 1024, max: 1024 ** 3 }),
    firstTokenTimeoutMs: read.int('STREAM_FIRST_TOKEN_TIMEOUT_MS', { fallback: 2 * minute, min: 1, max: 60 * minute }),
    idleTimeoutMs: read.int('STREAM_IDLE_TIMEOUT_MS', { fallback: 30 * second, min: 1, max: 60 * minute }),
    dialect: read.choice('NIM_API_DIALECT', NIM_DIALECTS, 'top-level'),
    streamUsage: read.boolean('STREAM_INCLUDE_USAGE', true),
  };
  const maxTokens = read.int('MAX_TOKENS_LIMIT', { fallback: 4096, min: 1, max: 1_000_000 });
  const config: Config = {
    host: read.string('HOST', '127.0.0.1'),
    port: read.int('PORT', { fallback: 4000, min: 0, max: 65_535 }),
    upstream,
    modelsCacheTtlMs: read.int('MODELS_CACHE_TTL_MS', { fallback: minute, min: 0, max: 24 * 60 * minute }),
    modelsRefreshMinIntervalMs: read.int('MODELS_REFRESH_MIN_INTERVAL_MS', { fallback: second, min: 0, max: 60 * minute }),
    limits: {
      maxTokens,
      defaultMaxTokens: read.int('DEFAULT_MAX_TOKENS', { fallback: Math.min(256, maxTokens), min: 1, max: maxTokens }),
      maxPromptChars: read.int('MAX_PROMPT_CHARS', { fallback: 100_000, min: 1, max: 100_000_000 }),
    },
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', { fallback: 10 * second, min: 0, max: 60 * minute }),
    simulatorTokenDelayMs: read.int('SIMULATOR_TOKEN_DELAY_MS', { fallback: 15, min: 0, max: minute }),
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}
