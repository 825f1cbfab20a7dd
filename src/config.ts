// Environment → typed, validated Config. Every bad value becomes one line that names the
// variable, says what is wrong with the value and shows the expected form.
import { readFileSync } from 'node:fs';
import { EnvReader, lookAlikes, mayBeKey, shownUnlessKey, type Env } from './config/env-reader.ts';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './observability/logger.ts';
import { parseCapabilityRules, type CapabilityRule } from './nim/capabilities.ts';
import { NIM_DIALECTS } from './nim/parameters.ts';
import { parseKindRules, type KindRule } from './nim/kinds.ts';
import { parseThinkingRules, type ThinkingRule } from './nim/thinking.ts';
import type { FleetUpstream, ResilienceConfig, UpstreamConfig } from './nim/settings.ts';
import { readUpstreamsFile } from './config/upstreams-file.ts';
import { namedKey } from './gate/client-auth.ts';
import { parseBudgetRules, type BudgetRule } from './usage/budgets.ts';

/** The value of NIM_PROXY_BASE_URL that asks for the built-in simulator by name (the only way in production). */
export const SIMULATOR = 'simulator';

const second = 1000;
const minute = 60 * second;

// An upstream of UPSTREAMS_FILE may set these for itself, within the same ranges as the variables.
const PER_UPSTREAM = {
  UPSTREAM_CONNECT_TIMEOUT_MS: { fallback: 5 * second, min: 1, max: 10 * minute },
  UPSTREAM_HEADERS_TIMEOUT_MS: { fallback: 2 * minute, min: 1, max: 60 * minute },
  UPSTREAM_TOTAL_TIMEOUT_MS: { fallback: 5 * minute, min: 1, max: 120 * minute },
  STREAM_FIRST_TOKEN_TIMEOUT_MS: { fallback: 2 * minute, min: 1, max: 60 * minute },
  STREAM_IDLE_TIMEOUT_MS: { fallback: 30 * second, min: 1, max: 60 * minute },
  UPSTREAM_MAX_CONCURRENCY: { fallback: 256, min: 1, max: 100_000 },
};

export interface Limits {
  maxTokens: number;
  defaultMaxTokens: number;
  maxPromptChars: number;
  maxMessages: number;
  /** Most image parts in one chat. */
  maxImages: number;
  /** Largest image sent inline (a `data:` URL), decoded. */
  maxImageBytes: number;
  /** Most inputs in one `embed` field. */
  maxEmbedInputs: number;
  /** Most passages in one `rerank` field. */
  maxRerankPassages: number;
  /** Most characters in one `embed` field's inputs, or in one `rerank` field's query and passages. */
  maxRetrievalChars: number;
  /** Most inputs in one upstream `/v1/embeddings` call: `embed` fields of one operation share calls up to it. */
  embedBatchSize: number;
}

/** What keeps the endpoint safe to expose. */
export interface SecurityConfig {
  /** Client keys for `Authorization: Bearer`; empty = no client auth. */
  apiKeys: readonly string[];
  corsOrigins: readonly string[];
  introspection: boolean;
  graphiql: boolean;
  /** 0 = batched requests refused. */
  batchingLimit: number;
  maxRequestBytes: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxDocumentTokens: number;
  /** Cap on the sum over an operation's generation fields of maxTokens × n. */
  maxOperationCost: number;
  /** Path of a persisted-documents manifest ({hash: document}); set = only those documents run. */
  trustedDocumentsFile: string | undefined;
  /** Names of keys (`name:key` in GATEWAY_API_KEYS) that may read every key's usage. */
  adminKeys: readonly string[];
}

export interface RateLimitConfig {
  /** Per client key (or IP without auth); 0 = off. */
  requestsPerMinute: number;
  generatedTokensPerMinute: number;
  /** Shared budget across gateway instances when set; in memory otherwise. */
  redisUrl: string | undefined;
}

