// Per-key token budgets (reserve before the upstream call, settle or release after) and usage counts
// per key and model, by UTC day and month: in memory, or in Redis when REDIS_URL is set, so that
// every gateway replica draws on one budget and reads one set of counts.
import type { Redis } from 'ioredis';
import { openRedis } from './redis.ts';

const PREFIX = 'nim-graphql:';
const DAY_MS = 86_400_000;
/** Seconds a period's Redis keys outlive their last write: past the period's end, for late settles. */
const TTL_SECONDS: Record<Period, number> = { day: 2 * 86_400, month: 32 * 86_400 };
const COUNTERS = ['prompt', 'completion', 'requests', 'errors'] as const;
const FIELD_OF = {
  prompt: 'promptTokens',
  completion: 'completionTokens',
  requests: 'requests',
  errors: 'errors',
} as const satisfies Record<(typeof COUNTERS)[number], keyof UsageCounts>;

/** A budget's or a count's period: a UTC calendar day or month. */
export type Period = 'day' | 'month';

/** One budget that applies to an operation: `id` names its bucket (e.g. "web" or "web@meta/*"), stable across replicas. */
export interface BudgetBucket {
  id: string;
  limit: number;
  period: Period;
}

const HOLD: unique symbol = Symbol('hold');

interface HoldState {
  /** What was reserved in each bucket. */
  readonly tokens: number;
  /** Moves every bucket of the reservation, in the period it was made in, by `delta`. */
  readonly adjust: (delta: number) => Promise<void>;
  /** Settled or released already: a second settle or release does nothing. */
  done: boolean;
}

/** What a reservation took, and where: opaque to callers, for `settle` or `release` to adjust the same period's buckets. */
export interface Hold {
  readonly [HOLD]: HoldState;
}

/** The answer to `reserve`: a hold to settle or release, or the first bucket that refused (and nothing reserved). */
type Reserved =
  { ok: true; hold: Hold } | { ok: false; bucket: BudgetBucket; used: number; resetsAt: Date };

/** What an operation (or a sum of them) used. */
export interface UsageCounts {
  promptTokens: number;
  completionTokens: number;
  requests: number;
  errors: number;
}

/** A key's usage of one model in a period. */
export interface UsageRow extends UsageCounts {
  key: string;
  model: string;
}

/** Token budgets and usage counts per client key, shared by every replica when backed by Redis. */
export interface Ledger {
  /** All or nothing: refused when any bucket's used + tokens would pass its limit; then nothing is reserved anywhere. */
  reserve(buckets: readonly BudgetBucket[], tokens: number): Promise<Reserved>;
  /** The operation used `tokens` (may be more or less than reserved): each bucket moves by tokens − reserved, in the period it was reserved in. */
  settle(hold: Hold, tokens: number): Promise<void>;
  /** Nothing was used: what was reserved goes back. */
  release(hold: Hold): Promise<void>;
  /** Adds to the key's usage of the model, in the current day and month. */
  record(key: string, model: string, counts: UsageCounts): Promise<void>;
  /** Usage in the current day or month: of one key, or of every key (null), one row per key and model, sorted by key then model. */
  usage(key: string | null, period: Period): Promise<UsageRow[]>;
  /** When the current period ends (UTC: next midnight, or the 1st of next month 00:00). */
  resetsAt(period: Period): Date;
  /** Closes the Redis connection, if any (later calls count in memory). */
  close(): Promise<void>;
}

/** A ledger in memory without a Redis URL, else in Redis (with a per-instance fallback in memory while Redis is out). */
export function createLedger(options: {
  redisUrl: string | undefined;
  /** A connection to that Redis already open (the rate limits'): shared, so it warns of outages and closes. */
  shared?: Redis | null;
  now?: () => number;
  logger?: { warn(message: string): void };
}): Ledger {
  const now = options.now ?? Date.now;
  const memory = new MemoryLedger(now);
  if (options.redisUrl === undefined) return memory;
  const where = options.shared ?? options.redisUrl;
  return new RedisLedger(where, memory, now, options.logger ?? console);
}

