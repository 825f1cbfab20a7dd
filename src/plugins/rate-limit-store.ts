// The budgets behind the rate limits (rate-limiter-flexible, fixed one-minute windows per client):
// in memory, or in Redis when REDIS_URL is set, so that every gateway instance draws on one budget.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config.ts';
import { openRedis } from '../usage/redis.ts';

// rate-limiter-flexible (and ioredis, src/usage/redis.ts) load only when a limit is configured.
const require = createRequire(import.meta.url);
const limiters = () => require('rate-limiter-flexible') as typeof import('rate-limiter-flexible');

const WINDOW_SECONDS = 60;

export interface Logger {
  warn(...args: unknown[]): void;
}

export type Taken = { ok: true; windowEndsAt: number } | { ok: false; retryAfterSeconds: number };

/** So many points a minute per client. */
export class Budget {
  readonly perMinute: number;
  readonly #limiter: RateLimiterAbstract;
  readonly #store: RateLimitStore;

  constructor(store: RateLimitStore, limiter: RateLimiterAbstract, perMinute: number) {
    this.#store = store;
    this.#limiter = limiter;
    this.perMinute = perMinute;
  }

  async take(client: string, points: number): Promise<Taken> {
    await this.#store.started;
    try {
      const res = await this.#limiter.consume(client, points);
      return { ok: true, windowEndsAt: Date.now() + res.msBeforeNext };
    } catch (rejection) {
      if (!(rejection instanceof limiters().RateLimiterRes)) {
        // Even the in-memory fallback failed: let the request through rather than fail every caller.
        this.#store.logger.warn(
          `rate limits: cannot count for ${client} (${String(rejection)}); letting the request through`,
        );
        return { ok: true, windowEndsAt: 0 };
      }
      // consume() keeps refused points counted: give them back, so that a refusal costs nothing.
      await this.#limiter.reward(client, points).catch(() => undefined);
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
      };
    }
  }

  /**
   * Returns unused points, only within the window they were taken in: a newer window starts full, and
   * a reward there would push it below zero (more than the limit).
   */
  async giveBack(client: string, points: number, windowEndsAt: number): Promise<void> {
    if (points <= 0 || Date.now() >= windowEndsAt) return;
    await this.#limiter.reward(client, points).catch((error: unknown) => {
      this.#store.logger.warn(
        `rate limits: cannot give back ${points} tokens to ${client} (${String(error)})`,
      );
    });
  }

  /**
   * Takes what an operation used beyond its reservation (an input estimated short of what the
   * upstream counted), never refusing: the call was made. Only within the window of the reservation.
   */
  async takeMore(client: string, points: number, windowEndsAt: number): Promise<void> {
    if (points <= 0 || Date.now() >= windowEndsAt) return;
    await this.#limiter.penalty(client, points).catch((error: unknown) => {
      this.#store.logger.warn(
        `rate limits: cannot count ${points} more tokens for ${client} (${String(error)})`,
      );
    });
  }
}

export class RateLimitStore {
  /** Where warnings go; the plugin points it at Yoga's logger. */
  logger: Logger = console;
  readonly requests: Budget | null;
  readonly tokens: Budget | null;
  /** Settles after the first attempt to reach Redis (at once without Redis), so the first requests count there, not in the fallback. */
  readonly started: Promise<void>;
  readonly #redis: Redis | null;
  #degraded = false;
  #closing = false;

  constructor(config: RateLimitConfig) {
    this.#redis = config.redisUrl === undefined ? null : this.#connect(config.redisUrl);
    const redis = this.#redis;
    this.started =
      redis === null
        ? Promise.resolve()
        : new Promise((resolve) =>
            ['ready', 'error', 'end'].forEach((event) => redis.once(event, () => resolve())),
          );
    this.requests =
      config.requestsPerMinute > 0 ? this.#budget('requests', config.requestsPerMinute) : null;
    this.tokens =
      config.generatedTokensPerMinute > 0
        ? this.#budget('tokens', config.generatedTokensPerMinute)
        : null;
  }

  #budget(name: string, points: number): Budget {
    const { RateLimiterMemory, RateLimiterRedis } = limiters();
    const options = { keyPrefix: `nim-graphql:rl:${name}`, points, duration: WINDOW_SECONDS };
    const memory = new RateLimiterMemory(options);
    // Redis down (or slow): each instance counts in its own memory with the same limits. Failing open
    // would leave the GPUs unprotected, failing closed would turn a Redis outage into a gateway outage.
    if (this.#redis === null) return new Budget(this, memory, points);
    const limiter = new RateLimiterRedis({
      ...options,
      storeClient: this.#redis,
      // Stryker disable next-line BooleanLiteral: with enableOfflineQueue off, a command sent while Redis is down fails at once and the insurance limiter counts it all the same.
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
    return new Budget(this, limiter, points);
  }

  #connect(url: string): Redis {
    const { redis, where } = openRedis(url);
    const degrade = (reason: string) => {
      if (this.#degraded || this.#closing) return;
      this.#degraded = true;
      this.logger.warn(
        `rate limits: Redis at ${where} is unreachable (${reason}); until it is back, each gateway instance ` +
          'enforces the limits on its own, in memory, so the instances together may admit more than one budget',
      );
    };
    redis.on('error', (error: NodeJS.ErrnoException) => degrade(error.code ?? error.message));
    redis.on('close', () => degrade('connection closed'));
    redis.on('ready', () => {
      if (!this.#degraded) return;
      this.#degraded = false;
      this.logger.warn(
        `rate limits: Redis at ${where} is reachable again; the limits are shared by every instance again`,
      );
    });
    return redis;
  }

  /** Its Redis connection, which the usage ledger shares. */
  get connection(): Redis | null {
    return this.#redis;
  }

  async close(): Promise<void> {
    if (this.#redis === null) return;
    this.#closing = true;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: disconnect() below closes the connection either way; QUIT only lets Redis answer first.
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
  }
}

/** Null when both limits are off: then nothing is created and no plugin is installed. */
export function createRateLimitStore(config: RateLimitConfig): RateLimitStore | null {
  return config.requestsPerMinute === 0 && config.generatedTokensPerMinute === 0
    ? null
    : new RateLimitStore(config);
}