export interface Config {
  /** NODE_ENV=production: no simulator unless asked for by name, JSON logs even in a terminal. */
  production: boolean;
  /** NIM_PROXY_BASE_URL=simulator: the simulator was asked for, not fallen back to. */
  simulatorByName: boolean;
  /** Set variables that look like mistyped names of known ones, one sentence each (logged at start). */
  warnings: string[];
  host: string;
  port: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** OpenTelemetry spans over OTLP/HTTP, when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing: { endpoint: string; serviceName: string } | null;
  upstream: UpstreamConfig;
  resilience: ResilienceConfig;
  /** The upstreams of UPSTREAMS_FILE, each with its own settings over the environment's; null = unset. */
  upstreams: readonly FleetUpstream[] | null;
  security: SecurityConfig;
  rateLimit: RateLimitConfig;
  /** Token budgets per key and period (TOKEN_BUDGETS), in Redis when REDIS_URL is set. */
  budgets: readonly BudgetRule[];
  modelsCacheTtlMs: number;
  modelsRefreshMinIntervalMs: number;
  limits: Limits;
  /** The operator's capability rules (MODEL_CAPABILITIES), tried before the defaults. */
  capabilities: readonly CapabilityRule[];
  /** The operator's model kinds (MODEL_KINDS), tried before the defaults. */
  kinds: readonly KindRule[];
  /** The operator's thinking controls (MODEL_THINKING), tried before the defaults. */
  thinking: readonly ThinkingRule[];
  shutdownGraceMs: number;
  /** Pacing of the built-in simulator's tokens, used only when it serves (NIM_PROXY_BASE_URL unset or `simulator`). */
  simulatorTokenDelayMs: number;
}

/** A Config whose upstream is known: what the gateway is built from. */
export type GatewayConfig = Config & { upstream: UpstreamConfig & { baseUrl: string } };

export class ConfigError extends Error {
  readonly problems: string[];
  /** How to log the refusal: LOG_LEVEL and LOG_FORMAT as read (their defaults when they are the bad values). */
  readonly logging: { level: LogLevel; format: LogFormat; production: boolean };
  constructor(
    problems: string[],
    logging: ConfigError['logging'] = { level: 'info', format: 'auto', production: false },
  ) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.logging = logging;
  }
}