// ---------------------------------------------------------------------------------------------
// Periods, amounts, names

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** `2026-12-03` or `2026-12`, UTC. */
function periodIdAt(period: Period, at: number): string {
  const date = new Date(at);
  const month = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}`;
  return period === 'month' ? month : `${month}-${pad(date.getUTCDate(), 2)}`;
}

function periodEndAt(period: Period, at: number): Date {
  const date = new Date(at);
  const [year, month] = [date.getUTCFullYear(), date.getUTCMonth()];
  return new Date(
    period === 'day' ? Date.UTC(year, month, date.getUTCDate() + 1) : Date.UTC(year, month + 1, 1),
  );
}

/** Tokens and counts are whole and never negative: NaN and negatives count 0, fractions round up. */
function whole(n: number): number {
  if (Number.isNaN(n) || n <= 0) return 0;
  return Math.min(Math.ceil(n), Number.MAX_SAFE_INTEGER);
}

/** NaN and negative limits admit nothing (like 0); Infinity admits everything. */
const limitOf = (limit: number) => (Number.isNaN(limit) || limit < 0 ? 0 : limit);

/**
 * Names (key names, model ids, bucket ids) as they go into Redis keys and hash fields: letters,
 * digits and `-._~@/` stay, every other UTF-16 code unit becomes `%XX` or `%uXXXX`. So `:` (the
 * separator) never appears in an encoded name, `%` is always encoded (the encoding is one to one),
 * and a lone surrogate survives (ioredis would send it as U+FFFD, merging it with a real U+FFFD).
 */
function encodeName(name: string): string {
  return name.replace(/[^A-Za-z0-9\-._~@/]/g, (unit) => {
    const code = unit.charCodeAt(0);
    return code < 0x100
      ? `%${code.toString(16).toUpperCase().padStart(2, '0')}`
      : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

function decodeName(encoded: string): string {
  return encoded.replace(/%u([0-9A-F]{4})|%([0-9A-F]{2})/g, (_, wide?: string, narrow?: string) =>
    String.fromCharCode(parseInt(wide ?? narrow!, 16)),
  );
}

/** One bucket of one reservation, in the period of the reservation. */
interface Entry {
  readonly bucket: BudgetBucket;
  readonly limit: number;
  readonly periodId: string;
}

/** The buckets of a reservation at `at`; a bucket listed twice (same id and period) counts once, at its lowest limit. */
function entriesAt(buckets: readonly BudgetBucket[], at: number): Entry[] {
  const entries = new Map<string, Entry>();
  for (const bucket of buckets) {
    const periodId = periodIdAt(bucket.period, at);
    // Day and month ids differ in form, so the id after the period id is unambiguous.
    const name = `${periodId} ${bucket.id}`;
    const limit = limitOf(bucket.limit);
    const seen = entries.get(name);
    if (seen === undefined || limit < seen.limit) entries.set(name, { bucket, limit, periodId });
  }
  return [...entries.values()];
}

const holdOf = (tokens: number, adjust: HoldState['adjust']): Hold => ({
  [HOLD]: { tokens, adjust, done: false },
});

/** The hold of a reservation of nothing: settle and release do nothing. */
const emptyHold = () => holdOf(0, async () => {});

function refusal(entry: Entry, used: number, at: number): Reserved {
  return { ok: false, bucket: entry.bucket, used, resetsAt: periodEndAt(entry.bucket.period, at) };
}

async function finish(hold: Hold, tokens: number): Promise<void> {
  const state = hold[HOLD];
  if (state.done) return;
  state.done = true;
  const delta = tokens - state.tokens;
  if (state.tokens > 0 && delta !== 0) await state.adjust(delta);
}

const emptyCounts = (): UsageCounts => ({
  promptTokens: 0,
  completionTokens: 0,
  requests: 0,
  errors: 0,
});

const byKeyThenModel = (a: UsageRow, b: UsageRow) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : a.model < b.model ? -1 : a.model > b.model ? 1 : 0;

// ---------------------------------------------------------------------------------------------
// Memory

class MemoryLedger implements Ledger {
  /** Period id → bucket id → tokens used. */
  readonly #budgets = new Map<string, Map<string, number>>();
  /** Period id → key name → model id → counts. */
  readonly #usage = new Map<string, Map<string, Map<string, UsageCounts>>>();
  readonly #now: () => number;
  /** The latest day seen: when a later one comes, periods older than the previous day and month go. */
  #latestDay = '';

  constructor(now: () => number) {
    this.#now = now;
  }

  async reserve(buckets: readonly BudgetBucket[], tokens: number): Promise<Reserved> {
    const at = this.#now();
    return this.reserveAt(entriesAt(buckets, at), whole(tokens), at);
  }

  reserveAt(entries: readonly Entry[], tokens: number, at: number): Reserved {
    this.#prune(at);
    if (tokens === 0 || entries.length === 0) return { ok: true, hold: emptyHold() };
    for (const entry of entries) {
      const used = this.#budgets.get(entry.periodId)?.get(entry.bucket.id) ?? 0;
      if (used + tokens > entry.limit) return refusal(entry, used, at);
    }
    this.adjust(entries, tokens);
    return { ok: true, hold: holdOf(tokens, async (delta) => this.adjust(entries, delta)) };
  }

  /** Moves each bucket by `delta` in the entry's own period, never below 0. */
  adjust(entries: readonly Entry[], delta: number): void {
    for (const { periodId, bucket } of entries) {
      let period = this.#budgets.get(periodId);
      if (period === undefined) this.#budgets.set(periodId, (period = new Map()));
      period.set(bucket.id, Math.max(0, (period.get(bucket.id) ?? 0) + delta));
    }
  }

  settle(hold: Hold, tokens: number): Promise<void> {
    return finish(hold, whole(tokens));
  }

  release(hold: Hold): Promise<void> {
    return finish(hold, 0);
  }

  async record(key: string, model: string, counts: UsageCounts): Promise<void> {
    this.recordAt(key, model, counts, this.#now());
  }

  recordAt(key: string, model: string, counts: UsageCounts, at: number): void {
    this.#prune(at);
    for (const period of ['day', 'month'] as const) {
      const periodId = periodIdAt(period, at);
      let keys = this.#usage.get(periodId);
      if (keys === undefined) this.#usage.set(periodId, (keys = new Map()));
      let models = keys.get(key);
      if (models === undefined) keys.set(key, (models = new Map()));
      let sum = models.get(model);
      if (sum === undefined) models.set(model, (sum = emptyCounts()));
      for (const field of Object.values(FIELD_OF)) sum[field] += whole(counts[field]);
    }
  }

  async usage(key: string | null, period: Period): Promise<UsageRow[]> {
    return this.usageAt(key, period, this.#now());
  }

  usageAt(key: string | null, period: Period, at: number): UsageRow[] {
    const keys = this.#usage.get(periodIdAt(period, at));
    if (keys === undefined) return [];
    const rows: UsageRow[] = [];
    for (const [name, models] of keys) {
      if (key !== null && name !== key) continue;
      for (const [model, counts] of models) rows.push({ key: name, model, ...counts });
    }
    return rows.sort(byKeyThenModel);
  }

  resetsAt(period: Period): Date {
    return periodEndAt(period, this.#now());
  }

  async close(): Promise<void> {}

  /** Keeps the current and the previous day and month (an operation may settle into the previous one). */
  #prune(at: number): void {
    const day = periodIdAt('day', at);
    if (day <= this.#latestDay) return;
    this.#latestDay = day;
    const date = new Date(at);
    const kept = new Set([
      day,
      periodIdAt('day', at - DAY_MS),
      periodIdAt('month', at),
      periodIdAt('month', Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 0)),
    ]);
    for (const map of [this.#budgets, this.#usage])
      for (const periodId of map.keys()) if (!kept.has(periodId)) map.delete(periodId);
  }
}

// ---------------------------------------------------------------------------------------------
// Redis
//
// Keys (every name encoded by encodeName, so none contains `:`; period ids are 2026-12-03 or 2026-12):
//   nim-graphql:budget:<period-id>:<bucket id>   string, tokens used (reserved or settled)
//   nim-graphql:usage:<period-id>:<key name>     hash, fields <model id>:prompt|completion|requests|errors
//   nim-graphql:usage-keys:<period-id>           set of the key names with usage in the period
// Each expires TTL_SECONDS after its last write (day 2 days, month 32 days).

const budgetKey = (entry: Entry) =>
  `${PREFIX}budget:${entry.periodId}:${encodeName(entry.bucket.id)}`;
const usageKey = (periodId: string, encodedKey: string) =>
  `${PREFIX}usage:${periodId}:${encodedKey}`;
const usageKeysKey = (periodId: string) => `${PREFIX}usage-keys:${periodId}`;

// KEYS: the buckets. ARGV[1]: tokens, then per bucket its limit (-1: none) and TTL. Checks every
// bucket before it adds to any: {0, 0} when reserved, else {index of the first refusing bucket, its used}.
const RESERVE = `
local tokens = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local used = tonumber(redis.call('GET', key) or '0')
  if limit >= 0 and used + tokens > limit then return {i, used} end