export function loadConfig(
  env: Env = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Config {
  const read = new EnvReader(env);
  const production = read.string('NODE_ENV', '') === 'production';
  const simulatorByName = read.optional('NIM_PROXY_BASE_URL') === SIMULATOR;
  const upstream: UpstreamConfig = {
    baseUrl: simulatorByName ? undefined : read.baseUrl('NIM_PROXY_BASE_URL'),
    apiKey: read.optional('NIM_PROXY_API_KEY'),
    rankingBaseUrl: read.baseUrl('NIM_RANKING_BASE_URL'),
    connectTimeoutMs: read.int(
      'UPSTREAM_CONNECT_TIMEOUT_MS',
      PER_UPSTREAM.UPSTREAM_CONNECT_TIMEOUT_MS,
    ),
    headersTimeoutMs: read.int(
      'UPSTREAM_HEADERS_TIMEOUT_MS',
      PER_UPSTREAM.UPSTREAM_HEADERS_TIMEOUT_MS,
    ),
    bodyTimeoutMs: read.int('UPSTREAM_BODY_TIMEOUT_MS', {
      fallback: 30 * second,
      min: 1,
      max: 60 * minute,
    }),
    totalTimeoutMs: read.int('UPSTREAM_TOTAL_TIMEOUT_MS', PER_UPSTREAM.UPSTREAM_TOTAL_TIMEOUT_MS),
    connections: read.int('UPSTREAM_CONNECTIONS', { fallback: 64, min: 1, max: 10_000 }),
    maxResponseBytes: read.int('UPSTREAM_MAX_RESPONSE_BYTES', {
      fallback: 8 * 1024 * 1024,
      min: 1024,
      max: 1024 ** 3,
    }),
    firstTokenTimeoutMs: read.int(
      'STREAM_FIRST_TOKEN_TIMEOUT_MS',
      PER_UPSTREAM.STREAM_FIRST_TOKEN_TIMEOUT_MS,
    ),
    idleTimeoutMs: read.int('STREAM_IDLE_TIMEOUT_MS', PER_UPSTREAM.STREAM_IDLE_TIMEOUT_MS),
    dialect: read.choice('NIM_API_DIALECT', NIM_DIALECTS, 'top-level'),
    streamUsage: read.boolean('STREAM_INCLUDE_USAGE', true),
  };
  const maxTokens = read.int('MAX_TOKENS_LIMIT', { fallback: 4096, min: 1, max: 1_000_000 });
  const resilience: ResilienceConfig = {
    maxRetries: read.int('UPSTREAM_MAX_RETRIES', { fallback: 2, min: 0, max: 10 }),
    retryBaseDelayMs: read.int('UPSTREAM_RETRY_BASE_DELAY_MS', {
      fallback: 100,
      min: 1,
      max: minute,
    }),
    retryMaxDelayMs: read.int('UPSTREAM_RETRY_MAX_DELAY_MS', {
      fallback: 2 * second,
      min: 1,
      max: 10 * minute,
    }),
    retryAfterCapMs: read.int('UPSTREAM_RETRY_AFTER_CAP_MS', {
      fallback: 5 * second,
      min: 0,
      max: 10 * minute,
    }),
    retryBudgetRatio: read.ratio('UPSTREAM_RETRY_BUDGET_RATIO', 0.1),
    breakerFailureThreshold: read.int('UPSTREAM_BREAKER_FAILURES', {
      fallback: 5,
      min: 1,
      max: 10_000,
    }),
    breakerCooldownMs: read.int('UPSTREAM_BREAKER_COOLDOWN_MS', {
      fallback: 10 * second,
      min: 1,
      max: 60 * minute,
    }),
    maxConcurrency: read.int('UPSTREAM_MAX_CONCURRENCY', PER_UPSTREAM.UPSTREAM_MAX_CONCURRENCY),
    queueLimit: read.int('UPSTREAM_QUEUE_LIMIT', { fallback: 1024, min: 0, max: 1_000_000 }),
    queueTimeoutMs: read.int('UPSTREAM_QUEUE_TIMEOUT_MS', {
      fallback: 10 * second,
      min: 1,
      max: 10 * minute,
    }),
    readyMaxAgeMs: read.int('READY_MAX_AGE_MS', {
      fallback: 30 * second,
      min: 0,
      max: 60 * minute,
    }),
  };
  const upstreamsFile = read.optional('UPSTREAMS_FILE');
  let upstreams: FleetUpstream[] | null = null;
  if (upstreamsFile !== undefined) {
    if (read.optional('NIM_PROXY_BASE_URL') !== undefined)
      read.problems.push(
        'UPSTREAMS_FILE and NIM_PROXY_BASE_URL are both set; they are alternatives (NIM_PROXY_BASE_URL is the shorthand for one upstream): ' +
          'unset NIM_PROXY_BASE_URL and list every upstream in the file, or unset UPSTREAMS_FILE',
      );
    const fleet = readUpstreamsFile(upstreamsFile, readFile, env, {
      upstream,
      resilience,
      ranges: PER_UPSTREAM,
    });
    read.problems.push(...fleet.problems);
    // The variables holding upstream keys are read too: no typos.
    for (const name of fleet.keyVariables) read.names.add(name);
    upstreams = fleet.upstreams;
  }
  const security: SecurityConfig = {
    apiKeys: read.keys(
      'GATEWAY_API_KEYS',
      'GATEWAY_API_KEYS_FILE',
      readFile,
      (entry) => namedKey(entry).key,
    ),
    corsOrigins: read.origins('CORS_ORIGINS'),
    introspection: read.boolean('INTROSPECTION', true),
    graphiql: read.boolean('GRAPHIQL', true),
    batchingLimit: read.int('BATCHING_LIMIT', { fallback: 0, min: 0, max: 100 }),
    maxRequestBytes: read.int('MAX_REQUEST_BYTES', {
      fallback: 1024 * 1024,
      min: 1024,
      max: 1024 ** 3,
    }),
    maxDepth: read.int('MAX_DEPTH', { fallback: 12, min: 1, max: 1000 }),
    maxAliases: read.int('MAX_ALIASES', { fallback: 15, min: 0, max: 10_000 }),
    maxDirectives: read.int('MAX_DIRECTIVES', { fallback: 20, min: 0, max: 10_000 }),
    maxDocumentTokens: read.int('MAX_DOCUMENT_TOKENS', { fallback: 2000, min: 10, max: 1_000_000 }),
    maxOperationCost: read.int('MAX_OPERATION_COST', {
      fallback: 32_768,
      min: 1,
      max: 1_000_000_000,
    }),
    trustedDocumentsFile: read.optional('TRUSTED_DOCUMENTS_FILE'),
    adminKeys: read.list('GATEWAY_ADMIN_KEYS'),
  };
  checkKeyNames(read, security);
  const rateLimit: RateLimitConfig = {
    requestsPerMinute: read.int('RATE_LIMIT_REQUESTS_PER_MINUTE', {
      fallback: 0,
      min: 0,
      max: 10_000_000,
    }),
    generatedTokensPerMinute: read.int('RATE_LIMIT_TOKENS_PER_MINUTE', {
      fallback: 0,
      min: 0,
      max: 1_000_000_000,
    }),
    redisUrl: read.redisUrl('REDIS_URL'),
  };
  const budgets = read.parsed(
    'TOKEN_BUDGETS',
    parseBudgetRules,
    'web=2000000/day;*=10000000/month',
  );
  checkBudgets(read, budgets, security.apiKeys);
  const config: Config = {
    production,
    simulatorByName,
    warnings: [],
    logLevel: read.choice('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: read.choice('LOG_FORMAT', LOG_FORMATS, 'auto'),
    tracing: read.otlpEndpoint(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      read.string('OTEL_SERVICE_NAME', 'nim-graphql'),
    ),
    host: read.string('HOST', '127.0.0.1'),
    port: read.int('PORT', { fallback: 4000, min: 0, max: 65_535 }),
    upstream,
    resilience,
    upstreams,
    security,
    rateLimit,
    budgets,
    modelsCacheTtlMs: read.int('MODELS_CACHE_TTL_MS', {
      fallback: minute,
      min: 0,
      max: 24 * 60 * minute,
    }),
    modelsRefreshMinIntervalMs: read.int('MODELS_REFRESH_MIN_INTERVAL_MS', {
      fallback: second,
      min: 0,
      max: 60 * minute,
    }),
    limits: {
      maxTokens,
      defaultMaxTokens: read.int('DEFAULT_MAX_TOKENS', {
        fallback: Math.min(256, maxTokens),
        min: 1,
        max: maxTokens,
      }),
      maxPromptChars: read.int('MAX_PROMPT_CHARS', { fallback: 100_000, min: 1, max: 100_000_000 }),
      maxMessages: read.int('MAX_MESSAGES', { fallback: 256, min: 1, max: 100_000 }),
      maxImages: read.int('MAX_IMAGES', { fallback: 8, min: 0, max: 1_000 }),
      maxImageBytes: read.int('MAX_IMAGE_BYTES', {
        fallback: 5 * 1024 * 1024,
        min: 1,
        max: 1024 ** 3,
      }),
      maxEmbedInputs: read.int('MAX_EMBED_INPUTS', { fallback: 256, min: 1, max: 100_000 }),
      maxRerankPassages: read.int('MAX_RERANK_PASSAGES', { fallback: 512, min: 1, max: 100_000 }),
      maxRetrievalChars: read.int('MAX_RETRIEVAL_CHARS', {
        fallback: 100_000,
        min: 1,
        max: 100_000_000,
      }),
      embedBatchSize: read.int('EMBED_BATCH_SIZE', { fallback: 64, min: 1, max: 10_000 }),
    },
    capabilities: read.parsed('MODEL_CAPABILITIES', parseCapabilityRules, 'sim/*=tools,vision'),
    kinds: read.parsed('MODEL_KINDS', parseKindRules, 'acme/*-embed*=embedding,asymmetric'),
    thinking: read.parsed('MODEL_THINKING', parseThinkingRules, 'acme/*=effort'),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', {
      fallback: 10 * second,
      min: 0,
      max: 60 * minute,
    }),
    simulatorTokenDelayMs: read.int('SIMULATOR_TOKEN_DELAY_MS', {
      fallback: 15,
      min: 0,
      max: minute,
    }),
  };
  const typos = lookAlikes(env, read.names);
  config.warnings = typos.map(
    ({ name, suggestion }) =>
      `${name} is set, but nim-graphql reads no variable of that name; ${suggestion ? `did you mean ${suggestion}?` : 'see the configuration table in README.md'}`,
  );
  // Every request takes one path since the node:http fast path went: the switch does nothing now.
  // With a file, each upstream names its own key variable and a reranking NIM is an upstream.
  if (upstreams !== null)
    for (const unused of ['NIM_PROXY_API_KEY', 'NIM_RANKING_BASE_URL'])
      if (env[unused]?.trim())
        config.warnings.push(
          `${unused} is set, but with UPSTREAMS_FILE it is not used: ${unused === 'NIM_PROXY_API_KEY' ? 'give each upstream of the file its key with apiKeyEnv' : 'list the reranking NIM in the file as an upstream'}`,
        );
  if ('FAST_PATH' in env)
    config.warnings.push(
      'FAST_PATH is set, but nim-graphql no longer reads it: every request takes the same path (BENCHMARKS.md)',
    );
  if (
    production &&
    upstreamsFile === undefined &&
    read.optional('NIM_PROXY_BASE_URL') === undefined
  ) {
    const typo = typos.find((t) => t.suggestion === 'NIM_PROXY_BASE_URL');
    read.problems.push(
      "NIM_PROXY_BASE_URL is not set, and with NODE_ENV=production the gateway does not fall back to the simulator's fake models: " +
        `set NIM Proxy's URL, e.g. NIM_PROXY_BASE_URL=http://nemo-nim-proxy:8000, or NIM_PROXY_BASE_URL=${SIMULATOR} to serve the simulator anyway` +
        (typo ? ` (${typo.name} is set: a typo?)` : ''),
    );
  }
  if (read.problems.length > 0) {
    throw new ConfigError(read.problems, {
      level: config.logLevel,
      format: config.logFormat,
      production,
    });
  }
  return config;
}