end
for i, key in ipairs(KEYS) do
  redis.call('INCRBY', key, ARGV[1])
  redis.call('EXPIRE', key, ARGV[2 * i + 1])
end
return {0, 0}
`;

// KEYS: the buckets. ARGV[1]: the delta, then per bucket its TTL. Never below 0.
const ADJUST = `
for i, key in ipairs(KEYS) do
  if redis.call('INCRBY', key, ARGV[1]) < 0 then redis.call('SET', key, 0) end
  redis.call('EXPIRE', key, ARGV[i + 1])
end
return 0
`;

// KEYS: day hash, day set, month hash, month set. ARGV: key name, model id (both encoded), the four
// counts (in COUNTERS order), day TTL, month TTL.
const RECORD = `
local counters = {${COUNTERS.map((name) => `'${name}'`).join(', ')}}
for p = 0, 1 do
  local hash, set, ttl = KEYS[1 + 2 * p], KEYS[2 + 2 * p], ARGV[7 + p]
  for i, counter in ipairs(counters) do
    redis.call('HINCRBY', hash, ARGV[2] .. ':' .. counter, ARGV[2 + i])
  end
  redis.call('SADD', set, ARGV[1])
  redis.call('EXPIRE', hash, ttl)
  redis.call('EXPIRE', set, ttl)
end
return 0
`;

type LedgerRedis = Redis & {
  nimLedgerReserve(...args: (string | number)[]): Promise<[number, number]>;
  nimLedgerAdjust(...args: (string | number)[]): Promise<number>;
  nimLedgerRecord(...args: (string | number)[]): Promise<number>;
};

function rowsOf(key: string, hash: Record<string, string>): UsageRow[] {
  const models = new Map<string, UsageCounts>();
  for (const [field, value] of Object.entries(hash)) {
    const split = field.indexOf(':');
    const name = field.slice(split + 1);
    if (split < 0 || !Object.hasOwn(FIELD_OF, name)) continue;
    const counter = FIELD_OF[name as keyof typeof FIELD_OF];
    const model = decodeName(field.slice(0, split));
    let counts = models.get(model);
    if (counts === undefined) models.set(model, (counts = emptyCounts()));
    counts[counter] = Number(value);
  }
  return [...models].map(([model, counts]) => ({ key, model, ...counts }));
}

// Redis down or a command failing: that call goes to this instance's memory ledger, so an outage
// never fails a request; budgets then hold per instance only (the instances together may pass one).
class RedisLedger implements Ledger {
  readonly #redis: LedgerRedis;
  readonly #memory: MemoryLedger;
  readonly #now: () => number;
  readonly #logger: { warn(message: string): void };
  /** Settles after the first attempt to reach Redis, so the first calls go there, not to memory. */
  readonly #started: Promise<void>;
  readonly #where: string;
  #degraded = false;
  #closing = false;

  /** Whether the connection is the ledger's own (else its owner warns of outages and closes it). */
  readonly #own: boolean;

  constructor(
    url: string | Redis,
    memory: MemoryLedger,
    now: () => number,
    logger: { warn(message: string): void },
  ) {
    this.#memory = memory;
    this.#now = now;
    this.#logger = logger;
    this.#own = typeof url === 'string';
    if (typeof url !== 'string') {
      const shared = url as LedgerRedis;
      this.#where = `${shared.options.host ?? 'localhost'}:${shared.options.port ?? 6379}`;
      this.#define(shared);
      this.#started = new Promise((resolve) => {
        if (shared.status === 'ready' || shared.status === 'end') resolve();
        else ['ready', 'error', 'end'].forEach((event) => shared.once(event, () => resolve()));
      });
      this.#redis = shared;
      return;
    }
    const opened = openRedis(url);
    const redis = opened.redis as LedgerRedis;
    this.#where = opened.where;
    this.#define(redis);
    redis.on('error', (error: NodeJS.ErrnoException) => this.#down(error.code ?? error.message));
    redis.on('close', () => this.#down('connection closed'));
    redis.on('ready', () => this.#up());
    this.#started = new Promise((resolve) =>
      ['ready', 'error', 'end'].forEach((event) => redis.once(event, () => resolve())),
    );
    this.#redis = redis;
  }

  #define(redis: LedgerRedis): void {
    redis.defineCommand('nimLedgerReserve', { lua: RESERVE });
    redis.defineCommand('nimLedgerAdjust', { lua: ADJUST });
    redis.defineCommand('nimLedgerRecord', { lua: RECORD, numberOfKeys: 4 });
  }

  #down(reason: string): void {
    // A shared connection's outages are its owner's to tell.
    if (this.#degraded || this.#closing || !this.#own) return;
    this.#degraded = true;
    this.#logger.warn(
      `usage ledger: Redis at ${this.#where} is unreachable or failing (${reason}); until it is back, ` +
        'each gateway instance keeps token budgets and usage on its own, in memory, so the instances ' +
        'together may spend more than one budget',
    );
  }

  #up(): void {
    if (!this.#degraded || this.#closing || !this.#own) return;
    this.#degraded = false;
    this.#logger.warn(
      `usage ledger: Redis at ${this.#where} is reachable again; token budgets and usage are shared by every instance again`,
    );
  }

  /** Runs `inRedis`, or `inMemory` when Redis is not ready or the command fails. */
  async #either<T>(inRedis: (redis: LedgerRedis) => Promise<T>, inMemory: () => T): Promise<T> {
    await this.#started;
    if (this.#redis.status !== 'ready') {
      this.#down(`connection ${this.#redis.status}`);
      return inMemory();
    }
    try {
      const result = await inRedis(this.#redis);
      this.#up();
      return result;
    } catch (error) {
      // A command that timed out may still have run: Redis may then count more than was used.
      this.#down(error instanceof Error ? error.message : String(error));
      return inMemory();
    }
  }

  async reserve(buckets: readonly BudgetBucket[], tokens: number): Promise<Reserved> {
    const at = this.#now();
    const amount = whole(tokens);
    const entries = entriesAt(buckets, at);
    if (amount === 0 || entries.length === 0) return { ok: true, hold: emptyHold() };
    return this.#either(
      async (redis) => {
        const [refused, used] = await redis.nimLedgerReserve(
          entries.length,
          ...entries.map(budgetKey),
          amount,
          ...entries.flatMap((entry) => [
            Number.isFinite(entry.limit) ? entry.limit : -1,
            TTL_SECONDS[entry.bucket.period],
          ]),
        );
        if (refused > 0) return refusal(entries[refused - 1]!, used, at);
        return { ok: true, hold: holdOf(amount, (delta) => this.#adjust(entries, delta)) };
      },
      () => this.#memory.reserveAt(entries, amount, at),
    );
  }

  /**
   * Moves a reservation made in Redis. With Redis out, what was used beyond the reservation counts
   * in memory; what should go back stays reserved in Redis (until the period ends): it errs on the
   * side of spending less.
   */
  #adjust(entries: readonly Entry[], delta: number): Promise<void> {
    return this.#either(
      async (redis) => {
        await redis.nimLedgerAdjust(
          entries.length,
          ...entries.map(budgetKey),
          delta,
          ...entries.map((entry) => TTL_SECONDS[entry.bucket.period]),
        );
      },
      () => {
        if (delta > 0) this.#memory.adjust(entries, delta);
      },
    );
  }

  settle(hold: Hold, tokens: number): Promise<void> {
    return finish(hold, whole(tokens));
  }

  release(hold: Hold): Promise<void> {
    return finish(hold, 0);
  }

  async record(key: string, model: string, counts: UsageCounts): Promise<void> {
    const at = this.#now();
    const [day, month] = [periodIdAt('day', at), periodIdAt('month', at)];
    const encodedKey = encodeName(key);
    await this.#either(
      async (redis) => {
        await redis.nimLedgerRecord(
          usageKey(day, encodedKey),
          usageKeysKey(day),
          usageKey(month, encodedKey),
          usageKeysKey(month),
          encodedKey,
          encodeName(model),
          ...COUNTERS.map((counter) => whole(counts[FIELD_OF[counter]])),
          TTL_SECONDS.day,
          TTL_SECONDS.month,
        );
      },
      () => this.#memory.recordAt(key, model, counts, at),
    );
  }

  async usage(key: string | null, period: Period): Promise<UsageRow[]> {
    const at = this.#now();
    const periodId = periodIdAt(period, at);
    return this.#either(
      async (redis) => {
        const keys =
          key === null ? (await redis.smembers(usageKeysKey(periodId))).map(decodeName) : [key];
        if (keys.length === 0) return [];
        const reads = redis.pipeline();
        for (const name of keys) reads.hgetall(usageKey(periodId, encodeName(name)));
        const hashes = (await reads.exec()) ?? [];
        const rows = hashes.flatMap(([error, hash], index) => {
          if (error !== null) throw error;
          return rowsOf(keys[index]!, hash as Record<string, string>);
        });
        return rows.sort(byKeyThenModel);
      },
      () => this.#memory.usageAt(key, period, at),
    );
  }

  resetsAt(period: Period): Date {
    return periodEndAt(period, this.#now());
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (!this.#own) return;
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
  }
}