/** Each key once, each name once; admins are named keys. Nothing that may be a key is shown. */
function checkKeyNames(read: EnvReader, security: SecurityConfig): void {
  const names = new Set<string>();
  const owners = new Map<string, string>();
  for (const entry of security.apiKeys) {
    const { name, key } = namedKey(entry);
    const owner = owners.get(key);
    if (owner !== undefined)
      read.problems.push(
        `GATEWAY_API_KEYS/GATEWAY_API_KEYS_FILE hold the same key twice (as ${owner} and as ${name ?? 'a key without a name'}); each key once, under one name`,
      );
    owners.set(key, name ?? 'a key without a name');
    if (name === null) continue;
    if (names.has(name))
      read.problems.push(
        `GATEWAY_API_KEYS/GATEWAY_API_KEYS_FILE: the name ${name} is given to two keys; each key needs its own name`,
      );
    names.add(name);
  }
  security.adminKeys.forEach((admin, index) => {
    if (!names.has(admin))
      read.problems.push(
        `GATEWAY_ADMIN_KEYS: entry ${index + 1}, ${shownUnlessKey(admin)}, is no key name of GATEWAY_API_KEYS; it takes the names of name:key entries, not keys, e.g. GATEWAY_API_KEYS=ops:<key> and GATEWAY_ADMIN_KEYS=ops`,
      );
  });
}

/** Budgets are per key: they need keys, and a rule names a named key or `*`. */
function checkBudgets(
  read: EnvReader,
  rules: readonly BudgetRule[],
  keys: readonly string[],
): void {
  if (rules.length === 0) return;
  if (keys.length === 0) {
    read.problems.push(
      'TOKEN_BUDGETS is set, but budgets are per client key and GATEWAY_API_KEYS is not: set keys, e.g. GATEWAY_API_KEYS=web:<key>',
    );
    return;
  }
  const names = new Set(keys.map((entry) => namedKey(entry).name));
  for (const rule of rules) {
    if (rule.key !== '*' && !names.has(rule.key))
      read.problems.push(
        mayBeKey(rule.key)
          ? `TOKEN_BUDGETS: a rule names a key by ${shownUnlessKey(rule.key)}, which GATEWAY_API_KEYS does not name; a rule takes a key's name (name:key in GATEWAY_API_KEYS), or *`
          : `TOKEN_BUDGETS: ${rule.text} names the key ${rule.key}, which GATEWAY_API_KEYS does not name; name it there (${rule.key}:<key>) or use *`,
      );
  }
}
